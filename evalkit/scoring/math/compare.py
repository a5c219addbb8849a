r"""Equality of two parsed answers: lists, tuples, intervals, sets, matrices and relations.

The rules (gold is the reference answer, pred the model's):

- **Lists of solutions** (``1, 2``; ``\{1, 2\}``; ``1 \pm \sqrt2``; ``5 \text{ or } 6``)
  compare as sets: same members, any order, repeats ignored; extra or missing members are
  wrong, so a hedged ``5 \text{ or } 6`` never equals a single gold ``5``.
- **Ordered tuples** ``(a, b, c)`` compare member by member in order; a bare list is not a
  tuple (``2, 4`` does not answer ``(2, 4)``). A column or row vector equals the tuple of its
  entries. A labelled point, ``(x, y) = (1, 2)`` or ``x = 1, y = 2``, is the tuple of its
  coordinates in the conventional order of their names (:mod:`~evalkit.scoring.math.points`).
- **Intervals** keep their ends: ``[2, 3)`` differs from ``(2, 3)``. Unions, intersections,
  named sets and inequalities in one variable (``-2 \le x \le 7``) compare as sets of reals.
- **Matrices** compare by shape and entries.
- **Equations**: ``x = 5`` equals ``5`` (a lone variable on the left is a label), but
  ``y = 5`` differs from ``x = 5``. Other equations are equal when ``lhs - rhs`` agree up to
  sign (``5x - 7y + 11z + 4 = 0`` equals ``-5x + 7y - 11z - 4 = 0``, not ``10x - ...``).
  ``x \in [a, b]`` equals ``[a, b]``; ``x \in \{1, 2\}`` is the list ``x = 1, x = 2``.
- **Scalars**: :func:`~evalkit.scoring.math.scalar.scalar_equal`.
"""

from __future__ import annotations

from typing import Any

import sympy

from evalkit.scoring.math.equations import same_curve, stated_value
from evalkit.scoring.math.points import assignments_point, is_tuple, labelled_point
from evalkit.scoring.math.scalar import scalar_equal
from evalkit.scoring.math.sets import (
    assigned_value,
    relation_set,
    to_sympy_set,
    union_of_conditions,
)
from evalkit.scoring.math.value import (
    PLUS_MINUS,
    Bracketed,
    MatrixValue,
    NamedSet,
    Relation,
    Scalar,
    SetLiteral,
    SetOperation,
    Text,
    Value,
)

MAX_LIST = 30
"""Longest list of solutions compared (member matching is quadratic)."""


def _expand_plus_minus(value: Value) -> list[Value]:
    r"""``1 \pm \sqrt2`` (or ``x = 1 \pm \sqrt2``) as its two members."""
    if isinstance(value, Scalar) and PLUS_MINUS in value.expr.free_symbols:
        return [Scalar(value.expr.subs(PLUS_MINUS, sign)) for sign in (1, -1)]
    if isinstance(value, Relation) and value.ops == ("=",) and assigned_value(value) is not None:
        label, rhs = value.terms
        return [Relation((label, member), ("=",)) for member in _expand_plus_minus(rhs)]
    return [value]


def _opened(item: Value) -> tuple[Value, ...] | None:
    r"""The members of a lone ``\{1, 2\}`` or ``x \in \{1, 2\}`` (as ``x = 1``, ``x = 2``)."""
    if isinstance(item, SetLiteral) and item.items:
        return item.items
    if isinstance(item, Relation) and item.ops == ("in",):
        members = assigned_value(item)
        if isinstance(members, SetLiteral) and members.items:
            label = item.terms[0]
            return tuple(Relation((label, member), ("=",)) for member in members.items)
    return None


def solutions(items: tuple[Value, ...]) -> list[Value]:
    """The members of an answer read as a list of solutions (a lone set is opened)."""
    opened = _opened(items[0]) if len(items) == 1 else None
    if opened is not None:
        items = opened
    members: list[Value] = []
    for item in items:
        members.extend(_expand_plus_minus(item))
    return members


def _distinct(members: list[Value]) -> list[Value]:
    kept: list[Value] = []
    for member in members:
        if not any(values_equal(member, seen) for seen in kept):
            kept.append(member)
    return kept


