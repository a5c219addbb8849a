"""Whole replies scored end to end: tests/cases/math_replies.jsonl, strict and flexible.

Each row is a reply a model might write, labelled with the verdict a careful grader gives under
each metric, grouped by ``kind`` (the issue-22 and issue-12 answer styles, near-misses included).
``bench/math_checker.py --cases`` prints the agreement per kind.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from evalkit.scoring.math.scorer import MathChecker, MathScorer
from evalkit.types import Completion, Sample

CASES_PATH = Path(__file__).resolve().parents[1] / "cases" / "math_replies.jsonl"
CASES = [json.loads(line) for line in CASES_PATH.read_text(encoding="utf-8").splitlines() if line]
FIELDS = {"id", "kind", "gold", "response", "finish_reason", "strict", "flexible"}


@pytest.fixture(scope="module")
def checker() -> Iterator[MathChecker]:
    with MathChecker(workers=2) as pool:
        yield pool


def test_table_is_large_labelled_and_has_near_misses() -> None:
    assert len(CASES) >= 150
    assert len({case["id"] for case in CASES}) == len(CASES)
    for case in CASES:
        assert FIELDS <= set(case) <= FIELDS | {"percent"}, case["id"]
        assert case["id"].startswith(case["kind"] + "-")
        assert case["flexible"] or not case["strict"], case["id"]  # strict right → flexible right
    kinds = Counter(case["kind"] for case in CASES)
    wrong = Counter(case["kind"] for case in CASES if not case["flexible"])
    assert len(kinds) >= 15
    assert all(wrong[kind] for kind in kinds if kind != "later_final"), "near-misses per kind"


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_reply(checker: MathChecker, case: dict[str, object]) -> None:
    scorer = MathScorer(timeout_s=10.0, checker=checker, percent=case.get("percent", "number"))  # type: ignore[arg-type]
    sample = Sample(id=str(case["id"]), index=0, data={}, target=str(case["gold"]))
    completion = Completion(text=str(case["response"]), finish_reason=case["finish_reason"])  # type: ignore[arg-type]
    score = scorer.score(sample, completion)
    got = {"strict": score.metrics["strict"] == 1.0, "flexible": score.metrics["flexible"] == 1.0}
    assert got == {"strict": case["strict"], "flexible": case["flexible"]}, (
        score.answer,
        score.details,
    )
    assert score.value == score.metrics["flexible"]
