r"""The mathematical values an answer can denote, as the parser builds them.

A parsed answer is a tuple of :data:`Value` items (one item unless the answer is a top-level
list such as ``1, 2`` or ``5 \text{ or } 6``). Scalars hold exact sympy expressions (decimals
are exact rationals); structures keep their brackets so the comparison can tell an ordered pair
from an interval from a set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import sympy

PLUS_MINUS = sympy.Symbol("_pm")
r"""Stands for the sign of ``\pm`` inside a scalar (``\mp`` is its negation). A name no answer
can spell: the lexer makes one symbol per letter."""


@dataclass(frozen=True, slots=True)
class Scalar:
    r"""A number or expression, exact (``0.5`` is ``1/2``; ``\pi`` is ``pi``)."""

    expr: Any


@dataclass(frozen=True, slots=True)
class Bracketed:
    """A bracketed sequence: ``(a, b)`` pair or open interval, ``[a, b)`` interval, tuple.

    Attributes:
        items: The elements in order.
        left: ``"("`` or ``"["``.
        right: ``")"`` or ``"]"``.
    """

    items: tuple[Value, ...]
    left: str
    right: str


@dataclass(frozen=True, slots=True)
class SetLiteral:
    r"""``\{a, b\}``: order and repetition do not matter."""

    items: tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class NamedSet:
    r"""A named set: the reals, integers, ... (``\mathbb{R}``) or the empty set."""

    name: Literal["reals", "integers", "naturals", "rationals", "complexes", "empty"]


@dataclass(frozen=True, slots=True)
class SetOperation:
    r"""``A \cup B``, ``A \cap B`` or ``A \setminus B``."""

    op: Literal["cup", "cap", "setminus"]
    left: Value
    right: Value


@dataclass(frozen=True, slots=True)
class MatrixValue:
    """A matrix from ``pmatrix``/``bmatrix``/...: rows of exact scalar expressions."""

    rows: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True, slots=True)
class Relation:
    r"""An equation, inequality or membership, possibly chained (``-2 \le x < 7``).

    Attributes:
        terms: The compared sides, ``len(ops) + 1`` of them.
        ops: ``"="``, ``"<"``, ``"<="``, ``">"``, ``">="``, ``"!="`` or ``"in"``.
    """

    terms: tuple[Value, ...]
    ops: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Text:
    r"""Prose: ``\text{Evelyn}``, ``\text{even}``."""

    text: str


Value = Scalar | Bracketed | SetLiteral | NamedSet | SetOperation | MatrixValue | Relation | Text
"""Anything a single answer item can be."""
