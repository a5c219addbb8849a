r"""One argument against its acceptable values: BFCL's type and value rules for Python functions.

A possible answer lists, for each parameter, every acceptable value; ``""`` among them marks the
parameter optional. The rules, decided as BFCL's AST checker decides them
(``bfcl_eval/eval_checker/ast_eval/ast_checker.py``):

* **Types** are exact Python types from the function's declared type: ``string``/``any`` str,
  ``integer`` int (a bool is not one), ``float`` float (an int is accepted and read as a float),
  ``boolean`` bool, ``array``/``tuple`` list (a tuple given for a ``tuple`` parameter reads as a
  list), ``dict`` dict. A value whose type is the type of the first acceptable value passes as a
  *variable* even when the declared type differs (the dataset writes variables as strings).
  Elements of arrays are type-checked one level deep; an optional array accepts any elements.
* **Strings** are compared after removing spaces and ``,./-_*^``, lower-casing and turning ``'``
  into ``"`` (``"New York, NY"`` matches ``"new york ny"``).
* **Lists** must equal an acceptable list element by element, in order (string elements
  standardised as above); **dicts** must have only known keys, each with an acceptable value,
  and every key whose acceptable values lack ``""``; **lists of dicts** match position by
  position. Everything else must equal an acceptable value (``==``, so ``1 == 1.0``).

Where BFCL's checker would raise (an undeclared parameter type, a dict expected where the model
gave another value inside an optional list of dicts), :class:`CheckerCrash` is raised instead and
the reply is recorded as wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["PYTHON_TYPES", "CheckerCrash", "Failure", "check_value", "standardize"]

PYTHON_TYPES: Mapping[str, type] = {
    "string": str,
    "integer": int,
    "float": float,
    "boolean": bool,
    "array": list,
    "tuple": list,
    "dict": dict,
    "any": str,
}
"""Declared parameter type -> the exact Python type a value must have."""

_IGNORED = str.maketrans("", "", " ,./-_*^")

Failure = tuple[str, str]
"""Why a value failed: ``(code, message)``; codes follow BFCL's ``error_type`` names."""


class CheckerCrash(Exception):
    """An input on which BFCL's checker raises instead of giving a verdict."""


def standardize(text: str) -> str:
    """Return ``text`` as string values are compared.

    >>> standardize("New York, NY")
    'newyorkny'
    >>> standardize("It's 3.5")
    'it"s35'
    """
    return text.translate(_IGNORED).lower().replace("'", '"')


def _std(value: Any) -> Any:
    return standardize(value) if type(value) is str else value


def _items(container: Any) -> list[Any]:
    """The elements BFCL's index loops see (``range(len(x))`` then ``x[i]``)."""
    if isinstance(container, str | list | tuple):
        return list(container)
    raise CheckerCrash(f"cannot index acceptable values of type {type(container).__name__}")


def _first_type(acceptable: Any) -> type | None:
    for answer in acceptable:
        if answer != "":
            return type(answer)
    return None


def _type_ok(value: Any, acceptable: Any, expected: type, inner: type | None) -> tuple[bool, bool]:
    """Return ``(passes, is_variable)`` for the value's type."""
    answer_type = _first_type(acceptable)
    is_variable = answer_type is not None and answer_type is not expected
    elements: Any = value  # a list when the type matches and ``inner`` is set
    if type(value) is expected:
        if inner is None:
            return True, is_variable
        for item in acceptable:
            if type(item) is not list or all(_inner_ok(v, item, inner) for v in elements):
                return True, is_variable
        return False, is_variable
    return answer_type is not None and type(value) is answer_type, True


def _inner_ok(value: Any, acceptable: list[Any], inner: type) -> bool:
    if type(value) is inner:
        return True
    answer_type = _first_type(acceptable)
    return answer_type is not None and type(value) is answer_type


def _string_ok(value: str, acceptable: Any) -> bool:
    return standardize(value) in [standardize(a) for a in acceptable if type(a) is str]


