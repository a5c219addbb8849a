r"""Equality of two exact scalar expressions (numbers, constants, expressions in variables).

Strategy, cheapest first:

1. Structurally equal after sympy's automatic evaluation → equal (``2^{-1}`` is ``1/2``).
2. Both rational (every decimal is an exact rational) → exact comparison, so ``0.333`` is not
   ``1/3`` and ``3.14`` is not ``\pi``; big integers compare exactly.
3. Infinities, ``nan`` and ``zoo`` are only equal to themselves.
4. Constants (no variables) → both evaluated to 40 significant digits; equal when they agree
   to 30 (relative). Inputs are exact, so only the same number passes: a decimal
   approximation of an irrational fails at its last written digit.
5. Expressions in variables → evaluated the same way at four fixed points (three positive, one
   negative; the same points in every process); equal when they agree at all of them, which is
   how ``x^2+7x+10`` equals ``(x+2)(x+5)`` and ``\cot x`` equals ``\cos x / \sin x``. If no
   point can be evaluated, ``expand(a - b) == 0`` decides.
"""

from __future__ import annotations

from typing import Any

import sympy

DIGITS = 40
"""Significant digits each side is evaluated to."""

TOLERANCE = sympy.Float("1e-30", DIGITS)
"""Relative agreement required between two evaluated values."""

_POINT_VALUES = (
    sympy.Rational(37, 29),
    sympy.Rational(113, 71),
    sympy.Rational(5, 11),
    sympy.Rational(-19, 13),
    sympy.Rational(53, 23),
    sympy.Rational(7, 17),
)
_POINTS = 4
_SPECIAL = (sympy.oo, -sympy.oo, sympy.zoo, sympy.nan)


def _evaluate(expr: Any, subs: dict[Any, Any] | None = None) -> Any:
    """Return ``expr`` as a sympy complex float, or ``None`` when it is not a finite number."""
    value = expr.evalf(DIGITS, subs=subs) if subs else expr.evalf(DIGITS)
    if not value.is_number or value.has(*_SPECIAL):
        return None
    real, imag = value.as_real_imag()
    if not (real.is_Number and imag.is_Number):
        return None
    return real + sympy.I * imag


def _close(left: Any, right: Any) -> bool:
    scale = max(sympy.Float(1), abs(left), abs(right))
    return bool(abs(left - right) <= TOLERANCE * scale)


def numbers_close(a: Any, b: Any, subs: dict[Any, Any] | None = None) -> bool | None:
    """Whether two constant expressions agree to 30 digits; ``None`` if either will not evaluate."""
    left, right = _evaluate(a, subs), _evaluate(b, subs)
    if left is None or right is None:
        return None
    return _close(left, right)


def _points(symbols: list[Any]) -> list[dict[Any, Any]]:
    """The fixed evaluation points for ``symbols`` (sorted by name: no hash-order dependence)."""
    count = len(_POINT_VALUES)
    return [
        {symbol: _POINT_VALUES[(index * 2 + point) % count] for index, symbol in enumerate(symbols)}
        for point in range(_POINTS)
    ]


def _expressions_equal(a: Any, b: Any) -> bool:
    symbols = sorted(a.free_symbols | b.free_symbols, key=lambda symbol: symbol.name)
    evaluated = 0
    for subs in _points(symbols):
        verdict = numbers_close(a, b, subs)
        if verdict is False:
            return False
        evaluated += verdict is True
    if evaluated:
        return True
    return bool(sympy.expand(a - b) == 0)


def proportional(a: Any, b: Any) -> bool:
    """Whether ``a`` is a nonzero constant multiple of ``b`` (both expressions in variables).

    Checked at the fixed points: the ratio ``a / b`` must be defined, nonzero and the same at
    every one of them (``2x - y + 3`` and ``y - 2x - 3`` have ratio -1; ``x`` and ``x^2`` fail).
    """
    symbols = sorted(a.free_symbols | b.free_symbols, key=lambda symbol: symbol.name)
    if not symbols or _is_special(a) or _is_special(b):
        return False
    ratio = None
    for subs in _points(symbols):
        left, right = _evaluate(a, subs), _evaluate(b, subs)
        if left is None or right is None or _close(right, sympy.Float(0)):
            return False
        current = left / right
        if ratio is None:
            if _close(current, sympy.Float(0)):
                return False
            ratio = current
        elif not _close(current, ratio):
            return False
    return True


def _is_special(expr: Any) -> bool:
    return bool(expr.has(*_SPECIAL))


def scalar_equal(a: Any, b: Any) -> bool:
    """Whether two exact scalar expressions denote the same value (see module docstring)."""
    if a == b:
        return True
    if a.is_Rational and b.is_Rational:
        return False
    if _is_special(a) or _is_special(b):
        return False
    if not a.free_symbols and not b.free_symbols:
        return numbers_close(a, b) is True
    return _expressions_equal(a, b)
