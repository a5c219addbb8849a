"""Time to score the 500 MATH-500 reference solutions as responses, from process start.

Usage: python bench/math_checker.py [--workers 2] [--respell]

Reads ``$EVALKIT_DATA_DIR/math/test.jsonl`` (default ``<repo>/../shared/data``), scores every
reference ``solution`` as if a model had written it (extract the last ``\\boxed{}``, compare with
``answer`` in the worker pool, worker start-up included) and prints the total wall time since
the process started (read from /proc, so interpreter start-up counts), the slowest single
comparison and the accuracy, which must be 100%. ``--respell`` rewrites each boxed answer
(``\\dfrac``, no spaces, ``$...$`` and a trailing period) so every comparison goes through the
parser instead of the identical-spelling shortcut. Target: under 5 s on 2 cores.
"""

from __future__ import annotations

import time

T_SCRIPT = time.monotonic()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
# Spaces go, except between two letters (``\cot x`` must not become ``\cotx``).
SPACE_OUTSIDE_WORDS = re.compile(r"(?<![A-Za-z]) | (?![A-Za-z])")
sys.path.insert(0, str(REPO))

from evalkit.scoring.math.extract import last_boxed  # noqa: E402
from evalkit.scoring.math.scorer import MathChecker, MathScorer  # noqa: E402
from evalkit.types import Completion, Sample, Score  # noqa: E402


def seconds_since_process_start() -> float:
    """Wall time since this process was created (Linux), else since the script's first line."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - started
    except (OSError, ValueError, IndexError):
        return time.monotonic() - T_SCRIPT


def respell(solution: str) -> str:
    """The solution with its final boxed answer written differently (same object)."""
    boxed = last_boxed(solution) or ""
    variant = SPACE_OUTSIDE_WORDS.sub("", boxed.replace("\\frac", "\\dfrac"))
    return f"The final answer is $\\boxed{{{variant}}}$."


def load(data: Path, respelled: bool) -> list[tuple[Sample, Completion]]:
    lines = (data / "math" / "test.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line]
    return [
        (
            Sample(id=row["unique_id"], index=i, data={}, target=row["answer"]),
            Completion(text=respell(row["solution"]) if respelled else row["solution"]),
        )
        for i, row in enumerate(rows)
    ]


def timed_score(scorer: MathScorer, item: tuple[Sample, Completion]) -> tuple[Score, float]:
    start = time.monotonic()
    score = scorer.score(*item)
    return score, time.monotonic() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--respell", action="store_true")
    args = parser.parse_args()
    data = Path(os.environ.get("EVALKIT_DATA_DIR", REPO.parent / "shared" / "data"))
    items = load(data, args.respell)
    with MathChecker(workers=args.workers) as checker:
        # Wait for the workers here, so "slowest compare" is a comparison, not a start-up.
        checker.verdicts([("0", "0")] * args.workers, timeout_s=30)
        started = seconds_since_process_start()
        scorer = MathScorer(timeout_s=1.0, checker=checker)
        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            results = list(pool.map(lambda item: timed_score(scorer, item), items))
        total = seconds_since_process_start()
    scores = [score for score, _ in results]
    timings = [(spent, item[0].id) for (_, spent), item in zip(results, items, strict=True)]
    slowest_s, slowest = max(timings)
    accuracy = sum(score.value for score in scores) / len(scores)
    timeouts = sum(score.reason == "timeout" for score in scores)
    print(f"responses        {len(items)} ({'respelled' if args.respell else 'as written'})")
    print(f"workers          {args.workers}")
    print(f"total wall       {total:.2f} s  (from process start, worker start-up included)")
    print(f"  of which       {started:.2f} s  to start the interpreter, imports and workers")
    print(f"slowest compare  {slowest_s * 1000:.1f} ms  ({slowest})")
    print(f"accuracy         {accuracy:.1%}  (timeouts: {timeouts})")
    return 0 if accuracy == 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
