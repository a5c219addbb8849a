r"""Answers as sets of numbers: intervals, unions, named sets, one-variable inequalities.

:func:`to_sympy_set` turns a parsed value into a sympy set when it denotes one, so that
``(-\infty, 2) \cup (3, \infty)``, ``x < 2`` and ``\mathbb{R} \setminus [2, 3]`` can be
compared as sets of reals. A two-item bracket becomes an interval only when its left end is
provably below its right end.
"""

from __future__ import annotations

from typing import Any

import sympy

from evalkit.scoring.math.value import (
    PLUS_MINUS,
    Bracketed,
    NamedSet,
    Relation,
    Scalar,
    SetLiteral,
    SetOperation,
    Value,
)

_NAMED: dict[str, Any] = {
    "reals": sympy.S.Reals,
    "integers": sympy.S.Integers,
    "naturals": sympy.S.Naturals,
    "rationals": sympy.S.Rationals,
    "complexes": sympy.S.Complexes,
    "empty": sympy.S.EmptySet,
}
_OPERATIONS: dict[str, Any] = {
    "cup": sympy.Union,
    "cap": sympy.Intersection,
    "setminus": sympy.Complement,
}
_INEQUALITIES = ("<", "<=", ">", ">=", "=", "!=", "in")
_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "=", "!=": "!="}


def is_label(expr: Any) -> bool:
    r"""Whether ``expr`` names a quantity: a variable or a product of distinct variables.

    ``x``, ``AB`` (a segment), ``f(x)`` (read as ``f \cdot x``), ``m\angle A``: the left
    side of ``AB = 4`` or ``f(x) = x^2`` labels the answer on its right.
    """
    if expr.is_Symbol:
        return bool(expr != PLUS_MINUS)
    if not expr.is_Mul or len(expr.args) > 8:
        return False
    return all(_name_factor(factor) for factor in expr.args)


def _name_factor(factor: Any) -> bool:
    """A variable, or an inverse function's name (``f^{-1}`` of ``f^{-1}(x) = …``)."""
    if factor.is_Pow:
        return bool(factor.exp == -1 and factor.base.is_Symbol)
    return bool(factor.is_Symbol and factor != PLUS_MINUS)


def assigned_value(relation: Relation) -> Value | None:
    r"""The right side of ``x = value``, ``AB = value`` or ``x \in S`` (a label on the left)."""
    if relation.ops not in (("=",), ("in",)):
        return None
    label = relation.terms[0]
    if not isinstance(label, Scalar):
        return None
    if label.expr.is_Symbol and label.expr != PLUS_MINUS:
        return relation.terms[1]
    if relation.ops == ("=",) and is_label(label.expr):
        return relation.terms[1]
    return None


def _interval(value: Bracketed) -> Any:
    if len(value.items) != 2 or not all(isinstance(item, Scalar) for item in value.items):
        return None
    low, high = (item.expr for item in value.items)  # type: ignore[union-attr]
    if not (low.is_extended_real and high.is_extended_real) or (low < high) is not sympy.true:
        return None
    return sympy.Interval(low, high, value.left == "(", value.right == ")")


def to_sympy_set(value: Value) -> Any:
    """The sympy set ``value`` denotes, or ``None`` when it is not a set of numbers."""
    if isinstance(value, Bracketed):
        return _interval(value)
    if isinstance(value, NamedSet):
        return _NAMED[value.name]
    if isinstance(value, SetLiteral):
        if not all(isinstance(item, Scalar) for item in value.items):
            return None
        return sympy.FiniteSet(*(item.expr for item in value.items))  # type: ignore[union-attr]
    if isinstance(value, SetOperation):
        left, right = to_sympy_set(value.left), to_sympy_set(value.right)
        if left is None or right is None:
            return None
        return _OPERATIONS[value.op](left, right)
    if isinstance(value, Relation):
        return relation_set(value)
    return None


def _variable(relation: Relation) -> Any:
    """The one variable of a relation whose other sides are real constants, else ``None``."""
    found = None
    for index, term in enumerate(relation.terms):
        is_set_side = index > 0 and relation.ops[index - 1] == "in"
        if is_set_side:
            continue
        if not isinstance(term, Scalar):
            return None
        if term.expr.is_Symbol:
            if found is not None and found != term.expr:
                return None
            found = term.expr
        elif term.expr.free_symbols or not term.expr.is_extended_real:
            return None
    return found


def _half_line(op: str, bound: Value) -> Any:
    """The set of ``x`` with ``x op bound``."""
    if op == "in":
        return to_sympy_set(bound)
    if not isinstance(bound, Scalar):
        return None
    c = bound.expr
    return {
        "<": sympy.Interval.open(-sympy.oo, c),
        "<=": sympy.Interval(-sympy.oo, c),
        ">": sympy.Interval.open(c, sympy.oo),
        ">=": sympy.Interval(c, sympy.oo),
        "=": sympy.FiniteSet(c),
        "!=": sympy.Complement(sympy.S.Reals, sympy.FiniteSet(c)),
    }[op]


def relation_set(relation: Relation) -> Any:
    r"""``-2 \le x < 7`` as ``[-2, 7)``; ``None`` unless it constrains one real variable."""
    if any(op not in _INEQUALITIES for op in relation.ops):
        return None
    variable = _variable(relation)
    if variable is None:
        return None
    result: Any = sympy.S.Reals
    for index, op in enumerate(relation.ops):
        left, right = relation.terms[index], relation.terms[index + 1]
        if isinstance(left, Scalar) and left.expr == variable:
            part = _half_line(op, right)
        elif isinstance(right, Scalar) and right.expr == variable and op != "in":
            part = _half_line(_FLIP[op], left)
        else:
            return None
        if part is None:
            return None
        result = sympy.Intersection(result, part)
    return result


def union_of_conditions(members: list[Value]) -> Any:
    r"""``x < 2 \text{ or } x > 3`` as one set; ``None`` unless every member is a condition."""
    sets = [relation_set(member) if isinstance(member, Relation) else None for member in members]
    if len(sets) < 2 or any(part is None for part in sets):
        return None
    return sympy.Union(*sets)
