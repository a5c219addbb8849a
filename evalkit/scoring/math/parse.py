r"""The answer grammar: normalised LaTeX to :mod:`~evalkit.scoring.math.value` values.

A hand-written recursive-descent parser over :mod:`~evalkit.scoring.math.lex` tokens. It builds
exact sympy objects through a size-guarded :class:`~evalkit.scoring.math.build.Builder` and
never hands text to ``sympify``/``parse_expr``/``eval``. Precedence, loosest first::

    answer    := item ((',' | ';') item)*
    item      := setexpr (relop setexpr)*          = < > \le \ge \ne \in
    setexpr   := sum ((\cup | \cap | \setminus) sum)*
    sum       := product (('+' | '-' | \pm | \mp) product)*
    product   := signed (('*' | '/' | \cdot | \times | \div | juxtaposition) signed)*
    signed    := ('-' | '+' | \pm | \mp) signed | power
    power     := atom ('^' argument | '!' | '!!')*
    atom      := number | letter | ( items ) | [ items ) | \{ items \} | | sum | | {item}
               | \frac | \sqrt | \binom | \sin ... | matrix | \pi | \infty | \mathbb{R} ...

Commands the grammar does not know raise :class:`AnswerSyntaxError`.
"""

from __future__ import annotations

from typing import Any

import sympy

from evalkit.scoring.math.atoms import AtomReader
from evalkit.scoring.math.build import Builder
from evalkit.scoring.math.errors import AbsurdAnswerError, AnswerError, AnswerSyntaxError
from evalkit.scoring.math.lex import Cursor, tokenize
from evalkit.scoring.math.value import (
    PLUS_MINUS,
    Bracketed,
    MatrixValue,
    Relation,
    Scalar,
    SetLiteral,
    SetOperation,
    Value,
)

MAX_ANSWER_CHARS = 2000
"""Longer answers are refused before lexing (no MATH answer comes near)."""

MAX_DEPTH = 60
"""Deepest bracket nesting parsed."""

_RELATIONS = {
    "=": "=",
    "<": "<",
    ">": ">",
    "\\le": "<=",
    "\\leq": "<=",
    "\\leqslant": "<=",
    "\\ge": ">=",
    "\\geq": ">=",
    "\\geqslant": ">=",
    "\\ne": "!=",
    "\\neq": "!=",
    "\\in": "in",
    "\\lt": "<",
    "\\gt": ">",
}
_SET_OPS = {"\\cup": "cup", "\\cap": "cap", "\\setminus": "setminus", "\\backslash": "setminus"}
_TIMES = {"*", "\\cdot", "\\times", "\\ast"}
_DIVIDE = {"/", "\\div"}


def scalar(value: Value) -> Any:
    """Return the sympy expression of a :class:`Scalar`.

    Raises:
        AnswerSyntaxError: When ``value`` is a structure (arithmetic on a tuple, a set ...).
    """
    if isinstance(value, Scalar):
        return value.expr
    raise AnswerSyntaxError("arithmetic on a non-scalar")


