"""Time every scorer on hostile replies: long runs of one character class after each cue.

Usage: python bench/linear_scoring.py [--size BYTES] [--scorers gsm8k,choice,ifeval,exact]

For every cue (punctuation, "Answer:", "####", "答案", a box, a self-correction ...) and every
fill (blanks, line breaks, brackets, markup, digits, letters, CJK, zero-width characters), the
reply is ``cue + fill * n + "x"``; IFEval runs each of its 25 instructions on every fill. Prints,
per scorer, the number of shapes, the median and the slowest time, and the slowest shape.
Linear code scores a megabyte in well under a second per shape; a quadratic pattern shows as a
slowest time that grows 4x when ``--size`` doubles.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from evalkit.scoring import SCORERS  # noqa: E402
from evalkit.scoring.ifeval import build_instruction  # noqa: E402
from evalkit.types import Completion, Sample  # noqa: E402

FILLS = (" ", "\t", "\n", " \n", ". ", ",", "*", "_", "#", "-", ">", "[", "]", "(", ")", "{",
         "}", "<<", ">>", "$", "1,", "1 ", "1.", "a ", "A ", "A, ", "or ", ":", "\\", "= ",
         "**a** ", "答", "。", "，", "\u3000", "…", "\u200b", "\r\n", "Wait, ", "option ")  # fmt: skip
CUES = ("", ".", ". ", ",", ":", "Answer:", "The answer is", "####", "\\boxed{", "Wait,", "So",
        "答案", "故选", "Check:", "**", "Question", "\n-", "(A)", "A.", "{\"answer\": ")  # fmt: skip


def _timed(score: Callable[[str], object], text: str) -> float:
    start = time.perf_counter()
    score(text)
    return time.perf_counter() - start


def shapes(size: int) -> Iterator[tuple[str, str]]:
    """Every cue followed by a run of every fill."""
    for cue in CUES:
        for fill in FILLS:
            yield f"{cue!r}+{fill!r}", f"Some work 12. {cue}{fill * (size // len(fill))}x"


def _scorer_fn(name: str) -> Callable[[str], object]:
    scorer = SCORERS.get(name)({})
    sample = Sample("q", 0, {"prompt": "p"}, "B", ("red", "blue", "green", "gray"))
    return lambda text: scorer.score(sample, Completion(text))  # type: ignore[union-attr]


def _ifeval_times(size: int) -> list[tuple[float, str]]:
    rows = (REPO.parent / "shared" / "data" / "ifeval" / "input_data.jsonl").read_text()
    kwargs: dict[str, dict[str, object]] = {}
    for row in map(json.loads, rows.splitlines()):
        for iid, kw in zip(row["instruction_id_list"], row["kwargs"], strict=True):
            kwargs.setdefault(iid, {k: v for k, v in kw.items() if v is not None})
    times = []
    for iid, kw in sorted(kwargs.items()):
        check = build_instruction(iid, kw, "p").check
        for fill in FILLS:
            text = f"Some work 12. {fill * (size // len(fill))}x"
            times.append((_timed(check, text), f"{iid} {fill!r}"))
    return times


def main() -> None:
    """Print the timing figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--scorers", default="gsm8k,choice,exact,ifeval")
    args = parser.parse_args()
    print(f"reply size {args.size:,} characters")
    for name in args.scorers.split(","):
        if name == "ifeval":
            times = _ifeval_times(args.size)
        else:
            score = _scorer_fn(name)
            times = [(_timed(score, text), shape) for shape, text in shapes(args.size)]
        slowest = max(times)
        median = statistics.median(t for t, _ in times)
        print(
            f"{name:7s} {len(times):4d} shapes  median {1000 * median:7.1f} ms"
            f"  slowest {1000 * slowest[0]:7.1f} ms  ({slowest[1]})"
        )


if __name__ == "__main__":
    main()
