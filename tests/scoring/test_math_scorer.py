"""The MATH scorer: values, extracted answers and reasons; parameter validation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from evalkit.errors import ConfigError
from evalkit.scoring import SCORERS
from evalkit.scoring.math.scorer import MathChecker, MathScorer, make_math_scorer
from evalkit.types import Completion, Sample


@pytest.fixture(scope="module")
def checker() -> Iterator[MathChecker]:
    with MathChecker(workers=1) as pool:
        yield pool


def _score(checker: MathChecker, target: str, text: str, finish: str = "stop", timeout: float = 30):
    scorer = MathScorer(timeout_s=timeout, checker=checker)
    sample = Sample(id="s", index=0, data={}, target=target)
    return scorer.score(sample, Completion(text=text, finish_reason=finish))  # type: ignore[arg-type]


def test_correct_answer(checker: MathChecker) -> None:
    score = _score(checker, r"\frac{1}{2}", r"So $x = \boxed{0.5}$.")
    assert (score.value, score.answer, score.reason) == (1.0, "0.5", None)
    assert score.metrics == {"strict": 1.0, "flexible": 1.0}


def test_wrong_answer(checker: MathChecker) -> None:
    score = _score(checker, r"\pi", r"$\boxed{3.14}$")
    assert (score.value, score.answer, score.reason) == (0.0, "3.14", None)
    assert score.metrics == {"strict": 0.0, "flexible": 0.0}


def test_unmarked_answer_counts_under_flexible_only(checker: MathChecker) -> None:
    score = _score(checker, "1250.5", "Adding the legs, the path is 1,250.5 metres long. So the total is 1,250.5 metres.")
    assert (score.value, score.answer, score.metrics) == (1.0, "1,250.5", {"strict": 0.0, "flexible": 1.0})
    assert score.details["strict_answer"] is None and score.details["extraction"] == "closing"


def test_later_final_answer_beats_an_intermediate_box(checker: MathChecker) -> None:
    score = _score(checker, "7", "First $\\boxed{3}$ is the width.\n\nFinal answer: 7")
    assert score.metrics == {"strict": 1.0, "flexible": 1.0}


def test_hedge_is_wrong_under_both(checker: MathChecker) -> None:
    score = _score(checker, "5", "The answer is $5$, or possibly $6$.")
    assert (score.value, score.reason, score.metrics) == (0.0, "hedged", {"strict": 0.0, "flexible": 0.0})


@pytest.mark.parametrize(
    ("percent", "gold", "reply", "equal"),
    [
        ("number", "20", "The answer is 20%.", True),
        ("number", "0.2", "The answer is 20%.", False),
        ("fraction", "0.2", "The answer is 20 percent.", True),
        ("fraction", "20", "The answer is 20%.", False),
        ("either", "0.2", "The answer is 20%.", True),
        ("either", "20", "The answer is 20 pct.", True),
        ("either", "20", "The answer is 0.2.", False),
    ],
)
def test_percent_convention(checker: MathChecker, percent: str, gold: str, reply: str, equal: bool) -> None:
    scorer = MathScorer(timeout_s=30, checker=checker, percent=percent)  # type: ignore[arg-type]
    score = scorer.score(Sample(id="s", index=0, data={}, target=gold), Completion(text=reply))
    assert score.value == float(equal)


def test_no_answer_found(checker: MathChecker) -> None:
    score = _score(checker, "5", "I cannot solve this.")
    assert (score.value, score.answer, score.reason) == (0.0, None, "no_answer_found")


def test_truncated_without_answer(checker: MathChecker) -> None:
    score = _score(checker, "5", "Let me think: first", finish="length")
    assert (score.value, score.answer, score.reason) == (0.0, None, "truncated")


def test_truncated_with_an_earlier_answer_is_still_scored(checker: MathChecker) -> None:
    score = _score(checker, "5", r"$\boxed{5}$ and to double check \boxed{", finish="length")
    assert (score.value, score.answer, score.reason) == (1.0, "5", "truncated")


def test_timeout_reason(checker: MathChecker) -> None:
    score = _score(checker, "5", r"$\boxed{\lfloor e^{\pi \cdot 10^{5}} \rfloor}$", timeout=0.5)
    assert (score.value, score.reason) == (0.0, "timeout")


def test_thinking_is_ignored(checker: MathChecker) -> None:
    score = _score(checker, "4", r"<think>\boxed{5}</think> The answer is $\boxed{4}$.")
    assert score.value == 1.0


def test_factory_and_registry() -> None:
    scorer = make_math_scorer({"timeout_s": 2, "shots": 4})  # prompt params are ignored
    assert isinstance(scorer, MathScorer) and scorer.timeout_s == 2.0 and scorer.percent == "number"
    assert make_math_scorer({"percent": "either"}).percent == "either"
    assert isinstance(SCORERS.get("math")({}), MathScorer)


@pytest.mark.parametrize(
    "params", [{"timeout_s": 0}, {"timeout_s": "1"}, {"timeout_s": True}, {"percent": "decimal"}]
)
def test_factory_rejects_bad_params(params: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        make_math_scorer(params)
