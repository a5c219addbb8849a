"""The IFEval case table: pass, fail and edge cases for each of the 25 instruction types.

Every expectation in ``tests/cases/ifeval_cases.jsonl`` was also checked against Google's
checker (run with NLTK's own Punkt and seeded langdetect, outside this repository).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evalkit.scoring.ifeval import INSTRUCTIONS, judge

CASES_FILE = Path(__file__).resolve().parent.parent / "cases" / "ifeval_cases.jsonl"
CASES: list[dict[str, Any]] = [
    json.loads(line) for line in CASES_FILE.read_text(encoding="utf-8").splitlines() if line
]


def test_case_table_covers_every_instruction_with_a_pass_and_a_fail() -> None:
    ids = {case["id"] for case in CASES}
    assert len(ids) == len(CASES), "case ids must be unique"
    for instruction_id in INSTRUCTIONS:
        verdicts = {case["strict"] for case in CASES if case["instruction_id"] == instruction_id}
        assert verdicts == {True, False}, instruction_id


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_case(case: dict[str, Any]) -> None:
    verdicts = judge(
        [case["instruction_id"]], [case["kwargs"]], case.get("prompt", ""), case["response"]
    )
    assert (verdicts.strict[0], verdicts.loose[0]) == (case["strict"], case["loose"])
