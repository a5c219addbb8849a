"""Labelled chat replies (tests/cases/code_extraction.jsonl) graded end to end in a real sandbox.

Each case is a reply to one of the invented problems of tests/fixtures/data/code/problems.jsonl,
written in a style real chat models use (prose around code, several blocks, helpers, missing
imports, untagged fences, Python 2 print, truncation, reasoning blocks ...), with the verdict a
careful grader gives and the error kind the scorer must record.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from evalkit.sandbox import Sandbox, SandboxUnavailable
from evalkit.scoring import ScoringResources
from evalkit.scoring.code import make_code_tests_scorer
from evalkit.types import Completion, Sample, Score

TESTS = Path(__file__).resolve().parents[2]
PROBLEMS = {
    row["id"]: row
    for row in map(
        json.loads, (TESTS / "fixtures/data/code/problems.jsonl").read_text().splitlines()
    )
}
CASES = [
    json.loads(line) for line in (TESTS / "cases/code_extraction.jsonl").read_text().splitlines()
]


def grade(problem: dict[str, Any], reply: str) -> Score:
    try:
        Sandbox.check_available()
    except SandboxUnavailable as exc:
        pytest.skip(str(exc))
    scorer = make_code_tests_scorer({"timeout_s": 3.0})
    sample = Sample(problem["id"], 0, problem, problem["entry_point"])
    resources = ScoringResources(sandbox=Sandbox(slots=1))
    return asyncio.run(scorer.ascore(sample, Completion(reply), (), resources))


def test_table_is_large_and_labelled() -> None:
    assert len(CASES) >= 40
    assert len({c["id"] for c in CASES}) == len(CASES)
    assert {c["verdict"] for c in CASES} == {"pass", "fail"}
    assert all((c["verdict"] == "pass") == (c["kind"] is None) for c in CASES)
    assert set(c["problem"] for c in CASES) <= set(PROBLEMS)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_reply_gets_the_careful_graders_verdict(case: dict[str, Any]) -> None:
    score = grade(PROBLEMS[case["problem"]], case["reply"])
    assert (score.reason, score.value) == (
        case["kind"],
        1.0 if case["verdict"] == "pass" else 0.0,
    ), (
        case["note"],
        score.answer,
        score.details.get("stderr_tail"),
    )
