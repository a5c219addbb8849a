r"""The atoms of the answer grammar: numbers, letters, commands, groups and matrices.

:class:`AtomReader` is the bottom layer of :class:`~evalkit.scoring.math.parse.AnswerParser`;
it calls back into the parser for anything bracketed. It knows which LaTeX commands mean what
(``\frac``, ``\sqrt[3]{}``, ``\sin^2 x``, ``\log_2 8``, ``\pi``, ``\mathbb{R}`` ...) and
how LaTeX reads an unbraced macro argument (one character: ``\frac12``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy

from evalkit.scoring.math.build import FUNCTIONS, INVERSE_TRIG
from evalkit.scoring.math.errors import AnswerSyntaxError
from evalkit.scoring.math.value import MatrixValue, NamedSet, Scalar, Text, Value

if TYPE_CHECKING:
    from evalkit.scoring.math.parse import AnswerParser

GREEK = frozenset(
    [
        "alpha",
        "beta",
        "gamma",
        "delta",
        "epsilon",
        "varepsilon",
        "zeta",
        "eta",
        "theta",
        "vartheta",
        "iota",
        "kappa",
        "lambda",
        "mu",
        "nu",
        "xi",
        "rho",
        "sigma",
        "tau",
        "upsilon",
        "phi",
        "varphi",
        "chi",
        "psi",
        "omega",
        "Gamma",
        "Delta",
        "Theta",
        "Lambda",
        "Xi",
        "Sigma",
        "Upsilon",
        "Phi",
        "Psi",
        "Omega",
        "angle",
        "triangle",
    ]
)
r"""Greek letter commands, read as symbols (``\pi`` is the constant)."""

MATRIX_ENVIRONMENTS = frozenset({"pmatrix", "bmatrix", "Bmatrix", "matrix", "smallmatrix", "array"})
"""Environments read as matrices (``vmatrix`` is a determinant and is not accepted)."""

TRIG = frozenset({"\\sin", "\\cos", "\\tan", "\\cot", "\\sec", "\\csc"})
r"""Functions whose argument may be in degrees (``\sin 30^\circ``)."""

_NAMED_SETS: dict[str, Any] = {
    "R": "reals",
    "Z": "integers",
    "N": "naturals",
    "Q": "rationals",
    "C": "complexes",
}
_CONSTANTS: dict[str, Any] = {"\\pi": sympy.pi, "\\infty": sympy.oo}
_OTHER_ATOMS = frozenset(
    {"\\frac", "\\sqrt", "\\binom", "\\lfloor", "\\lceil", "\\mathbb", "\\emptyset", "\\varnothing"}
)


class AtomReader:
    """Reads one atom at the parser's cursor (composition: it holds the parser)."""

    def __init__(self, parser: AnswerParser) -> None:
        self._p = parser
        self._cursor = parser.cursor

    def starts_atom(self, command: str) -> bool:
        """Whether ``command`` can begin an atom (so juxtaposition multiplies by it)."""
        name = command[1:]
        return (
            command in FUNCTIONS
            or command in _CONSTANTS
            or command in _OTHER_ATOMS
            or name in GREEK
        )

    def atom(self) -> Value:
        """Read the next atom.

        Raises:
            AnswerSyntaxError: When the next token cannot start an atom.
        """
        token = self._cursor.peek
        if token.kind == "num":
            return self._number()
        if token.kind == "letter":
            return self._symbol()
        if token.kind == "op" and token.text in "([":
            return self._p.bracketed()
        if token.kind == "op" and token.text == "{":
            return self._p.brace_group()
        if token.kind == "op" and token.text == "|":
            return self._p.absolute()
        if token.kind == "cmd" and token.text == "\\{":
            return self._p.set_literal()
        if token.kind == "begin":
            return self._matrix()
        if token.kind == "text" and self._cursor.peek_at(1).kind == "eof":
            self._cursor.advance()
            return Text(token.text.strip())
        if token.kind == "cmd":
            return self._command()
        raise AnswerSyntaxError(f"unexpected {token.text!r}")

    def _number(self) -> Value:
        token = self._cursor.advance()
        if self._cursor.accept("cmd", "\\overline"):
            period = self._raw_argument()
            return Scalar(self._p.build.repeating(token.text, period))
        if self._cursor.accept("op", "_"):
            return Scalar(self._based(token.text, self._raw_argument()))
        return Scalar(self._p.build.number(token.text, token.sci))

    def _based(self, digits: str, base_text: str) -> Any:
        """The value of ``digits`` written in base ``base_text`` (``1011_2`` is 11)."""
        if not base_text.isdigit() or not 2 <= int(base_text) <= 36 or not digits.isalnum():
            raise AnswerSyntaxError("bad base subscript")
        try:
            return sympy.Integer(int(digits, int(base_text)))
        except ValueError as err:
            raise AnswerSyntaxError("digit out of range for base") from err

    def _raw_argument(self) -> str:
        """The source text of a one-token or braced argument (subscripts, periods)."""
        if not self._cursor.accept("op", "{"):
            return self._cursor.advance().text
        parts: list[str] = []
        while not self._cursor.at("op", "}"):
            token = self._cursor.advance()
            if token.kind in ("eof", "text") or token.text == "{":
                raise AnswerSyntaxError("bad subscript")
            parts.append(token.text)
        self._cursor.advance()
        return "".join(parts)

    def _symbol(self) -> Value:
        name = self._cursor.advance().text
        if self._cursor.accept("op", "_"):
            return Scalar(sympy.Symbol(f"{name}_{self._raw_argument()}"))
        if name == "i":
            return Scalar(sympy.I)
        if name == "e":
            return Scalar(sympy.E)
        return Scalar(sympy.Symbol(name))

    def argument(self) -> Any:
        r"""A macro argument: a braced group, or one token (``\frac12``, ``\sqrt2``)."""
        if self._cursor.at("op", "{"):
            return self._scalar(self._p.group())
        self._cursor.take_argument_digit()
        token = self._cursor.peek
        if token.kind == "num":
            self._cursor.advance()
            return self._p.build.number(token.text, token.sci)
        if token.kind == "letter":
            return self._scalar(self._symbol())
        if token.kind == "cmd":
            return self._scalar(self._command())
        raise AnswerSyntaxError("missing argument")

    def _scalar(self, value: Value) -> Any:
        if isinstance(value, Scalar):
            return value.expr
        raise AnswerSyntaxError("expected a number or expression")

    def _command(self) -> Value:
        token = self._cursor.advance()
        name = token.text
        if name in _CONSTANTS:
            return Scalar(_CONSTANTS[name])
        if name[1:] in GREEK:
            return Scalar(sympy.Symbol(name[1:]))
        if name in FUNCTIONS:
            return Scalar(self._function(name))
        if name == "\\frac":
            numerator, denominator = self.argument(), self.argument()
            return Scalar(self._p._divide(numerator, denominator))
        if name == "\\sqrt":
            return Scalar(self._sqrt())
        if name == "\\binom":
            return Scalar(self._p.build.binomial(self.argument(), self.argument()))
        if name in ("\\lfloor", "\\lceil"):
            return Scalar(self._rounding(name))
        if name in ("\\emptyset", "\\varnothing"):
            return NamedSet("empty")
        if name == "\\mathbb":
            return self._named_set()
        raise AnswerSyntaxError(f"unknown command {name}")

    def _sqrt(self) -> Any:
        index = None
        if self._cursor.accept("op", "["):
            index = self._scalar(self._p.sum())
            self._cursor.expect("op", "]")
        # sqrt(2) in plain text: the parenthesised group is the radicand.
        radicand = self._scalar(self.atom()) if self._cursor.at("op", "(") else self.argument()
        if index is None:
            return self._p.build.power(radicand, sympy.Rational(1, 2))
        return self._p.build.root(radicand, index)

    def _rounding(self, name: str) -> Any:
        inner = self._scalar(self._p.sum())
        if name == "\\lfloor":
            self._cursor.expect("cmd", "\\rfloor")
            return sympy.floor(inner)
        self._cursor.expect("cmd", "\\rceil")
        return sympy.ceiling(inner)

    def _named_set(self) -> Value:
        letter = self._raw_argument()
        if letter not in _NAMED_SETS:
            raise AnswerSyntaxError(f"unknown set \\mathbb{{{letter}}}")
        return NamedSet(_NAMED_SETS[letter])

    def _function(self, name: str) -> Any:
        r"""``\sin x``, ``\sin^2(x)``, ``\sin^{-1} x``, ``\log_2 8``, ``\ln(x)``."""
        base = None
        exponent = None
        if name == "\\log" and self._cursor.accept("op", "_"):
            base = self.argument()
        if self._cursor.accept("op", "^"):
            exponent = self._p.exponent()
            if exponent == -1 and name in INVERSE_TRIG:
                name, exponent = INVERSE_TRIG[name], None
        trig = name in TRIG
        self._p.trig_depth += trig
        try:
            argument = self._function_argument()
        finally:
            self._p.trig_depth -= trig
        value = self._p.build.function(name, argument, base)
        if exponent is not None:
            value = self._p.build.power(value, exponent)
        return value

    def _function_argument(self) -> Any:
        """``(x)``, ``{x}``, or an unbraced run of factors up to the next function (``2x``)."""
        if self._cursor.at("op", "(") or self._cursor.at("op", "{"):
            return self._scalar(self.atom())
        value = self._scalar(self._p.power())
        while self._continues_argument():
            value = value * self._scalar(self._p.power())
        return value

    def _continues_argument(self) -> bool:
        token = self._cursor.peek
        if token.kind in ("num", "letter"):
            return True
        return token.kind == "cmd" and (token.text in _CONSTANTS or token.text[1:] in GREEK)

    def at_integer_fraction(self) -> bool:
        r"""Whether the cursor is at ``\frac{p}{q}`` with integer literals, ``0 < p < q``."""
        start = self._cursor.position
        try:
            return self._read_integer_fraction() is not None
        finally:
            self._cursor.rewind(start)

    def integer_fraction(self) -> Any:
        r"""Read the ``\frac{p}{q}`` :meth:`at_integer_fraction` found."""
        fraction = self._read_integer_fraction()
        if fraction is None:
            raise AnswerSyntaxError("expected a proper fraction")
        return fraction

    def _read_integer_fraction(self) -> Any:
        if not self._cursor.accept("cmd", "\\frac"):
            return None
        numerator = self._integer_argument()
        denominator = self._integer_argument() if numerator is not None else None
        if numerator is None or denominator is None or not 0 < numerator < denominator:
            return None
        return sympy.Rational(numerator, denominator)

    def _integer_argument(self) -> int | None:
        braced = self._cursor.accept("op", "{")
        if not braced:
            self._cursor.take_argument_digit()
        token = self._cursor.peek
        if token.kind != "num" or not token.text.isdigit() or len(token.text) > 100:
            return None
        self._cursor.advance()
        if braced and not self._cursor.accept("op", "}"):
            return None
        return int(token.text)

    def _matrix(self) -> Value:
        env = self._cursor.advance().text
        if env not in MATRIX_ENVIRONMENTS:
            raise AnswerSyntaxError(f"unsupported environment {env}")
        if env == "array" and self._cursor.at("op", "{"):
            self._raw_argument()
        rows: list[tuple[Any, ...]] = []
        cells: list[Any] = []
        while not self._cursor.at("end"):
            cells.append(self._scalar(self._p.sum()))
            if self._cursor.accept("cmd", "\\\\") or self._cursor.at("end"):
                rows.append(tuple(cells))
                cells = []
            else:
                self._cursor.expect("op", "&")
        if self._cursor.advance().text != env or not rows:
            raise AnswerSyntaxError("bad matrix")
        if len({len(row) for row in rows}) != 1:
            raise AnswerSyntaxError("ragged matrix")
        return MatrixValue(tuple(rows))