def same_members(gold: list[Value], pred: list[Value]) -> bool:
    """Whether two lists hold the same members, in any order, ignoring repeats."""
    if len(gold) > MAX_LIST or len(pred) > MAX_LIST:
        return False
    gold, pred = _distinct(gold), _distinct(pred)
    if len(gold) != len(pred):
        return False
    unmatched = list(pred)
    for member in gold:
        match = next((i for i, cand in enumerate(unmatched) if values_equal(member, cand)), None)
        if match is None:
            return False
        unmatched.pop(match)
    return True


def answers_equal(gold: tuple[Value, ...], pred: tuple[Value, ...]) -> bool:
    """Whether two parsed answers (their top-level items) are the same object."""
    gold_members, pred_members = solutions(gold), solutions(pred)
    if not any(isinstance(member, Relation) for member in gold_members):
        # "AB = 5/4 = 1.25, or 1.25": each stated value is a member.
        pred_members = [stated_value(m, gold_members[0]) or m for m in pred_members]
    if len(gold_members) == 1 and len(pred_members) == 1:
        return values_equal(gold_members[0], pred_members[0])
    labelled = _labelled_in_order(gold_members, pred_members)
    if labelled is not None:
        return labelled
    point = _point_equal(gold_members, pred_members)
    if point is not None:
        return point
    conditions = _conditions_equal(gold_members, pred_members)
    if conditions is not None:
        return conditions
    return same_members(gold_members, pred_members)


def _labelled_in_order(gold: list[Value], pred: list[Value]) -> bool | None:
    """Gold ``p = 5, q = 2`` against a bare ``5, 2``: the values in the order gold names them."""
    if len(gold) != len(pred) or len(gold) < 2:
        return None
    labels = [_label(member) if isinstance(member, Relation) else None for member in gold]
    if any(label is None for label in labels) or len(set(labels)) != len(labels):
        return None
    if any(isinstance(member, Relation) for member in pred):
        return None
    pairs = zip(gold, pred, strict=True)
    return all(values_equal(assigned_value(g), p) for g, p in pairs)  # type: ignore[arg-type]


def _point_equal(gold: list[Value], pred: list[Value]) -> bool | None:
    """A tuple answer against coordinate assignments (``(3, -1)`` and ``x = 3, y = -1``)."""
    for single, members in ((gold, pred), (pred, gold)):
        if len(single) == 1 and is_tuple(single[0]):
            point = assignments_point(members)
            if point is not None:
                return values_equal(single[0], point)
    return None


def _conditions_equal(gold: list[Value], pred: list[Value]) -> bool | None:
    """A list of inequalities (``x < 2, x > 3``) read as their union, against a set answer."""
    for members, other in ((pred, gold), (gold, pred)):
        union = union_of_conditions(members)
        if union is not None and len(other) == 1:
            single = to_sympy_set(other[0])
            return single is not None and _same_set(union, single)
    return None


def _is_set_like(value: Value) -> bool:
    return isinstance(value, (SetOperation, NamedSet))


def values_equal(a: Value, b: Value) -> bool:
    """Whether two single answer items denote the same object (symmetric)."""
    if isinstance(a, Relation) or isinstance(b, Relation):
        return _relation_cases(a, b)
    if isinstance(a, Scalar) and isinstance(b, Scalar):
        return scalar_equal(a.expr, b.expr)
    if isinstance(a, Text) or isinstance(b, Text):
        return isinstance(a, Text) and isinstance(b, Text) and _same_text(a, b)
    if isinstance(a, Bracketed) and isinstance(b, Bracketed):
        return _brackets_equal(a, b)
    if _is_set_like(a) or _is_set_like(b):
        return _sets_equal(a, b)
    if isinstance(a, SetLiteral) and isinstance(b, SetLiteral):
        return same_members(list(a.items), list(b.items))
    if isinstance(a, MatrixValue) or isinstance(b, MatrixValue):
        return _matrix_cases(a, b)
    return False


def _same_text(a: Text, b: Text) -> bool:
    return " ".join(a.text.split()).casefold() == " ".join(b.text.split()).casefold()


def _brackets_equal(a: Bracketed, b: Bracketed) -> bool:
    if (a.left, a.right) != (b.left, b.right):
        # [-\infty, 0] is (-\infty, 0]: compare intervals as sets of reals.
        return len(a.items) == len(b.items) == 2 and _sets_equal(a, b)
    if len(a.items) != len(b.items):
        return False
    return all(values_equal(x, y) for x, y in zip(a.items, b.items, strict=True))