def _list_ok(value: list[Any], acceptable: Any) -> bool:
    given = [_std(v) for v in value]
    return given in [[_std(v) for v in _items(a)] for a in acceptable]


def dict_fails(value: Any, acceptable: Any) -> Failure | None:
    """Check a dict argument against acceptable dicts (``None`` when one of them matches)."""
    failure: Failure = ("dict_checker:unclear", "no acceptable dict")
    for answer in acceptable:
        if answer == "":
            continue
        if not isinstance(value, dict):
            raise CheckerCrash("a dict was expected")
        failure_here: Failure | None = None
        for key, item in value.items():
            if key not in answer:
                failure_here = ("value_error:dict_key", f"unexpected dict key {key!r}")
                break
            if _std(item) not in [_std(a) for a in _items(answer[key])]:
                failure_here = ("value_error:dict_value", f"invalid value for dict key {key!r}")
                break
        if not hasattr(answer, "items"):
            raise CheckerCrash("an acceptable dict value is not a dict")
        for key, options in answer.items():
            if key not in value and "" not in options:
                failure_here = failure_here or ("value_error:dict_key", f"missing dict key {key!r}")
                break
        if failure_here is None:
            return None
        failure = failure_here
    return failure


def _list_of_dicts_fails(value: list[Any], acceptable: Any) -> Failure | None:
    failure: Failure = ("list_dict_checker:unclear", "no acceptable list of dicts")
    for answer in acceptable:
        if not hasattr(answer, "__len__"):
            raise CheckerCrash("acceptable list of dicts has no length")
        if len(value) != len(answer):
            failure = ("value_error:list_dict_count", "wrong number of dicts in the list")
            continue
        mismatch = None
        for index, item in enumerate(value):
            mismatch = dict_fails(item, [answer[index]])
            if mismatch is not None:
                break
        if mismatch is None:
            return None
        failure = mismatch
    return failure


def check_value(
    name: str, value: Any, declared: Mapping[str, Any], acceptable: Any
) -> Failure | None:
    """Check one argument ``value`` of parameter ``name``; ``None`` when it is acceptable.

    ``declared`` is the parameter's entry in the function's ``properties``.

    >>> check_value("n", 3, {"type": "float"}, [3.0, ""])
    >>> check_value("n", "3", {"type": "integer"}, [3])[0]
    'type_error:simple'

    Raises:
        CheckerCrash: BFCL's checker would raise on this input.
    """
    kind, expected, inner = _declared(declared)
    if kind == "tuple" and type(value) is tuple:
        value = list(value)
    if kind == "float" and type(value) is int:
        try:
            value = float(value)
        except OverflowError:
            raise CheckerCrash("an integer too large for a float") from None
    passes, is_variable = _type_ok(value, acceptable, expected, inner)
    if not passes:
        code = "type_error:nested" if type(value) is expected else "type_error:simple"
        return code, f"incorrect type for parameter {name!r}: {type(value).__name__}"
    if not is_variable:
        if expected is dict:
            return dict_fails(value, acceptable)
        if expected is list and inner is dict:
            return _list_of_dicts_fails(value, acceptable)
        if expected is str:
            ok = _string_ok(value, acceptable)
            return None if ok else ("value_error:string", f"invalid value for {name!r}")
        if expected is list:
            ok = _list_ok(value, acceptable)
            return None if ok else ("value_error:list/tuple", f"invalid value for {name!r}")
    if value not in acceptable:
        return "value_error:others", f"invalid value for parameter {name!r}: {value!r}"
    return None


def _declared(declared: Mapping[str, Any]) -> tuple[str, type, type | None]:
    """The declared type name, its Python type and the element type of arrays."""
    try:
        kind = declared["type"]
        expected = PYTHON_TYPES[kind]
        inner = PYTHON_TYPES[declared["items"]["type"]] if kind in ("array", "tuple") else None
    except (KeyError, TypeError):
        raise CheckerCrash("a parameter type the checker does not know") from None
    return kind, expected, inner
