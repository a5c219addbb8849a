"""MATH scorer figures: checker time, strict vs flexible, case-table agreement, hostile replies.

Usage:
    python bench/math_checker.py [--workers 2] [--respell]   # time to score 500 replies
    python bench/math_checker.py --rescore                    # strict vs flexible on replayed outputs
    python bench/math_checker.py --cases                      # agreement per kind on the case tables
    python bench/math_checker.py --hostile                    # extraction time on 1 MB hostile replies

Reads ``$EVALKIT_DATA_DIR/math/test.jsonl`` (default ``<repo>/../shared/data``).

* default: scores every MATH-500 reference ``solution`` as if a model had written it (both
  metrics, worker start-up included) and prints the wall time since the process started (read
  from /proc, so interpreter start-up counts), the slowest single reply and both accuracies,
  which must be 100%. ``--respell`` rewrites each boxed answer (``\\dfrac``, no spaces,
  ``$...$`` and a trailing period) so every comparison goes through the parser.
* ``--rescore``: strict and flexible accuracy on reproducible outputs derived from the reference
  solutions: as written; with every ``\\boxed{X}`` unwrapped to ``X`` (a model that does not box);
  the answer alone as the whole reply; the answer in a closing sentence without a marker.
* ``--cases``: agreement of both metrics with the labels of tests/cases/math_replies.jsonl, per
  kind, and of the extraction and equivalence tables.
* ``--hostile``: extraction time on 1 MB adversarial replies (must grow linearly).
"""

from __future__ import annotations

import time

T_SCRIPT = time.monotonic()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
from collections import defaultdict  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
# Spaces go, except between two letters (``\cot x`` must not become ``\cotx``).
SPACE_OUTSIDE_WORDS = re.compile(r"(?<![A-Za-z]) | (?![A-Za-z])")
sys.path.insert(0, str(REPO))

from evalkit.scoring.math.boxes import find_boxes  # noqa: E402
from evalkit.scoring.math.extract import extract_answers, last_boxed  # noqa: E402
from evalkit.scoring.math.scorer import MathChecker, MathScorer, is_equiv  # noqa: E402
from evalkit.types import Completion, Sample, Score  # noqa: E402

CASES = REPO / "tests" / "cases"
MB = 1_000_000


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


def unboxed(solution: str) -> str:
    r"""The solution with every ``\boxed{X}`` written as plain ``X`` (a model that does not box)."""
    pieces, last = [], 0
    for box in find_boxes(solution):
        if box.start >= last:
            pieces.append(solution[last : box.start] + box.content(solution))
            last = box.end
    return "".join(pieces) + solution[last:]


VARIANTS = {
    "as written": lambda row: row["solution"],
    "boxes unwrapped": lambda row: unboxed(row["solution"]),
    "answer alone": lambda row: f"${row['answer']}$",
    "closing sentence": lambda row: (
        f"We work it out step by step.\n\nSo the result is ${row['answer']}$."
    ),
}


def rows(data: Path) -> list[dict[str, str]]:
    lines = (data / "math" / "test.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line]


def score_all(
    scorer: MathScorer, items: list[tuple[Sample, Completion]], workers: int
) -> list[tuple[Score, float]]:
    def timed(item: tuple[Sample, Completion]) -> tuple[Score, float]:
        start = time.monotonic()
        score = scorer.score(*item)
        return score, time.monotonic() - start

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(timed, items))


def items_of(data_rows: list[dict[str, str]], text_of: object) -> list[tuple[Sample, Completion]]:
    return [
        (
            Sample(id=row["unique_id"], index=i, data={}, target=row["answer"]),
            Completion(text=text_of(row)),  # type: ignore[operator]
        )
        for i, row in enumerate(data_rows)
    ]


def mean(scores: list[Score], metric: str) -> float:
    return sum(score.metrics[metric] for score in scores) / len(scores)


def bench_time(data: Path, workers: int, respelled: bool) -> int:
    items = items_of(
        rows(data), (lambda r: respell(r["solution"])) if respelled else VARIANTS["as written"]
    )
    with MathChecker(workers=workers) as checker:
        # Wait for the workers here, so "slowest" is a comparison, not a start-up.
        checker.verdicts([("0", "0")] * workers, timeout_s=30)
        started = seconds_since_process_start()
        results = score_all(MathScorer(timeout_s=1.0, checker=checker), items, workers)
        total = seconds_since_process_start()
    scores = [score for score, _ in results]
    slowest_s, slowest = max(
        (spent, item[0].id) for (_, spent), item in zip(results, items, strict=True)
    )
    strict, flexible = mean(scores, "strict"), mean(scores, "flexible")
    print(f"responses        {len(items)} ({'respelled' if respelled else 'as written'})")
    print(f"workers          {workers}")
    print(f"total wall       {total:.2f} s  (from process start, worker start-up included)")
    print(f"  of which       {started:.2f} s  to start the interpreter, imports and workers")
    print(f"slowest reply    {slowest_s * 1000:.1f} ms  ({slowest})")
    print(f"accuracy         strict {strict:.1%}  flexible {flexible:.1%}")
    return 0 if strict == flexible == 1.0 else 1


