r"""The MATH answer checker: is the model's final answer the same mathematical object as gold?

Grading conventions
-------------------
Extraction (:mod:`~evalkit.scoring.math.extract`): ``<think>`` blocks are ignored; a base
model's run-on into the next few-shot problem (a ``Problem:``/``Question:``/``Solution:`` line
after an answer) is cut; the answer is the last complete ``\boxed{}``/``\fbox{}`` (nested braces,
``\boxed 5``) outside check/verification/discard remarks (``Check: $\boxed{2\cdot5+1=11}$``
after ``$\boxed{5}$`` answers 5), else the last "final answer is X" / "Answer: X" phrase
(filler such as "therefore" skipped), else "... is $X$" under a "Final Answer" heading or in
the last sentence after ``</think>``. No answer → score 0, reason ``no_answer_found``; output
cut at ``max_tokens`` → reason ``truncated`` (still scored if an answer was found).

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
  ``\%`` is dropped as MATH does: ``20\%`` = ``20`` (≠ ``0.2``). Degree marks are dropped,
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
- Multiple choice: ``\text{(B)}`` = ``B`` = ``(B)`` = ``\textbf{(B) } 12``.
- Prose answers (``\text{Evelyn}``) match case-insensitively.

Safety: model text is never evaluated; the parser builds sympy objects directly and refuses
absurd sizes (power towers, ``(10^{100})!``, 5,000-digit literals, ``1e999999999``) before any
evaluation. :class:`MathChecker` runs each comparison in a killable worker with a time and
memory bound. Verdicts depend only on the two strings (no hash or set order).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalkit.errors import ConfigError
from evalkit.scoring.math.compare import answers_equal
from evalkit.scoring.math.errors import AnswerError
from evalkit.scoring.math.extract import extract_answer
from evalkit.scoring.math.forms import based_verdict, choice_verdict, prose_verdict
from evalkit.scoring.math.normalize import normalize_answer
from evalkit.scoring.math.parse import parse_answer
from evalkit.scoring.math.pool import DEFAULT_TIMEOUT_S, MathChecker, shared_checker
from evalkit.types import Completion, Sample, Score

__all__ = ["MathChecker", "MathScorer", "is_equiv", "make_math_scorer"]

MAX_INPUT_CHARS = 10_000
"""Longer answers are only compared for exact equality."""


def is_equiv(gold: str, pred: str) -> bool:
    r"""Whether ``pred`` denotes the same mathematical object as ``gold``.

    Pure and deterministic, but unbounded in time on adversarial input: call it inside a
    :class:`MathChecker` worker (or on trusted strings).

    >>> is_equiv(r"\frac{1}{2}", "0.5")
    True
    >>> is_equiv(r"\pi", "3.14")
    False
    >>> is_equiv("1, 2", r"2 \text{ and } 1")
    True
    """
    if len(gold) > MAX_INPUT_CHARS or len(pred) > MAX_INPUT_CHARS:
        return gold.strip() == pred.strip()
    gold_text, pred_text = normalize_answer(gold), normalize_answer(pred)
    if gold_text == pred_text:  # same spelling after normalisation (spaces already collapsed)
        return True
    if not pred_text or not gold_text:
        return False
    for form in (choice_verdict, based_verdict, prose_verdict):
        verdict = form(gold_text, pred_text)
        if verdict is not None:
            return verdict
    try:
        return answers_equal(parse_answer(gold_text), parse_answer(pred_text))
    except AnswerError:
        return False
    except Exception:  # noqa: BLE001 - sympy raises many types on odd input; all mean "no".
        return False


class MathScorer:
    """Scores a completion against ``sample.target`` (a MATH ``answer`` string).

    Args:
        timeout_s: Bound on each comparison.
        checker: Worker pool to use (default: the process-wide :func:`shared_checker`).
    """

    __slots__ = ("_checker", "timeout_s")

    def __init__(
        self, timeout_s: float = DEFAULT_TIMEOUT_S, checker: MathChecker | None = None
    ) -> None:
        self.timeout_s = timeout_s
        self._checker = checker

    def score(self, sample: Sample, completion: Completion) -> Score:
        """Extract the final answer and compare it with gold in a bounded worker."""
        extraction = extract_answer(completion.text)
        truncated = completion.finish_reason == "length"
        details = {"extraction": extraction.method}
        if extraction.answer is None:
            missing = "truncated" if truncated else "no_answer_found"
            return Score(0.0, None, missing, {"accuracy": 0.0}, details=details)
        checker = self._checker or shared_checker()
        verdict = checker.verdict(sample.target, extraction.answer, self.timeout_s)
        value = 1.0 if verdict == "equal" else 0.0
        reasons: dict[str, str] = {"timeout": "timeout", "crashed": "checker_error"}
        reason = reasons.get(verdict) or ("truncated" if truncated else None)
        return Score(value, extraction.answer, reason, {"accuracy": value}, details=details)


def make_math_scorer(params: Mapping[str, Any]) -> MathScorer:
    """Build the MATH scorer from task parameters.

    Args:
        params: The task's parameters; only ``timeout_s`` (positive number of seconds per
            comparison, default 1.0) is read, the rest belong to the prompt.

    Raises:
        ConfigError: On a bad ``timeout_s``.
    """
    # Other task parameters (prompt settings) are not the scorer's business.
    timeout = params.get("timeout_s", DEFAULT_TIMEOUT_S)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ConfigError(f"math scorer: timeout_s must be a positive number, got {timeout!r}")
    return MathScorer(timeout_s=float(timeout))
