"""Labelled points: coordinate order and which relations read as a point."""

from __future__ import annotations

from evalkit.scoring.math.normalize import normalize_answer
from evalkit.scoring.math.parse import parse_answer
from evalkit.scoring.math.points import assignments_point, conventional_order, labelled_point


def test_conventional_order() -> None:
    assert conventional_order(["y", "x"]) == [1, 0]
    assert conventional_order(["x_10", "x_2"]) == [1, 0]
    assert conventional_order(["phi", "rho", "theta"]) == [1, 2, 0]
    assert conventional_order(["B", "a"]) == [1, 0]
    assert conventional_order(["x", "x"]) is None


def test_which_relations_are_points() -> None:
    (pair,) = parse_answer(normalize_answer("(y, x) = (2, 1)"))
    point = labelled_point(pair)
    assert point is not None and [str(item.expr) for item in point.items] == ["1", "2"]  # type: ignore[union-attr]
    (interval,) = parse_answer(normalize_answer("x = (2, 1)"))
    assert labelled_point(interval) is None
    assert assignments_point(list(parse_answer(normalize_answer("x=1, y=2")))) is not None
    assert assignments_point(list(parse_answer(normalize_answer("x=1, x=2")))) is None
    assert assignments_point(list(parse_answer(normalize_answer("x=1, y<2")))) is None
    assert assignments_point(list(parse_answer(normalize_answer("x=1")))) is None