def bench_rescore(data: Path, workers: int) -> int:
    data_rows = rows(data)
    print(f"{'output':18s} {'n':>4s} {'strict':>8s} {'flexible':>9s}")
    with MathChecker(workers=workers) as checker:
        scorer = MathScorer(timeout_s=1.0, checker=checker)
        for name, text_of in VARIANTS.items():
            scores = [
                score for score, _ in score_all(scorer, items_of(data_rows, text_of), workers)
            ]
            strict, flexible = mean(scores, "strict"), mean(scores, "flexible")
            print(f"{name:18s} {len(scores):4d} {strict:8.1%} {flexible:9.1%}")
    return 0


def bench_cases(workers: int) -> int:
    lines = (CASES / "math_replies.jsonl").read_text(encoding="utf-8").splitlines()
    cases = [json.loads(line) for line in lines if line]
    agree: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    with MathChecker(workers=workers) as checker:
        for case in cases:
            scorer = MathScorer(10.0, checker, case.get("percent", "number"))
            sample = Sample(id=case["id"], index=0, data={}, target=case["gold"])
            score = scorer.score(sample, Completion(case["response"], case["finish_reason"]))
            counts = agree[case["kind"]]
            counts[0] += 1
            counts[1] += (score.metrics["strict"] == 1.0) == case["strict"]
            counts[2] += (score.metrics["flexible"] == 1.0) == case["flexible"]
    print(f"{'kind':24s} {'n':>4s} {'strict':>8s} {'flexible':>9s}")
    for kind, (n, strict, flexible) in sorted(agree.items()):
        print(f"{kind:24s} {n:4d} {strict / n:8.1%} {flexible / n:9.1%}")
    total = [sum(column) for column in zip(*agree.values(), strict=True)]
    print(
        f"{'all replies':24s} {total[0]:4d} {total[1] / total[0]:8.1%} {total[2] / total[0]:9.1%}"
    )
    print_table_agreement()
    return 0 if total[0] == total[1] == total[2] else 1


def print_table_agreement() -> None:
    lines = (CASES / "math_equiv.jsonl").read_text(encoding="utf-8").splitlines()
    equiv = [json.loads(line) for line in lines if line]
    right = sum(is_equiv(case["gold"], case["pred"]) is case["equal"] for case in equiv)
    print(f"{'equivalence table':24s} {len(equiv):4d} {right / len(equiv):8.1%}")
    lines = (CASES / "math_extract.jsonl").read_text(encoding="utf-8").splitlines()
    extract = [json.loads(line) for line in lines if line]
    found = [extract_answers(c["response"], c["finish_reason"] == "length") for c in extract]
    right = sum(
        f.flexible.answer == c["answer"] and f.strict.answer == c.get("strict", c["answer"])
        for f, c in zip(found, extract, strict=True)
    )
    print(f"{'extraction table':24s} {len(extract):4d} {right / len(extract):8.1%}")


HOSTILE = {
    "digits and spaces": "1 " * (MB // 2),
    "dollars": "$" * MB,
    "open \\( groups": "\\(" * (MB // 2),
    "bold marks": "**" * (MB // 2),
    "is cues": "is " * (MB // 3),
    "boxes joined by and": "\\boxed{1} and " * (MB // 14),
    "final answer phrases": "Final answer:" * (MB // 13),
    "answer headings": "answer\n" * (MB // 7),
    "answer then $": "Answer $" * (MB // 8),
    "hedge words": "maybe " * (MB // 6),
    "number words": "twenty-one " * (MB // 11),
    "newlines": "\n" * MB,
    "text in boxes": "\\boxed{\\text{" * (MB // 13),
    "sentence in a box": "\\boxed{" + "The area is " * (MB // 12) + "}",
    "explaining clauses": ", since " * (MB // 8),
    "pleasantries": "Let me know. " * (MB // 13),
    "plain-text notation": "pi inf oo U 2 1/2 " * (MB // 18),
    "answer then tabs": "answer" + "\t" * MB,
}


def bench_hostile() -> int:
    worst = 0.0
    for name, text in HOSTILE.items():
        start = time.monotonic()
        extract_answers(text)
        spent = time.monotonic() - start
        worst = max(worst, spent)
        print(f"{name:22s} {len(text) / MB:5.2f} MB  {spent * 1000:7.1f} ms")
    print(f"worst                  {worst * 1000:.1f} ms per 1 MB reply")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--respell", action="store_true")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--rescore", action="store_true")
    mode.add_argument("--cases", action="store_true")
    mode.add_argument("--hostile", action="store_true")
    args = parser.parse_args()
    data = Path(os.environ.get("EVALKIT_DATA_DIR", REPO.parent / "shared" / "data"))
    if args.rescore:
        return bench_rescore(data, args.workers)
    if args.cases:
        return bench_cases(args.workers)
    if args.hostile:
        return bench_hostile()
    return bench_time(data, args.workers, args.respell)


if __name__ == "__main__":
    sys.exit(main())
