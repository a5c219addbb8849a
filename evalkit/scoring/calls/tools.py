"""BFCL function documents as native tools: OpenAI ``tools`` entries built the way BFCL builds them.

BFCL writes its functions in a Python-flavoured schema (types ``dict``, ``float``, ``tuple``,
``any``; dotted names such as ``math.factorial``). For models with native tools BFCL converts
each document (``bfcl_eval/model_handler/utils.py``, ``convert_to_tool`` for OpenAI-style
models) and evalkit gives the same result:

* the description gets BFCL's language hint (:data:`PYTHON_HINT`), as its inference does;
* dots in the function name become ``_`` (OpenAI names match ``^[a-zA-Z0-9_-]{1,64}$``); the
  checker then expects the ``_`` name (:func:`tool_name`), and :func:`declared_names` maps
  called names back to the declared ones for the record;
* the parameters' top-level type becomes ``object``; every property's type is mapped to JSON
  schema (:data:`OPENAPI_TYPES`, unknown names to ``string``, a missing type to ``string``);
  a ``float`` property also gets ``"format": "float"`` and a sentence saying it is a float;
  nested ``properties`` and ``items`` (two levels of arrays, arrays of objects) are converted
  alike.

>>> to_tool({"name": "math.hypot", "description": "Hypotenuse.", "parameters": {"type": "dict",
...     "properties": {"x": {"type": "float", "description": "Side."}}, "required": ["x"]}})
... # doctest: +NORMALIZE_WHITESPACE
{'type': 'function', 'function': {'name': 'math_hypot',
 'description': 'Hypotenuse. Note that the provided function is in Python 3 syntax.',
 'parameters': {'type': 'object', 'properties': {'x': {'type': 'number',
 'description': 'Side. This is a float type value.', 'format': 'float'}}, 'required': ['x']}}}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["OPENAPI_TYPES", "PYTHON_HINT", "declared_names", "hinted", "to_tool", "tool_name"]

PYTHON_HINT = " Note that the provided function is in Python 3 syntax."
"""Appended to every function description at inference, as BFCL does for Python categories."""

OPENAPI_TYPES: Mapping[str, str] = {
    "integer": "integer",
    "number": "number",
    "float": "number",
    "string": "string",
    "boolean": "boolean",
    "bool": "boolean",
    "array": "array",
    "list": "array",
    "dict": "object",
    "object": "object",
    "tuple": "array",
    "any": "string",
    "byte": "integer",
    "short": "integer",
    "long": "integer",
    "double": "number",
    "char": "string",
    "ArrayList": "array",
    "Array": "array",
    "HashMap": "object",
    "Hashtable": "object",
    "Queue": "array",
    "Stack": "array",
    "Any": "string",
    "String": "string",
    "Bigint": "integer",
}
"""BFCL's type names -> JSON-schema types (the table BFCL converts with)."""

_FLOAT_NOTE = " This is a float type value."


def tool_name(name: str) -> str:
    """Return the name a function is offered under natively (dots become underscores).

    >>> tool_name("math.factorial")
    'math_factorial'
    """
    return name.replace(".", "_")


def declared_names(functions: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Map each native tool name back to the function's declared name."""
    return {tool_name(str(f["name"])): str(f["name"]) for f in functions}


def hinted(function: Mapping[str, Any]) -> dict[str, Any]:
    """Return a function document with BFCL's Python hint added to its description.

    The copy is shallow: nested values are shared with ``function`` and never modified.
    """
    return {**function, "description": str(function.get("description", "")) + PYTHON_HINT}


def to_tool(function: Mapping[str, Any]) -> dict[str, Any]:
    """Return the OpenAI ``tools`` entry for one BFCL function document.

    Every converted level is a new dict; unconverted nested values are shared with ``function``.
    """
    out = hinted(function)
    out["name"] = tool_name(str(out["name"]))
    parameters = out["parameters"] = dict(out["parameters"])
    parameters["type"] = "object"
    parameters["properties"] = _properties(parameters["properties"])
    return {"type": "function", "function": out}


def _properties(properties: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _property(value) for key, value in properties.items()}


def _property(value: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(value)
    if "type" not in out:
        out["type"] = "string"
    else:
        kind = out["type"]
        if kind == "float":
            out["format"] = "float"
            out["description"] = out["description"] + _FLOAT_NOTE
        out["type"] = OPENAPI_TYPES.get(kind, "string")
    if out["type"] in ("array", "object"):
        if "properties" in out:
            out["properties"] = _properties(out["properties"])
        elif "items" in out:
            out["items"] = _items(out["items"])
    return out


def _items(value: Mapping[str, Any]) -> dict[str, Any]:
    items = dict(value)
    items["type"] = OPENAPI_TYPES[items["type"]]
    if items["type"] == "array" and "items" in items:
        items["items"] = {**items["items"], "type": OPENAPI_TYPES[items["items"]["type"]]}
    elif items["type"] == "object" and "properties" in items:
        items["properties"] = _properties(items["properties"])
    return items
