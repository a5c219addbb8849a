"""BFCL checker throughput: verdicts per second on real entries, and a whole CLI run.

For all 3,475 single-turn entries it builds a perfect reply (``perfect_calls`` of the parity tests: the
possible answer's first acceptable values) and a wrong one (the first argument of the first call given a value of another
type), in native form (tool calls) and prompt form (call text), then times:

* the checker alone on decoded calls (``evalkit.scoring.calls.check``);
* the scorer (decode + check + Score) in each mode;
* BFCL's own ``ast_checker`` on the same decoded calls, when it can be loaded (tests' loader);
* a reply of 10,000 calls (a recorded wrong verdict);
* ``evalkit run --tasks bfcl -T calls=prompt`` through the CLI with the perfect replies replayed.

Usage: ``python bench/bfcl_checker.py`` (needs ``pip install --no-deps bfcl-eval==2026.3.23``).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from evalkit.cli import main
from evalkit.scoring.calls import BfclScorer, Call, check, tool_name
from evalkit.scoring.calls.dataset import read_rows
from evalkit.types import Completion, Sample, ToolCall

# The perfect model and BFCL's checker loader of the parity tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "scoring" / "calls"))
from bfcl_cases import perfect_calls as perfect  # noqa: E402


def wrong(calls: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    if not calls or not calls[0][1]:
        return [("no_such_function", {})]
    name, args = calls[0]
    key = next(iter(args))
    return [(name, {**args, key: [args[key]]}), *calls[1:]]


def sample(row: dict[str, Any]) -> Sample:
    target = "" if row["ground_truth"] is None else json.dumps(row["ground_truth"])
    return Sample(
        row["id"], 0, {"functions": row["function"]}, target, metadata={"category": row["category"]}
    )


def text(calls: list[tuple[str, dict[str, Any]]]) -> Completion:
    return Completion(
        "["
        + ", ".join(f"{n}({', '.join(f'{k}={v!r}' for k, v in a.items())})" for n, a in calls)
        + "]"
    )


def native(calls: list[tuple[str, dict[str, Any]]]) -> Completion:
    return Completion(
        "",
        tool_calls=tuple(
            ToolCall(f"c{i}", tool_name(n), json.dumps(a)) for i, (n, a) in enumerate(calls)
        ),
    )


def rate(label: str, n: int, seconds: float) -> None:
    print(f"{label:<52} {n:>6} verdicts  {seconds:7.3f} s  {n / seconds:>10,.0f} /s")


def main_bench() -> None:
    rows = read_rows()
    replies = [(r, c) for r in rows for c in (perfect(r), wrong(perfect(r)))]
    print(f"{len(rows)} entries, {len(replies)} replies per mode\n")

    decoded = [(r, [Call(n, a) for n, a in c]) for r, c in replies if r["ground_truth"]]
    start = time.perf_counter()
    for r, calls in decoded:
        check(r["category"], r["function"], calls, r["ground_truth"])
    rate("checker alone (evalkit)", len(decoded), time.perf_counter() - start)

    try:
        import pytest  # noqa: F401  (the loader skips through pytest when deps are missing)
        from bfcl_reference import load_reference

        ref = load_reference()
        bfcl_form = [(r, [{c.name: c.arguments} for c in calls]) for r, calls in decoded]
        start = time.perf_counter()
        for r, calls in bfcl_form:
            ref.ast_checker(
                r["function"], calls, r["ground_truth"], ref.python, r["category"], "prompt"
            )
        rate("checker alone (BFCL's ast_checker)", len(bfcl_form), time.perf_counter() - start)
    except BaseException as exc:  # pytest's skip is a BaseException
        print(f"BFCL's checker not loaded ({type(exc).__name__}: {exc})")

    for mode, build in (("native", native), ("prompt", text)):
        scorer = BfclScorer(mode)  # type: ignore[arg-type]
        prepared = [(sample(r), build(c)) for r, c in replies]
        start = time.perf_counter()
        right = sum(scorer.score(s, c).value for s, c in prepared)
        rate(
            f"scorer, {mode} mode (decode + check), {right:.0f} right",
            len(prepared),
            time.perf_counter() - start,
        )

    print()
    for count in (10_000, 1_001):
        flood = Completion("[" + ", ".join(["f(a=1)"] * count) + "]")
        start = time.perf_counter()
        score = BfclScorer("prompt").score(sample(rows[0]), flood)
        ms = 1000 * (time.perf_counter() - start)
        print(f"{count:,} calls in one prompt-mode reply: {score.reason}, {ms:.1f} ms")
    many = native([("f", {"a": 1})] * 10_000)
    start = time.perf_counter()
    score = BfclScorer("native").score(sample(rows[0]), many)
    ms = 1000 * (time.perf_counter() - start)
    print(f"10,000 native tool calls: {score.reason}, {ms:.1f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        recorded = Path(tmp) / "perfect.jsonl"
        recorded.write_text(
            "".join(
                json.dumps({"id": r["id"], "completion": text(perfect(r)).text}) + "\n"
                for r in rows
            )
        )
        start = time.perf_counter()
        code = main(
            [
                "run",
                "--model",
                f"replay/{recorded}",
                "--tasks",
                "bfcl",
                "-T",
                "calls=prompt",
                "--output-dir",
                tmp,
                "--quiet",
                "--no-cache",
            ]
        )
        wall = time.perf_counter() - start
        record = json.loads(next(Path(tmp).glob("*/run.json")).read_text())
        print(
            f"CLI run, prompt mode, replayed perfect model: exit {code}, {wall:.1f} s for {len(rows)} samples, accuracy {record['metrics']['accuracy']['mean']:.4f}"
        )


if __name__ == "__main__":
    main_bench()
