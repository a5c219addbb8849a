"""Seeded replies for BFCL entries: acceptable calls built from the possible answers, and
realistic mistakes made from them (tests only).

Every reply is a :class:`Case`: a completion in native form (tool calls) or prompt form (call
text) for one entry, with the kind of change that made it. Kinds change values (wrong types,
strings for numbers, int for float, case, nested dicts, list order...), calls (missing or extra
parameters, wrong function, reordered, extra or missing calls), and the reply's syntax (prose,
fences, positional arguments, operators, names, lambdas; bad JSON, non-object arguments).
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evalkit.scoring.calls import tool_name
from evalkit.types import Completion, ToolCall

CallList = list[tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class Case:
    """One reply to one BFCL entry."""

    row: Mapping[str, Any]
    kind: str
    native: bool
    completion: Completion

    @property
    def label(self) -> str:
        return f"{self.row['id']}:{'native' if self.native else 'prompt'}:{self.kind}"


def _doc(row: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    return next((f for f in row["function"] if f["name"] == name), row["function"][0])


def _pick(options: Any, rng: random.Random, drop: float) -> tuple[bool, Any]:
    """Choose an acceptable value from a list of options: ``(present, value)``."""
    if not isinstance(options, list):
        return True, copy.deepcopy(options)
    real = [o for o in options if o != ""]
    if not real or ("" in options and rng.random() < drop):
        return False, None
    return True, copy.deepcopy(rng.choice(real))


def _candidate_dict(option: Any, rng: random.Random, drop: float) -> Any:
    if not isinstance(option, dict):
        return option
    out = {}
    for key, options in option.items():
        present, value = _pick(options, rng, drop)
        if present:
            out[key] = value
    return out


def acceptable_calls(row: Mapping[str, Any], rng: random.Random, drop: float = 0.3) -> CallList:
    """One acceptable reply: every expected call with an acceptable value for each parameter."""
    calls: CallList = []
    for answer in row["ground_truth"] or []:
        ((name, params),) = answer.items()
        declared = _doc(row, name)["parameters"]["properties"]
        args: dict[str, Any] = {}
        for param, options in params.items():
            present, value = _pick(options, rng, drop)
            if not present:
                continue
            kind = declared.get(param, {}).get("type")
            items = declared.get(param, {}).get("items", {}).get("type")
            if kind == "dict":
                value = _candidate_dict(value, rng, drop)
            elif kind in ("array", "tuple") and items == "dict" and isinstance(value, list):
                value = [_candidate_dict(v, rng, drop) for v in value]
            args[param] = value
        calls.append((name, args))
    return calls


# ---- mistakes in values ----------------------------------------------------------------------


def _other_type(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes"
    if isinstance(value, int):
        return f"{value} units"
    if isinstance(value, float):
        return [value]
    if isinstance(value, str):
        return 42
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return list(value.values())
    return 0


def _value_edit(kind: str, value: Any, rng: random.Random) -> Any:  # noqa: PLR0911
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "wrong_type":
        return _other_type(value)
    if kind == "string_for_number" and number:
        return str(value)
    if kind == "int_for_float" and isinstance(value, float) and abs(value) < 1e15:
        return int(value)
    if kind == "float_for_int" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind == "bool_for_int" and isinstance(value, int) and not isinstance(value, bool):
        return bool(value)
    if kind == "case_change" and isinstance(value, str) and value.lower() != value.upper():
        return rng.choice([value.upper(), value.swapcase(), value.title(), value.lower()])
    if kind == "punctuation" and isinstance(value, str) and value:
        return rng.choice(
            [value.replace(" ", "-"), value + ".", " " + value, value.replace(",", "")]
        )
    if kind == "changed_string" and isinstance(value, str):
        return value + rng.choice(["s", " city", "x"])
    if kind == "empty_string" and isinstance(value, str):
        return ""
    if kind == "list_order" and isinstance(value, list) and len(value) > 1:
        return list(reversed(value))
    if kind == "list_element_type" and isinstance(value, list) and value:
        return [str(v) if not isinstance(v, str) else len(v) for v in value]
    if kind == "list_shorter" and isinstance(value, list) and value:
        return value[:-1]
    if kind == "nested_dict" and isinstance(value, dict) and value:
        return _dict_edit(value, rng)
    if (
        kind == "nested_list_dict"
        and isinstance(value, list)
        and value
        and isinstance(value[0], dict)
    ):
        return [_dict_edit(value[0], rng), *value[1:]] if value[0] else value[1:]
    if kind == "none_value":
        return None
    if kind == "off_by_one" and number:
        return value + 1
    return _NOT_APPLICABLE


def _dict_edit(value: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    out = dict(value)
    key = rng.choice(sorted(out, key=str))
    choice = rng.randrange(4)
    if choice == 0:
        del out[key]
    elif choice == 1:
        out["extra_key"] = "x"
    elif choice == 2:
        out[key] = _other_type(out[key])
    else:
        out[key] = out[key].upper() if isinstance(out[key], str) else [out[key]]
    return out


_NOT_APPLICABLE = object()
VALUE_KINDS = (
    "wrong_type", "string_for_number", "int_for_float", "float_for_int", "bool_for_int",
    "case_change", "punctuation", "changed_string", "empty_string", "list_order",
    "list_element_type", "list_shorter", "nested_dict", "nested_list_dict", "none_value",
    "off_by_one",
)  # fmt: skip


def edit_value(kind: str, calls: CallList, rng: random.Random) -> CallList | None:
    """Apply a value mistake to one argument (None when no argument fits the kind)."""
    spots = [(i, p) for i, (_, args) in enumerate(calls) for p in args]
    rng.shuffle(spots)
    for i, param in spots:
        changed = _value_edit(kind, calls[i][1][param], rng)
        if changed is not _NOT_APPLICABLE:
            out = copy.deepcopy(calls)
            out[i][1][param] = changed
            return out
    return None


# ---- mistakes in calls -----------------------------------------------------------------------


def edit_call(
    kind: str, calls: CallList, row: Mapping[str, Any], rng: random.Random
) -> CallList | None:  # noqa: PLR0911
    """Apply a call-level mistake (None when it does not apply)."""
    out = copy.deepcopy(calls)
    if not out:
        return None
    i = rng.randrange(len(out))
    name, args = out[i]
    schema = _doc(row, name)["parameters"]
    if kind == "missing_required":
        present = [p for p in schema.get("required", []) if p in args]
        if not present:
            return None
        del args[rng.choice(present)]
    elif kind == "extra_unknown":
        args["unknown_param"] = rng.choice([1, "x", True])
    elif kind == "extra_declared":
        spare = [p for p in schema["properties"] if p not in args]
        if not spare:
            return None
        args[rng.choice(spare)] = "default"
    elif kind == "optional_omitted":
        optional = [p for p in args if p not in schema.get("required", [])]
        if not optional:
            return None
        del args[rng.choice(optional)]
    elif kind == "wrong_function":
        others = [f["name"] for f in row["function"] if f["name"] != name]
        out[i] = (rng.choice(others) if others and rng.random() < 0.5 else name + "_v2", args)
    elif kind == "reorder_calls":
        if len(out) < 2:
            return None
        out.reverse()
    elif kind == "extra_call":
        out.append(copy.deepcopy(out[i]))
    elif kind == "drop_call":
        del out[i]
    elif kind == "no_calls":
        return []
    elif kind == "swap_values":
        if len(args) < 2:
            return None
        a, b = rng.sample(sorted(args), 2)
        args[a], args[b] = args[b], args[a]
    else:
        raise ValueError(kind)
    return out


CALL_KINDS = (
    "missing_required", "extra_unknown", "extra_declared", "optional_omitted", "wrong_function",
    "reorder_calls", "extra_call", "drop_call", "no_calls", "swap_values",
)  # fmt: skip


def irrelevant_calls(row: Mapping[str, Any], rng: random.Random) -> CallList:
    """A call to one of the offered functions with made-up arguments (wrong for irrelevance)."""
    if not row["function"]:
        return [("lookup", {"query": "anything"})]
    doc = rng.choice(row["function"])
    args: dict[str, Any] = {}
    for param, spec in doc["parameters"]["properties"].items():
        if param in doc["parameters"].get("required", []) or rng.random() < 0.3:
            args[param] = {"integer": 3, "float": 2.5, "boolean": True, "array": ["a"]}.get(
                spec.get("type", "string"), "something"
            )
    return [(doc["name"], args)]


# ---- replies ---------------------------------------------------------------------------------


def prompt_text(calls: CallList) -> str:
    """Write calls the way BFCL asks prompt-mode models to: ``[f(a=1), g(b='x')]``."""
    parts = [f"{n}({', '.join(f'{k}={v!r}' for k, v in a.items())})" for n, a in calls]
    return "[" + ", ".join(parts) + "]"


def native_calls(calls: CallList) -> tuple[ToolCall, ...]:
    """Native tool calls with the names offered natively and JSON arguments."""
    return tuple(
        ToolCall(f"call_{i}", tool_name(n), json.dumps(a)) for i, (n, a) in enumerate(calls)
    )


def _first_arg(text: str, replacement: Callable[[str], str]) -> str | None:
    """Replace the first ``name=value`` value of a call text (crudely, up to ``,`` or ``)``)."""
    start = text.find("(")
    eq = text.find("=", start)
    if start < 0 or eq < 0:
        return None
    end = min([p for p in (text.find(",", eq), text.find(")", eq)) if p > 0], default=-1)
    if end < 0:
        return None
    return text[: eq + 1] + replacement(text[eq + 1 : end]) + text[end:]


TEXT_EDITS: dict[str, Callable[[str], str | None]] = {
    "no_brackets": lambda t: t[1:-1] if t.count("(") == 1 else None,
    "code_fence": lambda t: f"```\n{t}\n```",
    "python_fence": lambda t: f"```python\n{t}\n```",
    "prose_prefix": lambda t: f"Sure! Here are the calls: {t}",
    "prose_suffix": lambda t: f"{t}\nLet me know if you need anything else.",
    "quoted": lambda t: f"'{t}'",
    "positional": lambda t: t.replace("(", "(1, ", 1) if "(" in t else None,
    "trailing_comma": lambda t: t[:-1] + ",]",
    "unary_plus": lambda t: _first_arg(t, lambda v: "+7"),
    "unary_not": lambda t: _first_arg(t, lambda v: "not True"),
    "negated_string": lambda t: _first_arg(t, lambda v: "-'x'"),
    "arithmetic": lambda t: _first_arg(t, lambda v: "2 * 3 + 1"),
    "float_arithmetic": lambda t: _first_arg(t, lambda v: "10 / 4"),
    "string_concat": lambda t: _first_arg(t, lambda v: "'New ' + 'York'"),
    "list_concat": lambda t: _first_arg(t, lambda v: "[1, 2] + [3]"),
    "name_value": lambda t: _first_arg(t, lambda v: "some_variable"),
    "nested_call": lambda t: _first_arg(t, lambda v: "get_value(key='a')"),
    "call_without_keywords": lambda t: _first_arg(t, lambda v: "compute(1, 2)"),
    "subscript": lambda t: _first_arg(t, lambda v: "values[0]"),
    "attribute": lambda t: _first_arg(t, lambda v: "math.pi"),
    "lambda": lambda t: _first_arg(t, lambda v: "lambda x: x"),
    "fstring": lambda t: _first_arg(t, lambda v: "f'{1}'"),
    "set_value": lambda t: _first_arg(t, lambda v: "{1, 2}"),
    "compare": lambda t: _first_arg(t, lambda v: "1 < 2"),
    "ellipsis": lambda t: _first_arg(t, lambda v: "..."),
    "tuple_value": lambda t: _first_arg(t, lambda v: "(1, 'a')"),
    "dict_value": lambda t: _first_arg(t, lambda v: "{'a': 1, 'b': [2]}"),
    "star_star": lambda t: t.replace("(", "(**{'a': 1}, ", 1) if "(" in t else None,
    "dotted_call": lambda t: t.replace("[", "[api.v1.", 1),
    "not_a_call": lambda t: "[1, 2, 3]",
    "prose": lambda t: "None of the functions can answer this question.",
    "empty": lambda t: "",
    "empty_list": lambda t: "[]",
}


def _native_edit(
    kind: str, calls: tuple[ToolCall, ...], row: Mapping[str, Any]
) -> Completion | None:
    if kind == "text_only":
        return Completion("I cannot call any function for this.", "stop")
    if not calls:
        return None
    first = calls[0]
    edits = {
        "bad_json": first.arguments[:-1],
        "json_array": "[1, 2]",
        "json_string": '"a"',
        "empty_arguments": "",
        "nan": first.arguments.replace("}", ', "unknown_nan": NaN}', 1),
    }
    if kind == "dotted_name":
        declared = next(
            (f["name"] for f in row["function"] if tool_name(f["name"]) == first.name), ""
        )
        if "." not in declared:
            return None
        changed = ToolCall(first.id, declared, first.arguments)
    elif kind in edits:
        changed = ToolCall(first.id, first.name, edits[kind])
    else:
        raise ValueError(kind)
    return Completion("", "tool_calls", tool_calls=(changed, *calls[1:]))


NATIVE_KINDS = ("text_only", "bad_json", "json_array", "json_string", "empty_arguments", "nan", "dotted_name")  # fmt: skip


def _completion(calls: CallList, native: bool) -> Completion:
    if native:
        return Completion("", "tool_calls" if calls else "stop", tool_calls=native_calls(calls))
    return Completion(prompt_text(calls), "stop")


def _mistake(
    row: Mapping[str, Any], base: CallList, native: bool, rng: random.Random, kinds: Sequence[str]
) -> tuple[str, Completion]:
    """A mistake of a random kind among ``kinds`` that applies to this reply."""
    syntax = NATIVE_KINDS if native else tuple(TEXT_EDITS)
    order = [k for k in kinds if k not in (TEXT_EDITS if native else NATIVE_KINDS)]
    rng.shuffle(order)
    for kind in order:
        if kind in syntax:
            made = (
                _native_edit(kind, native_calls(base), row)
                if native
                else _text_completion(TEXT_EDITS[kind](prompt_text(base)))
            )
            if made is not None:
                return kind, made
            continue
        edited = (
            edit_value(kind, base, rng) if kind in VALUE_KINDS else edit_call(kind, base, row, rng)
        )
        if edited is not None:
            return kind, _completion(edited, native)
    return "unchanged", _completion(base, native)


ALL_KINDS = (*VALUE_KINDS, *CALL_KINDS, *NATIVE_KINDS, *TEXT_EDITS)
NESTED_KINDS = (
    "nested_dict",
    "nested_list_dict",
    "list_order",
    "list_element_type",
    "list_shorter",
)


def _has_nested(calls: CallList) -> bool:
    return any(isinstance(v, dict | list) for _, args in calls for v in args.values())


def _text_completion(text: str | None) -> Completion | None:
    return None if text is None else Completion(text, "stop")


def build_cases(rows: Sequence[Mapping[str, Any]], seed: int = 20261207) -> list[Case]:
    """For every entry and mode: a mistaken reply (two when an argument is a list or dict), and
    for a third of them an acceptable one."""
    rng = random.Random(seed)
    cases: list[Case] = []
    turn = 0
    for row in rows:
        for native in (True, False):
            turn += 1
            if row["ground_truth"] is None:
                cases.extend(_irrelevance_cases(row, native, rng, turn))
                continue
            base = acceptable_calls(row, rng)
            if rng.random() < 1 / 3:
                cases.append(Case(row, "acceptable", native, _completion(base, native)))
            kind, completion = _mistake(row, base, native, rng, ALL_KINDS)
            cases.append(Case(row, kind, native, completion))
            if _has_nested(base):
                kind, completion = _mistake(row, base, native, rng, NESTED_KINDS)
                cases.append(Case(row, kind, native, completion))
    return cases


def _irrelevance_cases(
    row: Mapping[str, Any], native: bool, rng: random.Random, turn: int
) -> list[Case]:
    calls = irrelevant_calls(row, rng)
    options = ["called", "prose", "empty"] + (list(NATIVE_KINDS) if native else list(TEXT_EDITS))
    kind = options[turn % len(options)]
    if kind == "called":
        return [Case(row, kind, native, _completion(calls, native))]
    if kind in ("prose", "empty") and native:
        text = "" if kind == "empty" else "No function fits this request."
        return [Case(row, kind, native, Completion(text, "stop"))]
    if native:
        made = _native_edit(kind, native_calls(calls), row)
        return [] if made is None else [Case(row, kind, native, made)]
    text = TEXT_EDITS[kind](prompt_text(calls))
    return [] if text is None else [Case(row, kind, native, Completion(text, "stop"))]


def perfect_calls(row: Mapping[str, Any]) -> CallList:
    """The reply a perfect model gives: the first acceptable value of every declared parameter.

    Parameters the function does not declare are left out (BFCL's checker refuses them), and a
    required parameter whose only acceptable value is ``""`` gets ``""``.
    """
    calls: CallList = []
    for answer in row["ground_truth"] or []:
        ((name, params),) = answer.items()
        schema = _doc(row, name)["parameters"]
        args: dict[str, Any] = {}
        for param, options in params.items():
            real = [o for o in options if o != ""]
            if param not in schema["properties"]:
                continue
            if real:
                kind = schema["properties"][param].get("type")
                items = schema["properties"][param].get("items", {}).get("type")
                value = copy.deepcopy(real[0])
                if kind == "dict":
                    value = _candidate_dict(value, random.Random(0), 0.0)
                elif kind in ("array", "tuple") and items == "dict" and isinstance(value, list):
                    value = [_candidate_dict(v, random.Random(0), 0.0) for v in value]
                args[param] = value
            elif param in schema.get("required", []) and "" in options:
                args[param] = ""
        calls.append((name, args))
    return calls


def perfect_completion(row: Mapping[str, Any], native: bool) -> Completion:
    """The perfect model's completion in native or prompt form (no call for irrelevance)."""
    return _completion(perfect_calls(row), native)
