"""Answer extraction from responses: tests/cases/math_extract.jsonl and the thinking rules."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from evalkit.scoring.math_extract import extract_answer, last_boxed, strip_thinking

CASES_PATH = Path(__file__).resolve().parents[1] / "cases" / "math_extract.jsonl"
CASES = [json.loads(line) for line in CASES_PATH.read_text(encoding="utf-8").splitlines() if line]


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_case(case: dict[str, str | None]) -> None:
    assert extract_answer(str(case["response"])).answer == case["answer"]


def test_method_is_recorded() -> None:
    assert extract_answer(r"so $\boxed{3}$").method == "boxed"
    assert extract_answer("The final answer is 3.").method == "phrase"
    assert extract_answer("no idea").method == "none"


def test_strip_thinking() -> None:
    assert strip_thinking("<think>a</think>b") == "b"
    assert strip_thinking("x<think>a") == "x"
    assert strip_thinking("a</think>b</think>c") == "c"
    assert strip_thinking("plain") == "plain"


def test_last_boxed_skips_incomplete_and_empty_boxes() -> None:
    assert last_boxed(r"\boxed{1} \boxed{} \boxed{2") == "1"
    assert last_boxed(r"\boxed") is None
    assert last_boxed(r"\boxed{a{b}c}") == "a{b}c"


@pytest.mark.parametrize(
    "response",
    [
        "\\boxed{" * 30000,
        "\\boxed $" * 30000,
        "answer:" + " " * 100000 + "x",
        "The final answer is $" * 10000,
        "{" * 100000 + "\\boxed{1}",
        "<think>" * 10000,
    ],
    ids=["unclosed-boxes", "bare-boxes", "spaces", "open-dollars", "open-braces", "thinks"],
)
def test_extraction_is_linear_on_hostile_responses(response: str) -> None:
    start = time.monotonic()
    extract_answer(response)
    assert time.monotonic() - start < 1.0
