"""Gold against itself on MATH-500: every answer, and the last \\boxed{} of every reference
solution, is equal to the answer (through the worker pool and through the scorer)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from evalkit.scoring.math.extract import last_boxed
from evalkit.scoring.math.scorer import MathChecker, MathScorer, is_equiv
from evalkit.types import Completion, Sample

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("EVALKIT_DATA_DIR", REPO.parent / "shared" / "data"))
MATH500 = DATA / "math" / "test.jsonl"
# Spaces go, except between two letters (``\cot x`` must not become ``\cotx``).
SPACE_OUTSIDE_WORDS = re.compile(r"(?<![A-Za-z]) | (?![A-Za-z])")


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    if not MATH500.is_file():
        pytest.skip(f"MATH-500 not found at {MATH500}")
    lines = MATH500.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line]


def test_every_answer_equals_itself_and_its_boxed_solution(rows: list[dict[str, str]]) -> None:
    assert len(rows) == 500
    pairs = [(row["answer"], row["answer"]) for row in rows]
    for row in rows:
        boxed = last_boxed(row["solution"])
        assert boxed is not None, row["unique_id"]
        pairs.append((row["answer"], boxed))
    with MathChecker(workers=2) as checker:
        verdicts = checker.verdicts(pairs, timeout_s=5.0)
    wrong = [pair for pair, verdict in zip(pairs, verdicts, strict=True) if verdict != "equal"]
    assert wrong == []


def test_every_answer_equals_itself_respelled(rows: list[dict[str, str]]) -> None:
    # Beyond string identity: the same answer in another spelling goes through the parser.
    respelled = 0
    for row in rows:
        answer = row["answer"]
        variant = SPACE_OUTSIDE_WORDS.sub("", answer.replace(r"\frac", r"\dfrac"))
        variant = rf"$\boxed{{{variant}}}$."
        assert is_equiv(answer, variant), (answer, variant)
        respelled += variant != answer
    assert respelled == 500


def test_reference_solutions_score_100_percent(rows: list[dict[str, str]]) -> None:
    with MathChecker(workers=2) as checker:
        scorer = MathScorer(timeout_s=5.0, checker=checker)
        scores = [
            scorer.score(
                Sample(id=row["unique_id"], index=i, data={}, target=row["answer"]),
                Completion(text=row["solution"]),
            )
            for i, row in enumerate(rows)
        ]
    assert sum(score.value for score in scores) == 500
    assert all(score.reason is None for score in scores)
