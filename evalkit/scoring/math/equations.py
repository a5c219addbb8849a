r"""Equations as answers: a stated value, and the same line or curve written two ways.

- **A chain.** ``P = \frac{6}{36} = \frac{1}{6}`` states its last side (a worked equality
  written in one line ends with the result).
- **A stated value.** ``a + b = 7`` answers a question whose gold is ``7``: an equation whose
  right side is a constant states that constant (``96 + 48 = 144`` states 144). This reading
  applies to the *prediction* only, against a gold that is not itself an equation (a gold
  ``2x + 3y = 5`` is a line, and ``5`` does not answer it).
- **The same line or curve.** Two equations in two or more variables are equal when
  ``lhs - rhs`` of one is a nonzero constant multiple of the other's *and* at least one of
  them is solved for a variable: ``y = 2x + 3`` equals ``2y = 4x + 6``, ``y - 2x = 3`` and
  ``x = (y - 3)/2``. Two equations both in general form (``10x - 14y + 22z + 8 = 0`` against
  ``5x - 7y + 11z + 4 = 0``) must agree up to sign only: MATH questions that ask for a general
  form fix its scaling (integer coefficients with gcd 1), so a multiple does not answer them.
  Equations in one variable are never rescaled (``2x = 10`` does not answer ``x = 5``).
  Rearrangements that multiply by a variable (``xy = 6`` against ``y = 6/x``) are not
  recognised.
"""

from __future__ import annotations

from typing import Any

from evalkit.scoring.math.scalar import proportional
from evalkit.scoring.math.sets import assigned_value
from evalkit.scoring.math.value import PLUS_MINUS, Relation, Scalar, Value


def stated_value(pred: Value, gold: Value) -> Value | None:
    """The constant that ``pred`` (``a + b = 7``) states, when ``gold`` is not an equation."""
    if isinstance(gold, Relation) or not isinstance(pred, Relation):
        return None
    if len(pred.ops) >= 2 and set(pred.ops) == {"="}:
        return pred.terms[-1]
    if pred.ops != ("=",):
        return None
    if assigned_value(pred) is not None:
        return None  # x = 7 and AB = 7 are labels: compared as such
    left, right = pred.terms
    if not (isinstance(left, Scalar) and isinstance(right, Scalar)):
        return None
    # a + b = 7, and a worked constant 96 + 48 = 144: the right side is what is stated.
    return None if right.expr.free_symbols else right


def _solved(relation: Relation) -> bool:
    """Whether one side is a lone variable (``y = 2x + 3``, ``2x + 3 = y``)."""
    return any(
        isinstance(term, Scalar) and term.expr.is_Symbol and term.expr != PLUS_MINUS
        for term in relation.terms
    )


def same_curve(a: Relation, b: Relation, diff_a: Any, diff_b: Any) -> bool:
    """Whether two equations (``diff = lhs - rhs``) describe the same line or curve."""
    if len((diff_a.free_symbols | diff_b.free_symbols) - {PLUS_MINUS}) < 2:
        return False
    if not (_solved(a) or _solved(b)):
        return False
    return proportional(diff_a, diff_b)
