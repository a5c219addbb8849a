r"""The MATH answer checker: is the model's final answer the same mathematical object as gold?

Grading conventions
-------------------
Two metrics per sample, as for GSM8K (:mod:`~evalkit.scoring.math.extract`): ``strict`` reads
the declared final answer only (the last box outside check remarks, with the boxes that list
the same answer just before it, or a later "final answer is X" / "Answer: X" phrase, or the
math under an answer heading); ``flexible`` (the score's value) also reads a reply that is
only the answer, "Answer" directly followed by math, and a concluding last sentence ("…,
which is 1,250.5 metres."). ``<think>`` reasoning and a base model's run-on into the next
few-shot problem are ignored. No answer → 0 with reason ``no_answer_found``; a hedge ("$5$, or
possibly $6$") → 0 with reason ``hedged``; output cut at ``max_tokens`` → reason ``truncated``
(declared answers only, still scored when there is one).

Equal means the same mathematical object:

- Numbers are exact: ``\frac12`` = ``0.5`` = ``1/2`` = ``\dfrac{1}{2}`` = ``2^{-1}``; big integers
  compare exactly; a decimal equals only the exact value it writes, so ``0.333`` ≠ ``1/3``,
  ``3.14`` ≠ ``\pi``, ``1.41`` ≠ ``\sqrt2``. ``0.\overline{3}`` = ``1/3``. ``1.5e3`` and
  ``1.5 \times 10^3`` = ``1500``. ``\infty`` equals only itself.
- Irrational constants agree to 30 significant digits (``2\sqrt5`` = ``\sqrt{20}``); expressions
  in variables agree at four fixed points (``x^2+7x+10`` = ``(x+2)(x+5)``: the checker does
  not know the question asked for a factored form). ``i`` is the imaginary unit, ``e`` is
  Euler's number, other letters are case-sensitive variables; ``\log`` is base 10.
- Ignored: ``$``, ``\boxed``, ``\left``/``\right``, ``\displaystyle``, spacing commands, ``\$``,
  units (``\text{ cm}^2``, trailing ``inches``, ``square units``), a trailing period,
  thousands separators (``10,\!080``, ``58,500``: a lone ``d,ddd`` is a number, not a list).
  Percent follows the ``percent`` task parameter: ``number`` (default, MATH's convention)
  drops the sign, ``20\%`` = ``20`` ≠ ``0.2``; ``fraction`` reads ``20\%`` as ``0.2`` (≠
  ``20``); ``either`` accepts both readings of a percent written on one side only. ``20
  percent`` and ``20 pct`` are ``20\%``. Degree marks are dropped,
  ``90^\circ`` = ``90`` (≠ ``\frac{\pi}{2}``), except inside a trig function, where they
  convert: ``\sin 30^\circ`` = ``\frac12``.
- Mixed numbers: an integer followed by a proper integer fraction, ``3\frac12`` = ``7/2``
  (``2\frac{3}{2}`` is a product). LaTeX argument rules: ``\frac12`` = ``1/2``, ``\sqrt2``; but
  ``2^10`` is read as ``2^{10}``, as the writer meant.
- Lists of solutions (``1, 2``, ``\{1, 2\}``, ``1 \pm 2``, ``x = 1 \text{ or } x = 2``) are
  unordered and ignore repeats; extra or missing members are wrong, so a hedge (``5 \text{ or }
  6``) never matches a single gold answer.
- Tuples ``(a, b)`` are ordered and need brackets; a column/row vector equals the tuple of its
  entries; a labelled point ``(x, y) = (1, 2)`` or ``x = 1, y = 2`` is the tuple of its
  coordinates in alphabetical order of their names (``(r, \theta)``, ``(\rho, \theta, \phi)``
  keep theirs), so ``y = -1, x = 3`` = ``(3, -1)``; matrices compare by shape and entries;
  intervals keep open/closed ends (``[2,3)`` ≠ ``(2,3)``); unions, set differences,
  ``\mathbb{R}`` and one-variable inequalities (``x < 2`` = ``(-\infty, 2)``,
  ``x < 2 \text{ or } x > 3`` = ``(-\infty, 2) \cup (3, \infty)``, ``x \ne 3``) compare as
  sets of reals.
- Equations: ``x = 5`` = ``5`` (a lone variable on the left is a label), ``y = 5`` ≠ ``x = 5``;
  other equations match when ``lhs - rhs`` agree up to sign (the same plane written
  ``-5x + 7y - 11z - 4 = 0`` matches; a multiple of it does not). ``x \in [a, b]`` = ``[a, b]``;
  ``x \in \{1, 2\}`` = ``1, 2``.
- Based numerals compare as written: ``2516_8`` = ``2516_{8}`` = ``2516`` (digits read in the
  gold's base) but ≠ ``1358`` (its decimal value: the question asked for base 8); a decimal
  gold ``11`` ≠ ``1011_2`` (the question asked for base 10) but = ``11_{10}``.
- Labels: ``AB = 4``, ``f(x) = 1`` and ``x = 4`` label the value on their right (a product of
  distinct variables on the left is a label), so they equal ``4``/``1`` and each other when the
  labels agree; gold ``p = 5, q = 2`` equals ``5, 2`` in that order (not ``2, 5``). A
  predicted ``a + b = 7`` states ``7`` against a gold that is not an equation. Lines and
  curves: see :mod:`~evalkit.scoring.math.equations` (``y = 2x + 3`` = ``2y = 4x + 6`` =
  ``x = (y - 3)/2``; general forms only up to sign).
- Plain text (:mod:`~evalkit.scoring.math.plaintext`, :mod:`~evalkit.scoring.math.words`):
  ``sqrt(2)``, ``2pi``, ``inf``/``oo``, ``(-inf, 2) U (3, inf)``, ``2 1/2``, ``(101)_2``,
  ``x != 3``, ``{1, 2}``, ``1\,000``, ``forty-two``, ``3 million``, ``three quarters``.
- Multiple choice: ``\text{(B)}`` = ``B`` = ``(B)`` = ``\textbf{(B) } 12``.
- Prose answers (``\text{Evelyn}``) match case-insensitively.

Safety: model text is never evaluated; the parser builds sympy objects directly and refuses
absurd sizes (power towers, ``(10^{100})!``, 5,000-digit literals, ``1e999999999``) before any
evaluation. :class:`MathChecker` runs each comparison in a killable worker with a time and
memory bound. Verdicts depend only on the two strings (no hash or set order).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args

from evalkit.errors import ConfigError
from evalkit.scoring.math.compare import answers_equal
from evalkit.scoring.math.errors import AnswerError
from evalkit.scoring.math.extract import extract_answers
from evalkit.scoring.math.forms import based_verdict, choice_verdict, prose_verdict, text_verdict
from evalkit.scoring.math.normalize import PercentReading, normalize_answer
from evalkit.scoring.math.parse import parse_answer
from evalkit.scoring.math.pool import DEFAULT_TIMEOUT_S, MathChecker, Verdict, shared_checker
from evalkit.types import Completion, Sample, Score

__all__ = ["MathChecker", "MathScorer", "PercentConvention", "is_equiv", "make_math_scorer"]

MAX_INPUT_CHARS = 10_000
"""Longer answers are only compared for exact equality."""

PercentConvention = Literal["number", "fraction", "either"]
r"""How ``\%`` is read: ``number`` (``20\%`` = 20), ``fraction`` (= 0.2) or ``either``."""


def _equiv(
    gold: str, pred: str, gold_percent: PercentReading, pred_percent: PercentReading
) -> bool:
    gold_text = normalize_answer(gold, gold_percent)
    pred_text = normalize_answer(pred, pred_percent)
    if gold_text == pred_text:  # same spelling after normalisation (spaces already collapsed)
        return True
    if not pred_text or not gold_text:
        return False
    for form in (choice_verdict, based_verdict, prose_verdict, text_verdict):
        verdict = form(gold_text, pred_text)
        if verdict is not None:
            return verdict
    try:
        return answers_equal(parse_answer(gold_text), parse_answer(pred_text))
    except AnswerError:
        return False
    except Exception:  # noqa: BLE001 - sympy raises many types on odd input; all mean "no".
        return False


def _has_percent(text: str) -> bool:
    return normalize_answer(text, "number") != normalize_answer(text, "fraction")


def is_equiv(gold: str, pred: str, percent: PercentConvention = "number") -> bool:
    r"""Whether ``pred`` denotes the same mathematical object as ``gold``.

    Pure and deterministic, but unbounded in time on adversarial input: call it inside a
    :class:`MathChecker` worker (or on trusted strings). ``percent`` says what ``\%`` means.

    >>> is_equiv(r"\frac{1}{2}", "0.5")
    True
    >>> is_equiv(r"\pi", "3.14")
    False
    >>> is_equiv("1, 2", r"2 \text{ and } 1")
    True
    >>> is_equiv("0.2", "20%"), is_equiv("0.2", "20%", percent="either")
    (False, True)
    """
    if len(gold) > MAX_INPUT_CHARS or len(pred) > MAX_INPUT_CHARS:
        return gold.strip() == pred.strip()
    if percent == "fraction":
        return _equiv(gold, pred, "fraction", "fraction")
    if _equiv(gold, pred, "number", "number"):
        return True
    if percent == "number" or _has_percent(gold) == _has_percent(pred):
        return False
    # "either": a percent on one side only may also mean its fraction (20% against 0.2).
    return _equiv(gold, pred, "fraction", "fraction")


class MathScorer:
    r"""Scores a completion against ``sample.target`` (a MATH ``answer`` string).

    Args:
        timeout_s: Bound on each comparison.
        checker: Worker pool to use (default: the process-wide :func:`shared_checker`).
        percent: What ``\%`` means (:data:`PercentConvention`).
    """

    __slots__ = ("_checker", "percent", "timeout_s")

    def __init__(
        self,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        checker: MathChecker | None = None,
        percent: PercentConvention = "number",
    ) -> None:
        self.timeout_s = timeout_s
        self.percent = percent
        self._checker = checker

    def _verdict(self, gold: str, answer: str | None) -> Verdict | None:
        if answer is None:
            return None
        checker = self._checker or shared_checker()
        return checker.verdict(gold, answer, self.timeout_s, self.percent)

    def score(self, sample: Sample, completion: Completion) -> Score:
        """Read the strict and flexible answers and compare each with gold in a bounded worker."""
        truncated = completion.finish_reason == "length"
        found = extract_answers(completion.text, truncated=truncated)
        strict, flexible = found.strict.answer, found.flexible.answer
        strict_verdict = self._verdict(sample.target, strict)
        flexible_verdict = (
            strict_verdict if flexible == strict else self._verdict(sample.target, flexible)
        )
        value = 1.0 if flexible_verdict == "equal" else 0.0
        details = {
            "extraction": found.flexible.method,
            "strict_answer": strict,
            "strict_extraction": found.strict.method,
        }
        return Score(
            value,
            flexible,
            _reason(flexible_verdict, hedged=found.hedged, truncated=truncated),
            {"strict": 1.0 if strict_verdict == "equal" else 0.0, "flexible": value},
            details=details,
        )


def _reason(verdict: Verdict | None, *, hedged: bool, truncated: bool) -> str | None:
    """Why the flexible verdict is what it is, when that is notable."""
    if verdict is None:
        return "hedged" if hedged else "truncated" if truncated else "no_answer_found"
    reasons: dict[str, str] = {"timeout": "timeout", "crashed": "checker_error"}
    return reasons.get(verdict) or ("truncated" if truncated else None)


def make_math_scorer(params: Mapping[str, Any]) -> MathScorer:
    """Build the MATH scorer from task parameters.

    Args:
        params: The task's parameters; ``timeout_s`` (positive number of seconds per
            comparison, default 1.0) and ``percent`` (``number``, ``fraction`` or ``either``,
            default ``number``) are read, the rest belong to the prompt.

    Raises:
        ConfigError: On a bad ``timeout_s`` or ``percent``.
    """
    # Other task parameters (prompt settings) are not the scorer's business.
    timeout = params.get("timeout_s", DEFAULT_TIMEOUT_S)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ConfigError(f"math scorer: timeout_s must be a positive number, got {timeout!r}")
    percent = params.get("percent", "number")
    if percent not in get_args(PercentConvention):
        choices = ", ".join(get_args(PercentConvention))
        raise ConfigError(f"math scorer: percent must be one of {choices}, got {percent!r}")
    return MathScorer(timeout_s=float(timeout), percent=percent)
