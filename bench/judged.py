"""Judged evaluation at MT-Bench scale, against scripted servers answering after a fixed latency.

Prints: the wall time of a whole MT-Bench run (80 questions x 2 model turns + 160 judge calls),
of the pairwise variant against it (320 judge calls: two turns x two orders), of rescoring the
pairwise run from the cache (no calls), and the time of the length-controlled win rate with its
500-draw bootstrap for 160 pairs (MT-Bench) and 805 (AlpacaEval's size).

    python bench/judged.py [--latency-ms 200] [--concurrency 32]

The ideal for a run is (calls per sample in sequence) x latency x ceil(80 / concurrency):
MT-Bench single is 2 model turns + 1 round of judging (both turns judged at once) = 3 x latency
per sample; pairwise (the same model, so its answers come from the cache) is bound by the judge's
own concurrency limit: ceil(320 / concurrency) x latency.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from support.scripted_server import reply, scripted_server  # noqa: E402

from evalkit.config import RunConfig  # noqa: E402
from evalkit.engine.rescore import rescore  # noqa: E402
from evalkit.engine.run import run  # noqa: E402
from evalkit.scoring.judge.length_control import lc_metric  # noqa: E402


def model(body: dict) -> dict:
    return reply("An answer of some length. " * (len(body["messages"]) + 1))


def judge(body: dict) -> dict:
    content = body["messages"][-1]["content"]
    if "Assistant B" in content:
        return reply("[[A]]" if len(content) % 3 else "[[C]]")
    return reply(f"Rating: [[{len(content) % 10 + 1}]]")


def timed(label: str, fn, ideal: float | None = None):
    start = time.perf_counter()
    out = fn()
    wall = time.perf_counter() - start
    extra = f"  (ideal {ideal:.2f} s, {wall / ideal:.2f} x)" if ideal else ""
    print(f"{label:<44} {wall:7.2f} s{extra}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    lat = args.latency_ms / 1000
    rounds = math.ceil(80 / args.concurrency)
    with tempfile.TemporaryDirectory() as tmp, scripted_server(model, lat) as m, scripted_server(judge, lat) as j:
        base = dict(model="openai-compatible/m", base_url=m.url, output_dir=Path(tmp) / "runs",
                    cache_dir=Path(tmp) / "cache", concurrency=args.concurrency,
                    judge="openai-compatible/judge", judge_args={"base_url": j.url})
        (single,) = timed("mtbench (80 x 2 turns, 160 judge calls)",
                          lambda: run(RunConfig(tasks=("mtbench",), **base)), 3 * lat * rounds)
        other = {**base, "model_name": "other"}
        (pair,) = timed("mtbench:pairwise (answers cached; 320 judge calls)",
                        lambda: run(RunConfig(tasks=("mtbench:pairwise",), baseline_run=single.run_dir, **other)),
                        lat * math.ceil(320 / args.concurrency))
        timed("rescore the pairwise run from the cache", lambda: rescore(pair.run_dir))
        print(f"  rating {single.record.metrics['rating']['mean']:.2f}; win rate "
              f"{pair.record.metrics['win_rate']['mean']:.3f}, LC {pair.record.metrics['lc_win_rate']['mean']:.3f}, "
              f"consistency {pair.record.metrics['consistency']['mean']:.3f}")
    rng = np.random.default_rng(0)
    for n in (160, 805):
        d = rng.normal(0, 500, n)
        y = (rng.random(n) < 1 / (1 + np.exp(-np.tanh(d / 500)))).astype(float)
        timed(f"LC win rate + 500 bootstrap fits, {n} pairs", lambda y=y, d=d: lc_metric(y, d, 0))


if __name__ == "__main__":
    main()
