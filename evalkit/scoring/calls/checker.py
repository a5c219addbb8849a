"""Decoded calls against a BFCL possible answer: the AST checker, decided as BFCL decides it.

The category decides how calls are matched (``bfcl_eval/eval_checker/ast_eval/ast_checker.py``):

* a category name containing ``parallel``: as many calls as expected calls, matched in any
  order. Each expected call in turn takes the *first* remaining model call that satisfies it
  (a greedy match, as BFCL's, not a best assignment);
* containing ``multiple``: exactly one expected call, checked against the function it names;
* otherwise (``simple_python``, ``live_simple``): exactly one call, checked against the first
  function.

One call is right when its name is the function's (in native mode with dots replaced by
``_``, as the tools were sent), every required parameter is present, every given parameter is
declared and expected with an acceptable value (:mod:`evalkit.scoring.calls.params`), and every
expected parameter without ``""`` among its acceptable values is present.

>>> doc = {"name": "f", "parameters": {"type": "dict", "required": ["a"],
...        "properties": {"a": {"type": "integer"}, "b": {"type": "string"}}}}
>>> check("simple_python", [doc], [Call("f", {"a": 2})], [{"f": {"a": [2], "b": ["", "x"]}}])
Verdict(valid=True, code='ok', message='')
>>> check("simple_python", [doc], [Call("f", {"a": 2, "c": 1})], [{"f": {"a": [2]}}]).code
'simple_function_checker:unexpected_param'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evalkit.scoring.calls.decode import Call
from evalkit.scoring.calls.params import CheckerCrash, check_value
from evalkit.scoring.calls.tools import tool_name

__all__ = ["Verdict", "check"]

Namer = Callable[[str], str]
"""Maps a function's declared name to the name the model must call it by."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether the calls are right, and if not, why (``code`` follows BFCL's error types)."""

    valid: bool
    code: str = "ok"
    message: str = ""


_OK = Verdict(True)


def _wrong(code: str, message: str) -> Verdict:
    return Verdict(False, code, message)


def check(
    category: str,
    functions: Sequence[Mapping[str, Any]],
    calls: Sequence[Call],
    answers: Sequence[Mapping[str, Any]],
    native: bool = False,
) -> Verdict:
    """Check well-formed ``calls`` against the possible ``answers`` of a BFCL entry.

    Args:
        category: The BFCL category (``simple_python``, ``parallel_multiple``, ...).
        functions: The entry's function documents as BFCL ships them.
        calls: The decoded calls; every call's arguments must be a dict.
        answers: The possible answer: one ``{function name: {param: [acceptable...]}}`` per call.
        native: The calls came as native tool calls (names had their dots replaced).

    Returns:
        The verdict; inputs on which BFCL's checker raises are wrong with code ``checker_error``.
    """
    namer: Namer = tool_name if native else str
    try:
        if "parallel" in category:
            return _any_order(functions, calls, answers, namer)
        expected_count = len(answers) if "multiple" in category else 1
        if len(calls) != expected_count:
            return _wrong("wrong_count", f"{len(calls)} calls, expected {expected_count}")
        if "multiple" in category:
            doc = _find(functions, _answer_name(answers[0]))
            return _one(doc, calls[0], answers[0], namer)
        return _one(functions[0], calls[0], answers[0], namer)
    except (CheckerCrash, LookupError, TypeError, AttributeError, ValueError) as exc:
        return _wrong("checker_error", f"BFCL's checker cannot decide this reply ({exc})")


def _answer_name(answer: Mapping[str, Any]) -> str:
    return str(next(iter(answer)))


def _find(functions: Sequence[Mapping[str, Any]], name: str) -> Mapping[str, Any]:
    for doc in functions:
        if doc["name"] == name:
            return doc
    raise CheckerCrash(f"no function named {name!r}")


def _any_order(
    functions: Sequence[Mapping[str, Any]],
    calls: Sequence[Call],
    answers: Sequence[Mapping[str, Any]],
    namer: Namer,
) -> Verdict:
    if len(calls) != len(answers):
        return _wrong("wrong_count", f"{len(calls)} calls, expected {len(answers)}")
    matched: set[int] = set()
    for number, answer in enumerate(answers):
        doc = _find(functions, _answer_name(answer))
        verdict = _wrong("cannot_find_match", "no call left")
        for index, call in enumerate(calls):
            if index in matched:
                continue
            verdict = _one(doc, call, answer, namer)
            if verdict.valid:
                matched.add(index)
                break
        if not verdict.valid:
            return _wrong(
                "parallel_function_checker_no_order:cannot_find_match",
                f"no call matches expected call {number} ({verdict.code}: {verdict.message})",
            )
    return _OK


def _one(doc: Mapping[str, Any], call: Call, answer: Mapping[str, Any], namer: Namer) -> Verdict:
    """Check one call against one function document and its acceptable arguments."""
    expected = next(iter(answer.values()))
    schema = doc["parameters"]
    declared, required = schema["properties"], schema["required"]
    name = namer(doc["name"])
    if call.name != name:
        return _wrong("simple_function_checker:wrong_func_name", f"expected {name!r}")
    arguments: Mapping[Any, Any] = call.arguments
    for param in required:
        if param not in arguments:
            return _wrong("simple_function_checker:missing_required", f"missing {param!r}")
    for param, value in arguments.items():
        if param not in declared or param not in expected:
            return _wrong("simple_function_checker:unexpected_param", f"unexpected {param!r}")
        failure = check_value(param, value, declared[param], expected[param])
        if failure is not None:
            return _wrong(*failure)
    for param in expected:
        if param not in arguments and "" not in expected[param]:
            return _wrong("simple_function_checker:missing_optional", f"missing {param!r}")
    return _OK
