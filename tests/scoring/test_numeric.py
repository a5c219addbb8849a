"""GSM8K scoring: the case table, the Score contract, number forms, speed, and real model outputs."""

from __future__ import annotations

import doctest
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from evalkit.scoring import SCORERS
from evalkit.scoring.numeric import extract as extract_module
from evalkit.scoring.numeric import read as read_module
from evalkit.scoring.numeric import scorer as numeric_module
from evalkit.scoring.numeric import words as words_module
from evalkit.scoring.numeric.extract import extract_answers, read_statement
from evalkit.scoring.numeric.scorer import (
    GSM8KScorer,
    answer_text,
    format_number,
    make_gsm8k_scorer,
    response_part,
    same_number,
)
from evalkit.types import Completion, FinishReason, Sample, Score

CASES_FILE = Path(__file__).resolve().parents[1] / "cases" / "gsm8k_extraction.jsonl"
CASES: list[dict[str, Any]] = [
    json.loads(line) for line in CASES_FILE.read_text(encoding="utf-8").splitlines() if line
]
SOLUTION_FIELDS = ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification")


def _score(text: str, gold: str = "18", finish: FinishReason = "stop") -> Score:
    sample = Sample(id="q1", index=0, data={}, target=gold)
    return make_gsm8k_scorer({}).score(sample, Completion(text=text, finish_reason=finish))


# --- the case table ----------------------------------------------------------------------------


def test_case_table_is_large_and_covers_the_styles() -> None:
    ids = [c["id"] for c in CASES]
    assert len(CASES) >= 150
    assert len(set(ids)) == len(ids)
    texts = [c["response"] for c in CASES]
    assert sum("</think>" in t or "<think>" in t for t in texts) >= 8
    assert sum("\\boxed" in t for t in texts) >= 15
    assert sum("\nQuestion:" in t or "\nQ:" in t for t in texts) >= 5
    assert sum(any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in texts) >= 5
    assert sum(c["answer"] is None for c in CASES) >= 15
    assert sum(c.get("finish_reason") == "length" for c in CASES) >= 6
    assert sum(c["strict"] != c["flexible"] for c in CASES) >= 40
    assert sum(" or " in (c["answer"] or "") for c in CASES) >= 8


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    score = _score(case["response"], case["gold"], case.get("finish_reason", "stop"))
    assert score.answer == case["answer"]
    assert score.metrics == {"strict": float(case["strict"]), "flexible": float(case["flexible"])}
    assert score.value == float(case["flexible"])


# --- the Score contract ------------------------------------------------------------------------


def test_reasons() -> None:
    assert _score("So she makes $18.").reason is None
    assert _score("So she makes $26.").reason is None
    assert _score("I cannot tell.").reason == "no_answer_found"
    assert _score("She sells 9 eggs and makes", finish="length").reason == "truncated"
    assert _score("The answer is 18. More detail:", finish="length").reason is None
    hedged = _score("The answer is 18 or 20.")
    assert (hedged.reason, hedged.answer, hedged.value) == ("hedged", "18 or 20", 0.0)


def test_strict_answer_is_kept_beside_the_flexible_one() -> None:
    score = _score("The answer is 20. Wait, I made an error: 9 * 2 = 18.")
    assert (score.answer, score.details["strict_answer"]) == ("18", "20")
    assert score.metrics == {"strict": 0.0, "flexible": 1.0}
    assert _score("She makes $18.").details["strict_answer"] is None


def test_scoring_is_pure_and_deterministic() -> None:
    sample = Sample(id="q1", index=0, data={}, target="18")
    completion = Completion(text="Step 1: 16 - 3 - 4 = 9.\n**Answer:** $18")
    scorer = make_gsm8k_scorer({})
    assert scorer.score(sample, completion) == scorer.score(sample, completion)
    assert scorer.score(sample, completion) == GSM8KScorer().score(sample, completion)


def test_registered_factory_builds_the_scorer() -> None:
    assert isinstance(SCORERS.get("gsm8k")({}), GSM8KScorer)


def test_factory_ignores_the_tasks_prompt_parameters() -> None:
    # The runner hands every scorer the task's parameters (few-shot count, CoT ...).
    scorer = make_gsm8k_scorer({"fewshot": 8, "cot": True})
    assert scorer.score(Sample("q", 0, {}, "18"), Completion("#### 18")).metrics["strict"] == 1.0


# --- numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "gold", "equal"),
    [
        ("18.00", "18", True),
        ("$1,250.00", "1250", True),
        ("1 250", "1250", True),
        ("1/2", "0.5", True),
        ("-3", "-3", True),
        ("3", "-3", False),
        ("25%", "25", True),
        ("0.1", "0.10", True),
        ("99999999999999999999999", "99999999999999999999998", False),
        ("100000000000000000000001", "1e23", False),
        ("1.25 million", "1250000", True),
    ],
)
def test_numbers_compare_exactly(written: str, gold: str, equal: bool) -> None:
    assert same_number(read_statement(written, "first"), gold) is equal


def test_magnitude_words_match_the_bare_or_the_scaled_gold() -> None:
    billions = read_statement("26 billion miles", "first")
    assert same_number(billions, "26") and same_number(billions, "26000000000")
    assert not same_number(billions, "26000")
    assert answer_text(billions) == "26 billion"
    assert answer_text(read_statement("$42k", "first")) == "42k"


def test_gold_that_is_not_a_number_is_compared_as_text() -> None:
    assert same_number(read_statement("18", "first"), "18 apples") is False
    assert same_number(None, "18") is False


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Fraction(18), "18"),
        (Fraction(-3), "-3"),
        (Fraction(1, 2), "0.5"),
        (Fraction(-1, 8), "-0.125"),
        (Fraction(3, 40), "0.075"),
        (Fraction(1, 3), "1/3"),
        (Fraction(10**30 + 1, 10**5), "10000000000000000000000000.00001"),
    ],
)
def test_format_number(value: Fraction, text: str) -> None:
    assert format_number(value) == text


