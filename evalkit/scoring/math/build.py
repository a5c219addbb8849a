"""Building exact sympy values from parsed pieces, within size bounds.

Every sympy object the parser makes goes through a :class:`Builder`, which refuses values that
would take unbounded time or memory *before* sympy evaluates them: power towers
(``9^{9^{9^9}}``), huge factorials (``(10^{100})!``), literals of thousands of digits,
``1e999999999``. Refusal raises :class:`AbsurdAnswerError`; the checker then says "not equal".
No string ever reaches ``sympify``/``parse_expr``: numbers are built from Python ints.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy

from evalkit.scoring.math.errors import AbsurdAnswerError, AnswerSyntaxError

MAX_LITERAL_DIGITS = 1000
"""Longest numeral read (digits before and after the point); big integers compare exactly."""

MAX_SCI_EXPONENT = 1000
r"""Largest ``|k|`` in ``1.5e{k}`` / ``\times 10^{k}`` style literals."""

MAX_NUMBER_BITS = 100_000
"""Largest exact rational (numerator or denominator bits) one operation may produce."""

MAX_TOTAL_BITS = 1_000_000
"""Budget of bits over all exact numbers built for one answer."""

MAX_SYMBOLIC_EXPONENT = 1000
r"""Largest integer exponent of a non-rational base (``x^{1000}``, ``(1+\sqrt2)^{1000}``)."""

MAX_REAL_EXPONENT = 1_000_000.0
r"""Largest magnitude of a non-rational numeric exponent (``2^{\pi \cdot 10^6}``)."""

MAX_ROOT_INDEX = 1000
r"""Largest root index / exponent denominator evaluated (``\sqrt[1000]{2}``)."""

MAX_FACTORIAL = 5000
"""Largest integer whose factorial (or binomial top) is evaluated."""

FUNCTIONS: dict[str, Callable[..., Any]] = {
    "\\sin": sympy.sin,
    "\\cos": sympy.cos,
    "\\tan": sympy.tan,
    "\\cot": sympy.cot,
    "\\sec": sympy.sec,
    "\\csc": sympy.csc,
    "\\arcsin": sympy.asin,
    "\\arccos": sympy.acos,
    "\\arctan": sympy.atan,
    "\\sinh": sympy.sinh,
    "\\cosh": sympy.cosh,
    "\\tanh": sympy.tanh,
    "\\exp": sympy.exp,
    "\\ln": sympy.log,
    "\\log": sympy.log,
}
"""LaTeX function commands and the sympy function each one means."""

INVERSE_TRIG = {"\\sin": "\\arcsin", "\\cos": "\\arccos", "\\tan": "\\arctan"}
r"""``\sin^{-1}`` means ``\arcsin``."""


def _bits(value: Any) -> int:
    """Size in bits of an exact rational (0 for anything else)."""
    if isinstance(value, sympy.Rational):
        return max(int(value.p).bit_length(), int(value.q).bit_length())
    return 0


class Builder:
    """Makes sympy values for one answer and keeps its size budget."""

    def __init__(self) -> None:
        self._spent = 0

    def _charge(self, value: Any) -> Any:
        bits = _bits(value)
        if bits > MAX_NUMBER_BITS:
            raise AbsurdAnswerError("number too large")
        self._spent += bits
        if self._spent > MAX_TOTAL_BITS:
            raise AbsurdAnswerError("answer too large")
        return value

    def number(self, text: str, sci: str = "") -> Any:
        """Return the exact rational a decimal numeral denotes (``"0.5"`` → ``1/2``)."""
        whole, _, frac = text.partition(".")
        if len(whole) + len(frac) > MAX_LITERAL_DIGITS:
            raise AbsurdAnswerError("literal too long")
        value = sympy.Rational(int(whole + frac or "0"), 10 ** len(frac))
        if sci:
            if len(sci.lstrip("+-")) > 6 or abs(int(sci)) > MAX_SCI_EXPONENT:
                raise AbsurdAnswerError("exponent too large")
            value = value * sympy.Rational(10) ** int(sci)
        return self._charge(value)

    def repeating(self, text: str, period: str) -> Any:
        r"""Return the rational ``0.1\overline{6}`` denotes (``text="0.1"``, ``period="6"``)."""
        if not period.isdigit() or len(text) + len(period) > MAX_LITERAL_DIGITS:
            raise AnswerSyntaxError("bad repeating decimal")
        whole, _, frac = text.partition(".")
        head = sympy.Rational(int(whole + frac or "0"), 10 ** len(frac))
        tail = sympy.Rational(int(period), (10 ** len(period) - 1) * 10 ** len(frac))
        return self._charge(head + tail)

    def power(self, base: Any, exponent: Any) -> Any:
        """Return ``base ** exponent``, refusing results too large to evaluate."""
        if base.is_Rational and abs(base) in (0, 1) and exponent.is_Rational:
            if base == 0 and exponent.is_negative:
                raise AbsurdAnswerError("division by zero")
            return sympy.Pow(base, exponent)
        if exponent.is_Rational:
            self._check_rational_exponent(base, exponent)
        elif exponent.is_number and not exponent.free_symbols:
            magnitude = abs(complex(exponent.evalf(15)))
            if magnitude > MAX_REAL_EXPONENT:
                raise AbsurdAnswerError("exponent too large")
        return self._charge(sympy.Pow(base, exponent))

    def _check_rational_exponent(self, base: Any, exponent: Any) -> None:
        numerator, denominator = abs(int(exponent.p)), int(exponent.q)
        if denominator > MAX_ROOT_INDEX:
            raise AbsurdAnswerError("root index too large")
        if base.is_Rational:
            if numerator * _bits(base) > MAX_NUMBER_BITS:
                raise AbsurdAnswerError("power too large")
        elif numerator > MAX_SYMBOLIC_EXPONENT:
            raise AbsurdAnswerError("exponent too large")

    def root(self, radicand: Any, index: Any) -> Any:
        """Return the ``index``-th root of ``radicand``."""
        if index.is_Integer and 0 < index <= MAX_ROOT_INDEX:
            return self.power(radicand, sympy.Rational(1, int(index)))
        if index.is_number and not index.is_Integer:
            raise AbsurdAnswerError("unsupported root index")
        return self.power(radicand, 1 / index)

    def factorial(self, arg: Any, double: bool = False) -> Any:
        """Return ``arg!`` (or ``arg!!``): evaluated for small integers, symbolic otherwise."""
        if arg.free_symbols:
            return sympy.factorial2(arg) if double else sympy.factorial(arg)
        if not arg.is_Integer or arg < 0 or arg > MAX_FACTORIAL:
            raise AbsurdAnswerError("factorial out of range")
        value = sympy.factorial2(arg) if double else sympy.factorial(arg)
        return self._charge(value)

    def binomial(self, top: Any, bottom: Any) -> Any:
        r"""Return ``\binom{top}{bottom}``: evaluated for small integers, symbolic otherwise."""
        for part in (top, bottom):
            if part.is_number and (not part.is_Integer or abs(part) > MAX_FACTORIAL):
                raise AbsurdAnswerError("binomial out of range")
        return self._charge(sympy.binomial(top, bottom))

    def function(self, name: str, arg: Any, base: Any = None) -> Any:
        r"""Apply the function a LaTeX command names (``\log_2``: pass ``base``)."""
        if name == "\\log" and base is not None:
            return sympy.log(arg, base)
        if name == "\\log":
            # MATH writes \log for base 10 unless told otherwise; \ln is natural.
            return sympy.log(arg, 10)
        return FUNCTIONS[name](arg)

    def mixed(self, whole: Any, fraction: Any) -> Any:
        r"""Return the mixed number ``3\frac12`` = ``whole + fraction`` (sign of ``whole``)."""
        if whole < 0:
            return whole - fraction
        return whole + fraction