class AnswerParser:
    """Parses one normalised answer string; use :func:`parse_answer`."""

    def __init__(self, src: str) -> None:
        self.cursor = Cursor(tokenize(src))
        self.build = Builder()
        self.atoms = AtomReader(self)
        self._depth = 0
        self.trig_depth = 0
        """How many trig function arguments enclose the cursor (degrees become radians)."""

    def answer(self) -> tuple[Value, ...]:
        """Parse the whole input as a list of items."""
        items = self.items()
        self.cursor.expect("eof")
        return items

    def items(self) -> tuple[Value, ...]:
        """Parse ``item (, item)*`` (separators ``,`` and ``;``)."""
        found = [self.item()]
        while self.cursor.accept("op", ",") or self.cursor.accept("op", ";"):
            found.append(self.item())
        return tuple(found)

    def item(self) -> Value:
        """Parse a set expression, or a (chained) relation between them."""
        terms = [self.set_expression()]
        ops: list[str] = []
        while (op := self._relation_op()) is not None:
            ops.append(op)
            terms.append(self.set_expression())
        if not ops:
            return terms[0]
        return Relation(tuple(terms), tuple(ops))

    def _relation_op(self) -> str | None:
        token = self.cursor.peek
        if token.kind == "op" and token.text in "<>" and self.cursor.peek_at(1).text == "=":
            self.cursor.advance()
            self.cursor.advance()
            return token.text + "="
        if token.kind in ("op", "cmd") and token.text in _RELATIONS:
            self.cursor.advance()
            return _RELATIONS[token.text]
        return None

    def set_expression(self) -> Value:
        r"""Parse ``sum ((\cup|\cap|\setminus) sum)*``, left-associative."""
        left = self.sum()
        while self.cursor.peek.kind == "cmd" and self.cursor.peek.text in _SET_OPS:
            op = _SET_OPS[self.cursor.advance().text]
            right = self.sum()
            left = SetOperation(op, left, right)  # type: ignore[arg-type]
        return left

    def sum(self) -> Value:
        r"""Parse additive terms; ``\pm``/``\mp`` use the :data:`PLUS_MINUS` sign symbol."""
        left = self.product()
        while True:
            sign = self._additive_sign()
            if sign is None:
                return left
            right = scalar(self.product())
            left = Scalar(scalar(left) + sign * right)

    def _additive_sign(self) -> Any:
        token = self.cursor.peek
        signs = {"+": 1, "-": -1, "\\pm": PLUS_MINUS, "\\mp": -PLUS_MINUS}
        if token.kind in ("op", "cmd") and token.text in signs:
            self.cursor.advance()
            return signs[token.text]
        return None

    def product(self) -> Value:
        """Parse explicit and implicit products and quotients, with mixed numbers."""
        begin = self.cursor.position
        left = self.signed()
        whole = self.cursor.is_integer_literal(begin)
        while True:
            token = self.cursor.peek
            if token.kind in ("op", "cmd") and token.text in _TIMES:
                self.cursor.advance()
                left = self._times(left, self.signed())
            elif token.kind in ("op", "cmd") and token.text in _DIVIDE:
                self.cursor.advance()
                left = self._times(left, Scalar(self._divide(1, scalar(self.signed()))))
            elif self._starts_juxtaposed_factor():
                if whole and self.atoms.at_integer_fraction():
                    # 3\frac12 is three and a half, not three halves.
                    left = Scalar(self.build.mixed(scalar(left), self.atoms.integer_fraction()))
                else:
                    left = self._times(left, self.power())
            else:
                return left
            whole = False

    def _times(self, left: Value, right: Value) -> Value:
        r"""Multiply two scalars, or scale a matrix (``\frac{1}{49}\begin{pmatrix}...``)."""
        if isinstance(left, MatrixValue) and isinstance(right, Scalar):
            left, right = right, left
        if isinstance(right, MatrixValue) and isinstance(left, Scalar):
            rows = tuple(tuple(left.expr * entry for entry in row) for row in right.rows)
            return MatrixValue(rows)
        return Scalar(scalar(left) * scalar(right))

    def _divide(self, numerator: Any, denominator: Any) -> Any:
        if denominator == 0:
            raise AnswerSyntaxError("division by zero")
        return numerator / denominator

    def _starts_juxtaposed_factor(self) -> bool:
        token = self.cursor.peek
        if token.kind == "num" and self.cursor.previous.kind == "num":
            raise AnswerSyntaxError("two numbers side by side")  # "1 2": not a product
        if token.kind in ("num", "letter", "begin"):
            return True
        if token.kind == "op":
            return token.text in "({"
        if token.kind == "cmd":
            return self.atoms.starts_atom(token.text)
        return False

    def signed(self) -> Value:
        """Parse a prefix sign, then a power."""
        token = self.cursor.peek
        if token.kind == "op" and token.text == "-":
            self.cursor.advance()
            return self._negate(self.signed())
        if token.kind == "op" and token.text == "+":
            self.cursor.advance()
            return self.signed()
        if token.kind == "cmd" and token.text in ("\\pm", "\\mp"):
            self.cursor.advance()
            sign = PLUS_MINUS if token.text == "\\pm" else -PLUS_MINUS
            return Scalar(sign * scalar(self.signed()))
        return self.power()

    def _negate(self, value: Value) -> Value:
        return self._times(Scalar(sympy.Integer(-1)), value)

    def power(self) -> Value:
        """Parse an atom with its exponents (right-associative) and factorials."""
        value = self.atoms.atom()
        while True:
            if self.cursor.accept("op", "^"):
                if self.cursor.accept("cmd", "\\circ"):
                    value = self._degrees(value)
                    continue
                exponent = self.exponent()
                value = Scalar(self.build.power(scalar(value), exponent))
            elif self.cursor.at("op", "!"):
                self.cursor.advance()
                double = self.cursor.accept("op", "!")
                value = Scalar(self.build.factorial(scalar(value), double))
            else:
                return value

    def _degrees(self, value: Value) -> Value:
        r"""``30^\circ``: radians inside a trig function, else the bare number (MATH's rule)."""
        if self.trig_depth > 0:
            return Scalar(scalar(value) * sympy.pi / 180)
        return value

    def exponent(self) -> Any:
        """Parse what follows ``^``: a group, or one signed token (``2^10``, ``2^-1``)."""
        if self.cursor.accept("op", "-"):
            return -self.exponent()
        if self.cursor.at("op", "{"):
            return scalar(self.group())
        inner = scalar(self.atoms.atom())
        if self.cursor.accept("op", "^"):
            # a^b^c is a^(b^c), as everyone writing it in plain text means.
            return self.build.power(inner, self.exponent())
        return inner

    def group(self) -> Value:
        """Parse ``{ item }`` and return the item."""
        self.cursor.expect("op", "{")
        with self.nested():
            value = self.item()
        self.cursor.expect("op", "}")
        return value

    def brace_group(self) -> Value:
        r"""Parse ``{ items }`` where an atom may stand: one item, or a list in plain braces.

        ``{1, 2, 3}`` is how plain text writes the set ``\{1, 2, 3\}``.
        """
        self.cursor.expect("op", "{")
        with self.nested():
            items = self.items()
        self.cursor.expect("op", "}")
        return items[0] if len(items) == 1 else SetLiteral(items)

    def nested(self) -> _Depth:
        """Context manager counting bracket depth (refuses absurd nesting)."""
        return _Depth(self)

    def bracketed(self) -> Value:
        """Parse ``( ... )`` / ``[ ... ]`` / mixed: a grouping, tuple, pair or interval."""
        left = self.cursor.advance().text
        with self.nested():
            items = self.items()
        right = self.cursor.advance()
        if right.kind != "op" or right.text not in ")]":
            raise AnswerSyntaxError("unclosed bracket")
        if len(items) == 1 and left + right.text in ("()", "[]"):
            return items[0]
        return Bracketed(items, left, right.text)

    def set_literal(self) -> Value:
        r"""Parse ``\{ items \}`` (the ``\{`` is the next token)."""
        self.cursor.advance()
        if self.cursor.accept("cmd", "\\}"):
            return SetLiteral(())
        with self.nested():
            items = self.items()
        self.cursor.expect("cmd", "\\}")
        return SetLiteral(items)

    def absolute(self) -> Value:
        """Parse ``| sum |``."""
        self.cursor.expect("op", "|")
        with self.nested():
            inner = scalar(self.sum())
        self.cursor.expect("op", "|")
        return Scalar(sympy.Abs(inner))