def test_degenerate_digit_run_is_an_answer_that_matches_nothing() -> None:
    found = read_statement("7" * 500, "first")
    assert found is not None and found.value is None
    assert answer_text(found) == "7" * 24 + "..."
    assert not same_number(found, "7" * 500)


# --- response parts ----------------------------------------------------------------------------


def test_response_part_drops_thinking_and_next_turns() -> None:
    assert response_part("<think>20</think>\nThe answer is 18.") == "The answer is 18."
    assert response_part("<think>The answer is 18.") == ""
    assert response_part("a</think>b</think>c") == "c"
    assert response_part("Question: 16 eggs?\nShe makes 18.") == "Question: 16 eggs?\nShe makes 18."
    assert response_part("It is 18.\nQuestion: next 20?") == "It is 18."
    assert response_part("\nQuestion: next 20?") == ""
    assert response_part("It is 18.</s>junk 20") == "It is 18."


def test_extraction_of_a_truncated_text_keeps_only_stated_answers() -> None:
    assert extract_answers("So 9 * 2 = 18", truncated=True).flexible is None
    assert extract_answers("So 9 * 2 = 18", truncated=False).flexible is not None
    stated = extract_answers("The answer is 18. Now", truncated=True).flexible
    assert stated is not None and stated.value == 18


# --- adversarial inputs ------------------------------------------------------------------------

HOSTILE = {
    "digits": "1" * 1_000_000,
    "grouped": "1,234" * 200_000,
    "spaces": " " * 1_000_000,
    "markers": "The answer is " * 72_000,
    "hedges": "The answer is 18 or " * 50_000,
    "boxes": "\\boxed{" * 140_000,
    "braces": "\\boxed{1" + "{" * 1_000_000,
    "corrections": "Wait. 1 " * 125_000,
    "checks": "So 5. Check: 5 = 5 ✓ " * 48_000,
    "bold": "**1** " * 166_000,
    "parens": "(" * 500_000 + "1" + ")" * 500_000,
    "minus": "-1" * 500_000,
    "turns": "x\nQ:" * 250_000,
    "think": "<think>" * 140_000,
    "latex": "\\text{" * 160_000,
    "unicode": "½−１８" * 250_000,
    "labels": "Answer: she has 1 by 2 at 3, " * 35_000,
    "confirming_checks": "Wait, let me double-check: yes 1. " * 30_000,
    "sections": "It is 1.\nBreakdown:\n" * 50_000,
    "modifiers": "1 in 2 by 3 at " * 70_000,
    "restated_units": "1 hours and 2 minutes, or " * 40_000,
    "numbered_turns": "x\nQuestion 2:" * 80_000,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_megabyte_of_hostile_text_scores_right(name: str) -> None:
    # Linear scans take a fraction of a second here and catastrophic backtracking hours (so a
    # regression hangs; bench/linear_scoring.py prints the times, test_linear_time guards more
    # shapes in a subprocess). Only the repeated "The answer is 18 or" ends on 18 alone.
    text = HOSTILE[name]
    assert len(text) >= 900_000
    assert _score(text).value == float(name == "hedges")


# --- documentation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "module",
    [numeric_module, extract_module, read_module, words_module],
    ids=lambda m: m.__name__,
)
def test_docstring_examples(module: Any) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 3
    assert result.failed == 0


# --- real model outputs (Cobbe et al. 2021 verifier paper) -------------------------------------


def test_agreement_with_human_labels_on_real_gsm8k_outputs(shared_data: Path) -> None:
    path = shared_data / "gsm8k" / "example_model_solutions.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    assert len(rows) == 1319
    scorer = make_gsm8k_scorer({})
    agree, correct = 0, dict.fromkeys(SOLUTION_FIELDS, 0)
    for index, row in enumerate(rows):
        gold = row["ground_truth"].strip().splitlines()[-1].removeprefix("A:").strip()
        sample = Sample(id=str(index), index=index, data={}, target=gold)
        for field in SOLUTION_FIELDS:  # each solution ends in "A: <answer>"
            verdict = scorer.score(sample, Completion(text=row[field]["solution"])).value == 1.0
            agree += verdict == row[field]["is_correct"]
            correct[field] += verdict
    assert agree == len(rows) * len(SOLUTION_FIELDS)  # 5,276 of 5,276 labels
    shares = {field: round(100 * n / len(rows), 2) for field, n in correct.items()}
    # The data README's is_correct shares; the scorer should land within 0.5 points of each.
    expected = {
        "6b_finetuning": 21.68,
        "6b_verification": 39.04,
        "175b_finetuning": 34.72,
        "175b_verification": 56.25,
    }
    for field, share in expected.items():
        assert shares[field] == pytest.approx(share, abs=0.5), field


def test_reference_solutions_score_with_and_without_their_final_line(shared_data: Path) -> None:
    path = shared_data / "gsm8k" / "test.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    scorer = make_gsm8k_scorer({})
    strict = closing = 0
    for index, row in enumerate(rows):
        body, gold = row["answer"].rsplit("####", 1)
        sample = Sample(id=str(index), index=index, data={}, target=gold.strip().replace(",", ""))
        strict += scorer.score(sample, Completion(text=row["answer"])).metrics["strict"] == 1.0
        # Without "#### N" the answer must be read from the closing sentence (99.1 % measured).
        closing += scorer.score(sample, Completion(text=body.strip())).value == 1.0
    assert strict == len(rows)
    assert closing / len(rows) >= 0.985
