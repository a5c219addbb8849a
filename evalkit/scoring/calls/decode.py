"""Replies as lists of calls: the prompt-mode text form and the native tool-call form.

Both decoders give the same shape, a :class:`Decoded` holding :class:`Call` values, and follow
BFCL's decoders step for step so that a reply decodes here exactly when it decodes there:

* prompt mode (``default_decode_ast_prompting``): strip backticks, newlines and spaces; wrap the
  text in ``[...]`` where a bracket is missing; strip quotes; parse it as one Python expression;
  every element must be a call, read by :mod:`evalkit.scoring.calls.values`;
* native mode (the OpenAI handler's ``decode_ast``): each tool call's arguments are read with
  ``json.loads``; arguments that are JSON but not an object leave the reply *ill-formed* (BFCL's
  ``is_function_calling_format_output``), which counts as no call for irrelevance and as wrong
  everywhere else.

Bounds: a reply over :data:`MAX_REPLY_CHARS` characters or with more than :data:`MAX_CALLS` calls
is refused before any value is read, so a reply of 10,000 calls is a quick wrong verdict.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from evalkit.scoring.calls.values import Unreadable, read_call
from evalkit.types import ToolCall

__all__ = ["MAX_CALLS", "MAX_REPLY_CHARS", "Call", "Decoded", "decode_text", "decode_tool_calls"]

MAX_REPLY_CHARS = 50_000
"""Longest reply (prompt mode) or total tool-call arguments (native) that is decoded at all."""
MAX_CALLS = 1_000
"""Most calls decoded from one reply; BFCL's largest answer has a few dozen."""


@dataclass(frozen=True, slots=True)
class Call:
    """One decoded call: the name as the model wrote it and its arguments.

    ``arguments`` is a dict for a well-formed call; a native call whose JSON arguments are not an
    object keeps the value it decoded to.
    """

    name: str
    arguments: Any


@dataclass(frozen=True, slots=True)
class Decoded:
    """The calls of one reply, or why the reply is not a list of calls.

    Attributes:
        calls: The calls in reply order (empty when the reply could not be decoded).
        error: ``None`` when decoding succeeded, else a short code: ``not_calls``,
            ``bad_arguments``, ``reply_too_long`` or ``too_many_calls``.
        detail: A one-line explanation of ``error``.
    """

    calls: tuple[Call, ...]
    error: str | None = None
    detail: str = ""

    @property
    def well_formed(self) -> bool:
        """Whether every call's arguments are an object (BFCL's function-calling format)."""
        return self.error is None and all(type(c.arguments) is dict for c in self.calls)


def _fail(code: str, detail: str) -> Decoded:
    return Decoded((), code, detail)


def _bracketed(text: str) -> str:
    """The text BFCL's prompt decoder parses: stripped, wrapped in brackets, quotes stripped."""
    body = text.strip("`\n ")
    if not body.startswith("["):
        body = "[" + body
    if not body.endswith("]"):
        body = body + "]"
    return body.strip().strip("'")


def decode_text(text: str) -> Decoded:
    """Decode a prompt-mode reply such as ``[f(a=1), g(b="x")]`` without evaluating it.

    >>> decode_text('[get_weather(city="Paris", days=3)]').calls
    (Call(name='get_weather', arguments={'city': 'Paris', 'days': 3}),)
    >>> decode_text("I cannot help with that.").error
    'not_calls'
    """
    if len(text) > MAX_REPLY_CHARS:
        return _fail("reply_too_long", f"the reply has {len(text)} characters")
    try:
        tree = ast.parse(_bracketed(text), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return _fail("not_calls", f"not a Python call list ({type(exc).__name__})")
    body = tree.body
    nodes = [body] if isinstance(body, ast.Call) else getattr(body, "elts", None)
    if nodes is None:
        return _fail("not_calls", f"not a list of calls ({type(body).__name__})")
    for node in nodes:
        if not isinstance(node, ast.Call):
            return _fail("not_calls", f"an element is not a call ({type(node).__name__})")
    if len(nodes) > MAX_CALLS:
        return _fail("too_many_calls", f"{len(nodes)} calls (at most {MAX_CALLS} are read)")
    calls: list[Call] = []
    budget = [0]
    for node in nodes:
        try:
            calls.append(Call(*read_call(node, budget)))
        except Unreadable as exc:
            return _fail("not_calls", str(exc))
        except RecursionError:
            return _fail("not_calls", "an argument nested too deeply")
    return Decoded(tuple(calls))


def decode_tool_calls(tool_calls: Sequence[ToolCall]) -> Decoded:
    """Decode native tool calls: each call's arguments are JSON text.

    A reply without tool calls decodes to no calls (BFCL reads the text of such a reply, which
    is never a list of native calls).

    >>> decode_tool_calls([ToolCall("c1", "f", '{"a": 1}')]).calls
    (Call(name='f', arguments={'a': 1}),)
    >>> decode_tool_calls([ToolCall("c1", "f", "{a: 1}")]).error
    'bad_arguments'
    """
    if len(tool_calls) > MAX_CALLS:
        return _fail("too_many_calls", f"{len(tool_calls)} calls (at most {MAX_CALLS} are read)")
    size = sum(len(c.arguments) for c in tool_calls)
    if size > MAX_REPLY_CHARS:
        return _fail("reply_too_long", f"the arguments have {size} characters")
    calls: list[Call] = []
    for call in tool_calls:
        try:
            calls.append(Call(call.name, json.loads(call.arguments)))
        except (ValueError, RecursionError) as exc:
            reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
            return _fail("bad_arguments", f"arguments of {call.name!r} are not JSON: {reason}")
    return Decoded(tuple(calls))
