"""Time IFEval scoring (strict + loose) of the 541 published GPT-4 responses, from process start.

Usage: python bench/ifeval_score.py [--by-type]

Reads ``$EVALKIT_DATA_DIR/ifeval`` (default ``<repo>/../shared/data/ifeval``), pairs the GPT-4
responses with the inputs by position, scores them in this one process, and prints the time of
each stage, the total since the script started (interpreter start-up before the first line, a
few tens of milliseconds, is not included), and the four IFEval metrics. Target: under 3 s on
2 cores.
"""

from __future__ import annotations

import time

T0 = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from evalkit.scoring.ifeval import make_ifeval_scorer  # noqa: E402
from evalkit.types import Completion, Sample, Score  # noqa: E402

T_IMPORT = time.perf_counter()

METRICS = ("prompt_strict", "inst_strict", "prompt_loose", "inst_loose")


def read_jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def load(data: Path) -> list[tuple[Sample, Completion]]:
    rows = read_jsonl(data / "input_data.jsonl")
    answers = read_jsonl(data / "input_response_data_gpt4_20231107_145030.jsonl")
    return [
        (
            Sample(
                id=str(row["key"]),
                index=index,
                data={"prompt": row["prompt"]},
                target="",
                metadata={
                    "instruction_id_list": row["instruction_id_list"],
                    "kwargs": row["kwargs"],
                },
            ),
            Completion(text=str(answer["response"])),
        )
        for index, (row, answer) in enumerate(zip(rows, answers, strict=True))
    ]


def weighted_mean(scores: list[Score], key: str) -> float:
    having = [s for s in scores if key in s.metrics]
    total = sum(s.weights.get(key, 1.0) for s in having)
    return sum(s.metrics[key] * s.weights.get(key, 1.0) for s in having) / total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--by-type", action="store_true", help="also print per-type accuracy")
    args = parser.parse_args()
    data = Path(os.environ.get("EVALKIT_DATA_DIR", REPO.parent / "shared" / "data")) / "ifeval"
    pairs = load(data)
    t_load = time.perf_counter()
    scorer = make_ifeval_scorer({})
    scores = [scorer.score(sample, completion) for sample, completion in pairs]
    t_score = time.perf_counter()
    print(f"responses scored      {len(scores)} (strict + loose)")
    print(f"imports               {T_IMPORT - T0:.3f} s")
    print(f"load data             {t_load - T_IMPORT:.3f} s")
    print(f"score                 {t_score - t_load:.3f} s")
    print(f"total from start      {t_score - T0:.3f} s   (target < 3 s on 2 cores)")
    for key in METRICS:
        print(f"{key:<21} {100 * weighted_mean(scores, key):.2f}")
    if args.by_type:
        types = sorted({k.split("/", 1)[1] for s in scores for k in s.metrics if "/" in k})
        for name in types:
            strict = 100 * weighted_mean(scores, f"inst_strict/{name}")
            loose = 100 * weighted_mean(scores, f"inst_loose/{name}")
            print(f"  {name:<46} strict {strict:6.2f}  loose {loose:6.2f}")


if __name__ == "__main__":
    main()
