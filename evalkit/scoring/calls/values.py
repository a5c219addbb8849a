"""Argument values of prompt-mode calls: literals read from Python's syntax tree, never evaluated.

A prompt-mode reply such as ``[f(a=1, b="x")]`` is parsed with :func:`ast.parse` and every
argument is read here by walking its node, following the rules of BFCL's decoder
(``bfcl_eval/model_handler/utils.py``, ``resolve_ast_by_type``) so that the same reply gives the
same values:

* constants are themselves (``...`` reads as the text ``"..."``); a bare name reads as its text
  (``x=foo`` gives ``"foo"``); a call without keyword arguments reads as its source text, a call
  with keyword arguments as a nested ``{name: {arg: value}}``; ``a[i]`` reads as its source text;
* lists, tuples and dicts are read element by element (a ``**`` entry or an unhashable key makes
  the reply undecodable);
* a unary operator applied directly to a number gives its negation, whatever the operator
  (``+5`` reads ``-5``, ``not True`` reads ``-1``), as BFCL's decoder does;
* a binary operation is computed on literal operands only (numbers, strings, bytes, lists,
  tuples, dicts, sets and operations on them) with a bound on the size of every result. BFCL
  hands the expression to Python's ``eval``; evalkit never evaluates model output, so an
  operation on anything else (a name, a call, an attribute) makes the reply undecodable here.
  This is the one place evalkit can decide differently (tasks/bfcl/README.md).

Anything else (lambda, f-string, comparison, comprehension, set display, attribute, starred)
makes the reply undecodable, as in BFCL.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import Any

__all__ = ["Unreadable", "read_call", "read_value"]

MAX_RESULT_COST = 1_000_000
"""Budget for computed operations in one reply: elements of built sequences plus int words."""

_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Invert: operator.invert,
    ast.Not: operator.not_,
}
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
    ast.BitAnd: operator.and_,
    ast.MatMult: operator.matmul,
}
_NUMBERS = (int, float, complex)  # bool is an int
_SIZED = (str, bytes, list, tuple, dict, set, frozenset)


class Unreadable(Exception):
    """An argument the decoder cannot read: the whole reply is not a list of calls."""


def call_name(node: ast.Call) -> str:
    """Return a call's dotted name: ``a.b.c(...)`` gives ``"a.b.c"``.

    Only attribute parts and a final plain name count (``f()(x=1)`` gives ``""``).
    """
    parts: list[str] = []
    func = node.func
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    return ".".join(reversed(parts))


def read_call(node: ast.Call, budget: list[int]) -> tuple[str, dict[Any, Any]]:
    """Return ``(name, arguments)`` of a call; positional arguments are ignored, as in BFCL.

    A ``**mapping`` argument is kept under the key ``None`` (no declared parameter has it).
    ``budget`` is shared by every call of one reply (see :data:`MAX_RESULT_COST`).

    Raises:
        Unreadable: an argument value cannot be read.
    """
    arguments: dict[Any, Any] = {}
    for keyword in node.keywords:
        arguments[keyword.arg] = read_value(keyword.value, budget)
    return call_name(node), arguments


def read_value(node: ast.expr, budget: list[int]) -> Any:
    """Read one argument value (``budget`` counts the cost of computed operations).

    >>> read_value(ast.parse("[1, -2.5, 'a', (True, None)]", mode="eval").body, [0])
    [1, -2.5, 'a', (True, None)]
    >>> read_value(ast.parse("+5", mode="eval").body, [0])
    -5

    Raises:
        Unreadable: the node is of a kind BFCL's decoder rejects, or an operation fails.
    """
    if isinstance(node, ast.Constant):
        return "..." if node.value is Ellipsis else node.value
    if isinstance(node, ast.UnaryOp):
        operand = node.operand
        if isinstance(operand, ast.Constant) and isinstance(operand.value, _NUMBERS):
            return -operand.value
        raise Unreadable("a unary operator applies to a number only")
    if isinstance(node, ast.List):
        return [read_value(e, budget) for e in node.elts]
    if isinstance(node, ast.Dict):
        return _read_dict(node, budget)
    if isinstance(node, ast.BinOp):
        return _compute(node, budget)
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Call):
        if not node.keywords:
            return ast.unparse(node)
        name, arguments = read_call(node, budget)
        return {name: arguments}
    if isinstance(node, ast.Tuple):
        return tuple(read_value(e, budget) for e in node.elts)
    if isinstance(node, ast.Subscript):
        return ast.unparse(node.value) + "[" + ast.unparse(node.slice) + "]"
    raise Unreadable(f"unsupported value: {type(node).__name__}")


def _read_dict(node: ast.Dict, budget: list[int]) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for key, value in zip(node.keys, node.values, strict=True):
        if key is None:
            raise Unreadable("a '**' entry in a dict")
        k = read_value(key, budget)
        try:
            out[k] = read_value(value, budget)
        except TypeError:
            raise Unreadable("an unhashable dict key") from None
    return out


def _literal(node: ast.expr, budget: list[int]) -> Any:
    """Compute a literal operand of a binary operation with Python's own semantics."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp):
        return _apply(_UNARY[type(node.op)], (_literal(node.operand, budget),))
    if isinstance(node, ast.BinOp):
        return _compute(node, budget)
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        items = [_literal(e, budget) for e in node.elts]
        kind = {ast.List: list, ast.Tuple: tuple, ast.Set: set}[type(node)]
        return _apply(kind, (items,))
    if isinstance(node, ast.Dict):
        pairs = []
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                raise Unreadable("a '**' entry in a dict")
            pairs.append((_literal(key, budget), _literal(value, budget)))
        return _apply(dict, (pairs,))
    raise Unreadable(f"an operand that is not a literal: {type(node).__name__}")


def _compute(node: ast.BinOp, budget: list[int]) -> Any:
    left, right = _literal(node.left, budget), _literal(node.right, budget)
    op = type(node.op)
    if op is ast.Mod and isinstance(left, str | bytes):
        raise Unreadable("string formatting with '%' is not computed")
    budget[0] += _predicted_cost(op, left, right)
    if budget[0] > MAX_RESULT_COST:
        raise Unreadable("an operation whose result is too large")
    result = _apply(_BINARY[op], (left, right))
    budget[0] += _cost(result)
    if budget[0] > MAX_RESULT_COST:
        raise Unreadable("an operation whose result is too large")
    return result


def _apply(function: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    try:
        return function(*args)
    except (ArithmeticError, TypeError, ValueError) as exc:
        raise Unreadable(f"the operation fails: {type(exc).__name__}") from None


def _cost(value: Any) -> int:
    if isinstance(value, int):
        return value.bit_length() // 64
    return len(value) if isinstance(value, _SIZED) else 0


def _predicted_cost(op: type[ast.operator], left: Any, right: Any) -> int:
    """Cost of the result before computing it: huge powers, shifts and repeats are refused."""
    if isinstance(left, int) and isinstance(right, int):
        if op is ast.Pow and right > 0:
            return (max(abs(left).bit_length(), 1) * right) // 64
        if op is ast.LShift and right > 0:
            return (left.bit_length() + right) // 64
        if op is ast.Mult:
            return (left.bit_length() + right.bit_length()) // 64
        return 0
    if op is ast.Mult and isinstance(right, int) and isinstance(left, _SIZED):
        return len(left) * max(right, 0)
    if op is ast.Mult and isinstance(left, int) and isinstance(right, _SIZED):
        return len(right) * max(left, 0)
    return 0