class _Depth:
    def __init__(self, parser: AnswerParser) -> None:
        self._parser = parser

    def __enter__(self) -> None:
        self._parser._depth += 1
        if self._parser._depth > MAX_DEPTH:
            raise AbsurdAnswerError("nesting too deep")

    def __exit__(self, *exc: object) -> None:
        self._parser._depth -= 1


def parse_answer(src: str) -> tuple[Value, ...]:
    """Parse a normalised answer into its items.

    Args:
        src: Output of :func:`~evalkit.scoring.math.normalize.normalize_answer`.

    Returns:
        One value per top-level item (``"1, 2"`` gives two).

    Raises:
        AnswerError: :class:`AnswerSyntaxError` when the text is not understood,
            :class:`AbsurdAnswerError` when it is too large to evaluate safely.
    """
    if len(src) > MAX_ANSWER_CHARS:
        raise AbsurdAnswerError("answer too long")
    try:
        return AnswerParser(src).answer()
    except AnswerError:
        raise
    except RecursionError as err:
        raise AbsurdAnswerError("nesting too deep") from err
    except (ArithmeticError, TypeError, ValueError, AttributeError) as err:
        # sympy signals impossible constructions (0**-1, Matrix * set ...) with these.
        raise AnswerSyntaxError(str(err)) from err
