"""RULER scoring: string_match_all (recall of the expected values) and string_match_part (any)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.longctx.scorer import expected, make_ruler_scorer
from evalkit.scoring import SCORERS
from evalkit.types import Completion, Sample

CASES = [
    json.loads(line)
    for line in (Path(__file__).parent / "ruler_cases.jsonl").read_text().splitlines()
    if line.strip()
]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_ruler_cases(case):
    sample = Sample("s", 0, {"answers": case["answers"]}, " | ".join(case["answers"]))
    completion = Completion(case["reply"], finish_reason=case.get("finish_reason", "stop"))
    score = make_ruler_scorer({}).score(sample, completion)
    assert score.metrics == pytest.approx(
        {"string_match_all": case["all"], "string_match_part": case["part"]}
    )
    assert score.value == pytest.approx(case["all"])
    assert score.reason == case.get("reason")
    assert len(score.details["found"]) + len(score.details["missing"]) == len(case["answers"])


def test_the_scorer_is_registered_and_reads_the_target_without_answers():
    scorer = SCORERS.get("ruler")({})
    sample = Sample("s", 0, {}, "12345 | QXRTA")
    assert expected(sample) == ["12345", "QXRTA"]
    assert scorer.score(sample, Completion("qxrta")).value == 0.5
