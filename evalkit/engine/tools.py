"""Tools a model may call in a tool loop, and the per-sample sessions that run them.

A tool declares its :class:`~evalkit.types.ToolSpec` (what the model is shown), the fenced-block
tag text protocols use for it, and opens one :class:`ToolSession` per sample, so state (a Python
interpreter's variables) lives exactly as long as the sample's conversation. Arguments arrive as
the model wrote them (JSON text); a session never raises for bad input: malformed arguments, an
unknown tool, a crash or a timeout are a :class:`ToolResult` with an ``error`` kind, which the
model sees and the run counts.

Built-ins: ``calculator`` (arithmetic, evaluated by a bounded walk of the expression's syntax
tree, never ``eval``) and ``python`` (a stateful interpreter inside the sandbox, the only place
model-written code runs).
"""

from __future__ import annotations

import ast
import json
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, cast

from evalkit.registry import Registry
from evalkit.task.params import SolverParams
from evalkit.types import ToolCall, ToolSpec

MAX_OUTPUT_CHARS = 4000
"""Tool output shown to the model is cut to this many characters (the record says so)."""


@dataclass(frozen=True, slots=True)
class ToolResult:
    """What a tool call produced.

    Attributes:
        output: The text the model sees.
        error: ``None`` on success, else the kind: ``invalid_arguments``, ``unknown_tool``,
            ``exception``, ``timeout``, ``killed``.
    """

    output: str
    error: str | None = None


class ToolSession(Protocol):
    """One sample's use of one tool."""

    async def run(self, call: ToolCall) -> ToolResult:
        """Run ``call``; never raises for anything the model wrote."""
        ...

    async def aclose(self) -> None:
        """Release what the session holds (a sandboxed interpreter)."""
        ...


class Tool(Protocol):
    """A tool the engine can offer."""

    @property
    def spec(self) -> ToolSpec:
        """What the model is shown: name, description, JSON-schema parameters."""
        ...

    @property
    def main_arg(self) -> str:
        """The parameter a text protocol's fenced block fills (``code``, ``expression``)."""
        ...

    @property
    def fence(self) -> str:
        """The fenced-block tag text protocols use (```python)."""
        ...

    @property
    def needs_sandbox(self) -> bool:
        """Whether sessions run code in the sandbox."""
        ...

    def open(self, sandbox: Any) -> ToolSession:
        """Start a session for one sample."""
        ...


def arguments(call: ToolCall, main_arg: str) -> tuple[str | None, str | None]:
    """Read the one string argument ``main_arg`` from a call's JSON arguments.

    Returns ``(value, None)``, or ``(None, reason)`` when the arguments are not a JSON object
    holding that string.
    """
    if len(call.arguments) > 200_000:
        return None, "arguments longer than 200,000 characters"
    try:
        parsed = json.loads(call.arguments)
    except (ValueError, RecursionError):
        return None, "arguments are not valid JSON"
    if not isinstance(parsed, dict) or not isinstance(parsed.get(main_arg), str):
        return None, f"arguments must be a JSON object with a string '{main_arg}'"
    return parsed[main_arg], None


_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}


def _value(node: ast.AST) -> int | float:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return cast(int | float, node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _value(node.operand)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _value(node.left), _value(node.right)
        if isinstance(node.op, ast.Pow) and (abs(right) > 1000 or abs(left) > 10**100):
            raise ValueError("exponent too large")
        result = _BINARY[type(node.op)](left, right)
        if isinstance(result, int) and result.bit_length() > 4000:
            raise ValueError("result too large")
        if isinstance(result, complex):
            raise ValueError("complex result")
        return result  # type: ignore[no-any-return]
    raise ValueError(f"unsupported syntax ({type(node).__name__})")


def calculate(expression: str) -> str:
    """Evaluate arithmetic (``+ - * / // % **`` on numbers) without ``eval``.

    >>> calculate("(48 / 2) + 48")
    '72.0'
    >>> calculate("2 ** 10 - 24")
    '1000'
    """
    if len(expression) > 2000:
        raise ValueError("expression longer than 2,000 characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        raise ValueError("not an arithmetic expression") from None
    try:
        return repr(_value(tree.body))
    except RecursionError:
        raise ValueError("expression nested too deeply") from None
    except (ZeroDivisionError, OverflowError) as exc:
        raise ValueError(type(exc).__name__) from None


@dataclass(frozen=True, slots=True)
class _CalculatorSession:
    async def run(self, call: ToolCall) -> ToolResult:
        expression, problem = arguments(call, "expression")
        if expression is None:
            return ToolResult(f"Error: {problem}", "invalid_arguments")
        try:
            return ToolResult(calculate(expression))
        except ValueError as exc:
            return ToolResult(f"Error: {exc}", "exception")

    async def aclose(self) -> None:
        return None


@dataclass(frozen=True, slots=True)
class Calculator:
    """``calculator``: arithmetic on numbers, for models that should not do sums in their head."""

    spec: ToolSpec = ToolSpec(
        "calculator",
        "Evaluate an arithmetic expression (+, -, *, /, //, %, ** on numbers).",
        {
            "type": "object",
            "properties": {"expression": {"type": "string", "description": "e.g. (48/2)+48"}},
            "required": ["expression"],
        },
    )
    main_arg: str = "expression"
    fence: str = "calculator"
    needs_sandbox: bool = False

    def open(self, sandbox: Any) -> ToolSession:
        """Calculator sessions hold no state."""
        return _CalculatorSession()


def make_calculator(params: SolverParams) -> Tool:
    """Build the ``calculator`` tool."""
    return Calculator()


TOOLS: Registry[Callable[[SolverParams], Tool]] = Registry(
    "tool",
    {
        "calculator": "evalkit.engine.tools:make_calculator",
        "python": "evalkit.engine.python_tool:make_python",
    },
    group="evalkit.tools",
)
