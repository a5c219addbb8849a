r"""Points written with coordinate labels: ``(x, y) = (1, 2)`` and ``x = 3, y = -1``.

A careful grader reads both as the ordered pair they name, so both equal gold ``(1, 2)`` /
``(3, -1)``. The coordinates are put in the conventional order of their names, whatever
order they were written in:

- the coordinate systems ``(r, \theta)``, ``(r, \theta, z)`` and ``(\rho, \theta, \phi)``
  keep that order;
- any other names go in alphabetical order (``x, y, z``; ``a, b, c``; ``x_1, x_2``; case
  ignored first), so ``y = -1, x = 3`` is also ``(3, -1)`` and ``(y, x) = (2, 1)`` is
  ``(1, 2)``.

Labels must be distinct lone variables (``x = 1, x = 2`` is a list of solutions, not a
point). When the question asked for another order (``(b, a)``) this reading is wrong; MATH
has no such answers among its ordered pairs.
"""

from __future__ import annotations

import re

from evalkit.scoring.math.sets import assigned_value
from evalkit.scoring.math.value import PLUS_MINUS, Bracketed, Relation, Scalar, Value

_COORDINATE_SYSTEMS = (("r", "theta"), ("r", "theta", "z"), ("rho", "theta", "phi"))
_DIGITS = re.compile(r"\d+")


def _name(value: Value) -> str | None:
    """The name of a lone variable, else ``None``."""
    if isinstance(value, Scalar) and value.expr.is_Symbol and value.expr != PLUS_MINUS:
        return str(value.expr.name)
    return None


def _sort_key(name: str) -> tuple[str, str]:
    # x_2 before x_10: digit runs compare by value.
    padded = _DIGITS.sub(lambda match: match.group().zfill(12), name)
    return padded.casefold(), padded


def conventional_order(names: list[str]) -> list[int] | None:
    """Positions of ``names`` in the conventional order of a point's coordinates.

    Returns ``None`` when names repeat.

    >>> conventional_order(["y", "x"])
    [1, 0]
    >>> conventional_order(["theta", "r"])
    [1, 0]
    """
    if len(set(names)) != len(names):
        return None
    for system in _COORDINATE_SYSTEMS:
        if sorted(names) == sorted(system):
            return [names.index(name) for name in system]
    return sorted(range(len(names)), key=lambda i: _sort_key(names[i]))


def _point(names: list[str | None], values: list[Value]) -> Bracketed | None:
    if len(names) < 2 or any(name is None for name in names):
        return None
    order = conventional_order([name for name in names if name is not None])
    if order is None:
        return None
    return Bracketed(tuple(values[i] for i in order), "(", ")")


def labelled_point(value: Value) -> Bracketed | None:
    """``(x, y) = (1, 2)`` as the tuple ``(1, 2)`` in conventional order, else ``None``."""
    if not isinstance(value, Relation) or value.ops != ("=",):
        return None
    labels, values = value.terms
    if not (isinstance(labels, Bracketed) and isinstance(values, Bracketed)):
        return None
    if (labels.left, labels.right, values.left, values.right) != ("(", ")", "(", ")"):
        return None
    if len(labels.items) != len(values.items):
        return None
    return _point([_name(label) for label in labels.items], list(values.items))


def assignments_point(members: list[Value]) -> Bracketed | None:
    """``x = 3, y = -1`` (two or more distinct labels) as the tuple ``(3, -1)``, else ``None``."""
    names: list[str | None] = []
    values: list[Value] = []
    for member in members:
        if not isinstance(member, Relation) or member.ops != ("=",):
            return None
        value = assigned_value(member)
        if value is None:
            return None
        names.append(_name(member.terms[0]))
        values.append(value)
    return _point(names, values)


def is_tuple(value: Value) -> bool:
    """Whether ``value`` is a parenthesised tuple of two or more items (or a labelled one)."""
    if labelled_point(value) is not None:
        return True
    if not isinstance(value, Bracketed):
        return False
    return (value.left, value.right) == ("(", ")") and len(value.items) >= 2
