"""GSM8K scoring: a numeric final answer compared exactly with the gold number.

This module owns the verdict (strict and flexible, side by side), the reason attached to it, the
recorded form of an answer, and which part of a completion counts as the response (not the
``<think>`` block, not a base model's run-on into the next few-shot question). Finding the answer
inside the response is :mod:`evalkit.scoring.numeric.extract`'s job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from evalkit.scoring.numeric.extract import Answer, extract_answers, read_statement
from evalkit.scoring.response import reply_text
from evalkit.types import Completion, Sample, Score

# "Question 2:", "### Question:", "**Problem 3:**", "Q. ...", "Input: ..." open the next turn.
_NEXT_TURN = re.compile(
    r"\n[ \t]*+(?:#{1,6}[ \t]*+|\*\*|__)?(?:(?:Question|Q|Problem|Human|User|Input)"
    r"(?:[ \t]++\d{1,3})?[ \t]*+(?:\*\*|__)?[ \t]*+[:：]|Q\.[ \t])"
)
_MAGNITUDE = re.compile(r"(?:thousand|million|billion|k)$", re.IGNORECASE)
_MAGNITUDES = {"k": 10**3, "thousand": 10**3, "million": 10**6, "billion": 10**9}
_STOP_TOKENS = ("<|im_end|>", "<|eot_id|>", "<|endoftext|>", "</s>", "<|end|>")

__all__ = [
    "GSM8KScorer",
    "answer_text",
    "format_number",
    "make_gsm8k_scorer",
    "response_part",
    "same_number",
]


def format_number(value: Fraction) -> str:
    """Return the normal form of ``value``: an integer, a finite decimal, or ``p/q``.

    >>> format_number(Fraction(18)), format_number(Fraction(1, 8)), format_number(Fraction(-2, 3))
    ('18', '0.125', '-2/3')
    """
    if value.denominator == 1:
        return str(value.numerator)
    twos, fives, rest = 0, 0, value.denominator
    while rest % 2 == 0:
        rest, twos = rest // 2, twos + 1
    while rest % 5 == 0:
        rest, fives = rest // 5, fives + 1
    if rest != 1:
        return f"{value.numerator}/{value.denominator}"
    places = max(twos, fives)  # 1/(2^a 5^b) has exactly max(a, b) decimal places
    digits = str(abs(value.numerator * 10**places // value.denominator)).rjust(places + 1, "0")
    sign = "-" if value < 0 else ""
    return f"{sign}{digits[:-places]}.{digits[-places:]}".rstrip("0")


def answer_text(answer: Answer) -> str:
    """Return how an answer is recorded: its normal form, or every offer of a hedge.

    >>> from evalkit.scoring.numeric.extract import read_statement
    >>> answer_text(read_statement("€1,250.00", "first"))
    '1250'
    >>> answer_text(read_statement("1/2", "first"))
    '0.5'
    >>> answer_text(read_statement("either 18 or 20.5", "first"))
    '18 or 20.5'
    >>> answer_text(read_statement("2 hours, or 120 minutes", "first"))
    '2 (also 120)'
    """
    shown = answer.offered or (answer.value,)
    degenerate = answer.written[:24] + "..."  # a runaway digit string is shown cut short
    word = _magnitude(answer.written)[0]
    suffix = f" {word}" if len(word) > 1 else word
    text = " or ".join(format_number(v) + suffix if v is not None else degenerate for v in shown)
    also = "".join(f" (also {format_number(v)})" for v in answer.restated if v is not None)
    return text + also


def _magnitude(written: str) -> tuple[str, int]:
    """The word ("million", "k" ...) written after a number, and the scale it names."""
    word = _MAGNITUDE.search(written)
    return (word[0], _MAGNITUDES[word[0].lower()]) if word else ("", 1)


def response_part(text: str) -> str:
    r"""Return the part of a completion that answers: no reasoning block, no next question.

    The reply is read by :func:`~evalkit.scoring.response.reply_text` (reasoning, invisible
    characters and line ends are handled there); a base model's run-on is cut here.

    >>> response_part("<think>maybe 20</think>The answer is 18.\n\nQuestion: Tom has 3 cats.")
    'The answer is 18.'
    >>> response_part("<think>The answer is 18")
    ''
    """
    return _before_next_turn(reply_text(text)).strip()


def _before_next_turn(text: str) -> str:
    """Cut a base model's continuation into the next few-shot question or a leaked stop token."""
    for token in _STOP_TOKENS:
        stop = text.find(token)
        if stop >= 0:
            text = text[:stop]
    content = len(text) - len(text.lstrip())
    digit = re.search(r"\d", text)
    for match in _NEXT_TURN.finditer(text):
        # A question restated before any working is not the next turn; one right away is.
        if match.start() <= content or (digit and digit.start() < match.start()):
            return text[: match.start()]
    return text