def _sets_equal(a: Value, b: Value) -> bool:
    left, right = to_sympy_set(a), to_sympy_set(b)
    if left is None or right is None:
        return False
    return _same_set(left, right)


def _same_set(left: Any, right: Any) -> bool:
    if left == right:
        return True
    difference = sympy.SymmetricDifference(left, right)
    return bool(difference.is_empty is True or difference == sympy.S.EmptySet)


def _matrix_entries(value: Value) -> tuple[tuple[int, int], list[Any]] | None:
    """Shape and entries of a matrix, or of a tuple read as a vector (shape ``(0, n)``)."""
    if isinstance(value, MatrixValue):
        rows = value.rows
        return (len(rows), len(rows[0])), [entry for row in rows for entry in row]
    if not isinstance(value, Bracketed) or (value.left, value.right) != ("(", ")"):
        return None
    entries = [item.expr for item in value.items if isinstance(item, Scalar)]
    return ((0, len(entries)), entries) if len(entries) == len(value.items) else None


def _matrix_cases(a: Value, b: Value) -> bool:
    left, right = _matrix_entries(a), _matrix_entries(b)
    if left is None or right is None:
        return False
    (shape_a, entries_a), (shape_b, entries_b) = left, right
    if 0 in (shape_a[0], shape_b[0]):
        # A tuple matches a column or row vector of the same length.
        vector = shape_b if shape_a[0] == 0 else shape_a
        if 1 not in vector or len(entries_a) != len(entries_b):
            return False
    elif shape_a != shape_b:
        return False
    return all(scalar_equal(x, y) for x, y in zip(entries_a, entries_b, strict=True))


def _relation_cases(a: Value, b: Value) -> bool:
    a, b = labelled_point(a) or a, labelled_point(b) or b
    if not isinstance(a, Relation) and not isinstance(b, Relation):
        return values_equal(a, b)
    if isinstance(a, Relation) and isinstance(b, Relation):
        return _relations_equal(a, b)
    if isinstance(a, Relation):
        relation, other = a, b
    elif isinstance(b, Relation):
        relation, other = b, a
    else:
        return False
    value = assigned_value(relation)
    if value is not None:
        return values_equal(value, other)
    as_set = relation_set(relation)
    if as_set is not None and isinstance(other, (Bracketed, SetOperation, NamedSet)):
        return _sets_equal(relation, other)
    return False


def _relations_equal(a: Relation, b: Relation) -> bool:
    label_a, label_b = _label(a), _label(b)
    if label_a is not None and label_a == label_b:
        return values_equal(a.terms[1], b.terms[1])
    if label_a is not None and label_b is not None:
        # y = 2x + 3 and x = (y - 3)/2: one line solved for two variables; x = 5 is not y = 5.
        return a.ops == b.ops == ("=",) and _sides_equal(a, b)
    if relation_set(a) is not None and relation_set(b) is not None:
        return _sets_equal(a, b)
    if a.ops != b.ops and a.ops != tuple(_FLIPPED.get(op, op) for op in reversed(b.ops)):
        return False
    if len(a.ops) != 1 or len(b.ops) != 1:
        return False
    return _sides_equal(a, b)


_FLIPPED = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}


def _label(relation: Relation) -> Any:
    r"""The label of ``x = value`` / ``AB = value`` / ``x \in S``, else ``None``."""
    if assigned_value(relation) is None:
        return None
    first = relation.terms[0]
    return first.expr if isinstance(first, Scalar) else None


def _sides_equal(a: Relation, b: Relation) -> bool:
    r"""``lhs - rhs`` of two single relations agree (up to sign for ``=`` and ``\ne``)."""
    if not all(isinstance(term, Scalar) for term in a.terms + b.terms):
        return False
    diff_a = a.terms[0].expr - a.terms[1].expr  # type: ignore[union-attr]
    diff_b = b.terms[0].expr - b.terms[1].expr  # type: ignore[union-attr]
    if a.ops != b.ops:
        diff_b = -diff_b  # x < 5 written as 5 > x
    if scalar_equal(diff_a, diff_b):
        return True
    if a.ops[0] not in ("=", "!="):
        return False
    if scalar_equal(diff_a, -diff_b):
        return True
    return a.ops[0] == "=" and same_curve(a, b, diff_a, diff_b)