def same_number(answer: Answer | None, gold: str) -> bool:
    """Whether ``answer`` commits to exactly the gold number.

    Values are compared as fractions, so ``18.00 == 18`` and ``1/2 == 0.5`` hold exactly and
    big integers never lose digits; ``25%`` counts as ``25``. A hedged answer is never right.
    A gold that is not one plain number is compared as text.

    >>> from evalkit.scoring.numeric.extract import read_statement
    >>> same_number(read_statement("$18.00", "first"), "18")
    True
    >>> same_number(read_statement("18 or 20", "first"), "18")
    False
    >>> same_number(read_statement("2 hours, or 120 minutes", "first"), "120")
    True
    """
    if answer is None or answer.hedged:
        return False
    expected = read_statement(gold, "anchored")
    if expected is None or expected.value is None or expected.written != gold.strip():
        return answer_text(answer) == gold.strip()
    scale = _magnitude(answer.written)[1]
    scaled = answer.value * scale if answer.value is not None else None
    # "26 billion" matches a gold of 26 (counted in billions) as well as 26000000000; "3
    # thousand" and "42k" are 3000 and 42000 only (questions do not count in thousands).
    bare = answer.value if scale == 1 or scale >= 10**6 else None
    # "7 hours and 30 minutes, or 450 minutes" matches 7 and 450: one quantity, two units.
    return expected.value in (bare, scaled, *answer.restated)


@dataclass(frozen=True, slots=True)
class GSM8KScorer:
    """Scores a grade-school-math response against its gold number (see `make_gsm8k_scorer`)."""

    def score(self, sample: Sample, completion: Completion) -> Score:
        """Score ``completion`` against ``sample.target``."""
        truncated = completion.finish_reason == "length"
        found = extract_answers(response_part(completion.text), truncated=truncated)
        strict = same_number(found.strict, sample.target)
        flexible = same_number(found.flexible, sample.target)
        return Score(
            value=float(flexible),
            answer=answer_text(found.flexible) if found.flexible else None,
            reason=_reason(found.flexible, truncated=truncated),
            metrics={"strict": float(strict), "flexible": float(flexible)},
            details={"strict_answer": answer_text(found.strict) if found.strict else None},
        )


def _reason(answer: Answer | None, *, truncated: bool) -> str | None:
    """Why the verdict is what it is, when that is notable."""
    if answer is None:
        return "truncated" if truncated else "no_answer_found"
    return "hedged" if answer.hedged else None


def make_gsm8k_scorer(params: Mapping[str, Any]) -> GSM8KScorer:
    r"""Build the GSM8K scorer; it reads none of the task's parameters (they set the prompt).

    Strategy. The response is what follows ``</think>`` and precedes a run-on "Question:". Two
    verdicts are kept side by side in ``Score.metrics``:

    * ``strict``: the last explicit final-answer statement ("#### N", "The (final) answer is
      N", "Final answer: N", an ``A: N`` line, ``\boxed{N}``) holds the gold number.
    * ``flexible`` (``Score.value``): read as a careful grader would. After the last
      self-correction ("Wait, ..."), the last marker (also "答案是 N") wins; without one,
      trailing checks and notes are set aside and the closing statement gives the number (a
      bold number, the result of "9 * 2 = 18", else the last number outside parentheses and
      outside trailing modifiers: "$18 a day by selling 9 eggs at $2 each" gives 18). A
      "Wait, let me double-check ... Yes" that confirms is a check, not a correction; a
      "Breakdown:" section after a stated answer is set aside like a check.

    Numbers compare exactly as fractions (``$1,250.00 == 1250``, ``1/2 == 0.5``, ``25% == 25``).
    Two different numbers offered together ("18 or 20", "between 15 and 20") are wrong, with
    reason ``hedged``; one quantity restated in another unit of its kind ("7 hours and 30
    minutes, or 450 minutes") is not a hedge, and the gold may match either number (compound
    units are not summed: 7.5 does not match). A response cut at the token limit counts only
    explicit statements, and with none its reason is ``truncated`` (else ``no_answer_found``).

    >>> from evalkit.types import Completion, Sample
    >>> gold = Sample(id="q1", index=0, data={}, target="18")
    >>> scorer = make_gsm8k_scorer({})
    >>> scorer.score(gold, Completion("So 9 * 2 = 18.\n#### 18")).metrics
    {'strict': 1.0, 'flexible': 1.0}
    >>> scorer.score(gold, Completion("The answer is 20. Wait, 9 * 2 = 18.")).metrics
    {'strict': 0.0, 'flexible': 1.0}
    >>> scorer.score(gold, Completion("She makes $18. To double-check, 9 x 2 = 18")).answer
    '18'
    >>> scorer.score(gold, Completion("Janet makes **$18.00** a day (9 eggs x $2).")).answer
    '18'
    >>> scorer.score(gold, Completion("<think>20?</think>The final answer is $\\boxed{18}$")).value
    1.0
    >>> scorer.score(gold, Completion("Either 18 or 20.")).reason
    'hedged'
    >>> scorer.score(gold, Completion("She sells 9 eggs, so", finish_reason="length")).reason
    'truncated'
    """
    del params
    return GSM8KScorer()
