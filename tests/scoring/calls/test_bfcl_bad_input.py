"""Bad input: replies that are not calls, arguments that are not JSON, unknown functions, huge
replies. Each is a recorded wrong verdict with its reason, never an exception."""

from __future__ import annotations

import json

import pytest
from bfcl_reference import load_reference, verdict

from evalkit.errors import ConfigError
from evalkit.scoring.calls import BfclScorer, make_bfcl_scorer
from evalkit.types import Completion, Sample, ToolCall

FUNCTIONS = [
    {
        "name": "geometry.hypot",
        "description": "Length of the hypotenuse.",
        "parameters": {
            "type": "dict",
            "properties": {
                "a": {"type": "float", "description": "One side."},
                "b": {"type": "float", "description": "The other side."},
                "unit": {"type": "string", "description": "Unit of length."},
            },
            "required": ["a", "b"],
        },
    }
]
ANSWER = [{"geometry.hypot": {"a": [3.0], "b": [4.0], "unit": ["", "cm"]}}]
NATIVE, PROMPT = BfclScorer("native"), BfclScorer("prompt")


def sample(category="simple_python"):
    target = "" if "irrelevance" in category else json.dumps(ANSWER)
    return Sample("s1", 0, {"functions": FUNCTIONS}, target, metadata={"category": category})


def text(reply, finish="stop"):
    return Completion(reply, finish)


def tools(*calls):
    return Completion(
        "",
        "tool_calls",
        tool_calls=tuple(ToolCall(f"c{i}", n, a) for i, (n, a) in enumerate(calls)),
    )


def test_right_replies_in_both_modes():
    assert PROMPT.score(sample(), text("[geometry.hypot(a=3, b=4.0, unit='CM')]")).value == 1.0
    score = NATIVE.score(sample(), tools(("geometry_hypot", '{"a": 3, "b": 4}')))
    assert (score.value, score.answer) == (1.0, "[geometry.hypot(a=3, b=4)]")


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("I would call the hypotenuse function.", "not_calls"),
        ("[geometry.hypot(a=3, b=4), 5]", "not_calls"),
        ("[geometry.hypot(a=lambda: 3, b=4)]", "not_calls"),
        ("[geometry.hypot(a=2 ** 10 ** 9, b=4)]", "not_calls"),
        ("[geometry.hypot(a='x' * 10 ** 9, b=4)]", "not_calls"),
        ("[geometry.hypot(a=" + "[" * 1000 + "]" * 1000 + ", b=4)]", "not_calls"),
        ("[geometry.hypot(a=" + "1+" * 20_000 + "1, b=4)]", "not_calls"),
        ("[geometry.hypot(a=" + "9" * 5_000 + ", b=4)]", "not_calls"),
        ("[geometry.hypot(a=3, b=4)] " + "x" * 100_000, "reply_too_long"),
        ("[" + ", ".join(["f(a=1)"] * 2_000) + "]", "too_many_calls"),
        ("[" + ", ".join(["geometry.hypot(a=3, b=4)"] * 10_000) + "]", "reply_too_long"),
        ("[]", "no_answer_found"),
        ("[hypot(a=3, b=4)]", "simple_function_checker:wrong_func_name"),
        ("[geometry.hypot(a=3)]", "simple_function_checker:missing_required"),
        ("[geometry.hypot(a=3, b=4, c=5)]", "simple_function_checker:unexpected_param"),
        ("[geometry.hypot(a='3', b=4)]", "type_error:simple"),
        ("[geometry.hypot(a=3, b=4, unit='m')]", "value_error:string"),
        ("[geometry.hypot(a=3, b=4), geometry.hypot(a=3, b=4)]", "wrong_count"),
        ("[geometry.hypot(a=" + "9" * 400 + ", b=4)]", "checker_error"),
    ],
    ids=[
        "prose",
        "element_not_a_call",
        "lambda",
        "huge_power",
        "huge_repeat",
        "deep_nesting",
        "long_operator_chain",
        "huge_integer_literal",
        "too_long",
        "two_thousand_calls",
        "ten_thousand_calls",
        "empty_list",
        "unknown_function",
        "missing_required",
        "unknown_parameter",
        "string_for_float",
        "wrong_value",
        "two_calls",
        "integer_too_large_for_float",
    ],
)
def test_prompt_mode_bad_replies_are_wrong_with_a_reason(reply, reason):
    score = PROMPT.score(sample(), text(reply))
    assert (score.value, score.reason) == (0.0, reason)
    assert score.metrics == {"accuracy": 0.0}


@pytest.mark.parametrize(
    ("calls", "reason"),
    [
        ([("geometry_hypot", "{a: 3, b: 4}")], "bad_arguments"),
        ([("geometry_hypot", "")], "bad_arguments"),
        (
            [("geometry_hypot", '{"a": 3, "b": ' + "[" * 100_000 + "]" * 100_000 + "}")],
            "reply_too_long",
        ),
        (
            [("geometry_hypot", '{"a": 3, "b": ' + "[" * 20_000 + "]" * 20_000 + "}")],
            "bad_arguments",
        ),
        ([("geometry_hypot", "[3, 4]")], "not_calls"),
        ([("geometry.hypot", '{"a": 3, "b": 4}')], "simple_function_checker:wrong_func_name"),
        ([("lookup", '{"q": 1}')], "simple_function_checker:wrong_func_name"),
        ([("geometry_hypot", '{"a": 3, "b": 4}')] * 10_000, "too_many_calls"),
        ([], "no_answer_found"),
    ],
    ids=[
        "not_json",
        "empty_arguments",
        "too_long",
        "nested_too_deep",
        "array_arguments",
        "dotted_name",
        "unknown_function",
        "ten_thousand_calls",
        "no_calls",
    ],
)
def test_native_bad_replies_are_wrong_with_a_reason(calls, reason):
    score = NATIVE.score(sample(), tools(*calls))
    assert (score.value, score.reason) == (0.0, reason)
    if reason == "bad_arguments":
        assert "geometry_hypot" in score.details["error"]


def test_irrelevance_is_right_without_a_well_formed_call():
    irrelevant = sample("irrelevance")
    assert PROMPT.score(irrelevant, text("No function can answer that.")).value == 1.0
    assert PROMPT.score(irrelevant, text("[]")).value == 1.0
    assert NATIVE.score(irrelevant, text("No function fits.")).value == 1.0
    assert NATIVE.score(irrelevant, tools(("geometry_hypot", "[1]"))).value == 1.0
    assert NATIVE.score(irrelevant, tools(("geometry_hypot", "{oops"))).value == 1.0
    called = PROMPT.score(irrelevant, text("[geometry.hypot(a=1, b=1)]"))
    assert (called.value, called.reason) == (0.0, "irrelevance:called")
    many = "[" + ", ".join(["f(q=1)"] * 2_000) + "]"
    assert PROMPT.score(irrelevant, text(many)).reason == "too_many_calls"
    flood = "[" + ", ".join(["f(q=1)"] * 10_000) + "]"
    assert PROMPT.score(irrelevant, text(flood)).reason == "reply_too_long"


def test_reasoning_is_dropped_and_a_cut_reply_is_called_truncated():
    reply = "<think>Maybe [geometry.hypot(a=1, b=1)]?</think>[geometry.hypot(a=3, b=4)]"
    assert PROMPT.score(sample(), text(reply)).value == 1.0
    cut = PROMPT.score(sample(), text("[geometry.hypot(a=3, b=", "length"))
    assert (cut.value, cut.reason) == (0.0, "truncated")


def test_unknown_calls_mode_is_a_config_error():
    with pytest.raises(ConfigError, match="native or prompt"):
        make_bfcl_scorer({"calls": "json"})


@pytest.mark.parametrize(
    ("reply", "native", "expected"),
    [
        ("[geometry.hypot(a=" + "[" * 1000 + "]" * 1000 + ", b=4)]", False, False),
        ("[geometry.hypot(a=" + "1+" * 20_000 + "1, b=4)]", False, False),
        ("[geometry.hypot(a=" + "9" * 5_000 + ", b=4)]", False, False),
        ("[geometry.hypot(a=" + "9" * 400 + ", b=4)]", False, None),
        ('{"a": ' + "9" * 400 + ', "b": 4}', True, None),
        ('{"a": 3, "b": ' + "[" * 20_000 + "]" * 20_000 + "}", True, False),
    ],
    ids=[
        "deep_nesting",
        "long_operator_chain",
        "huge_integer_literal",
        "integer_too_large_for_float",
        "native_integer_too_large_for_float",
        "native_nested_too_deep",
    ],
)
def test_bfcl_agrees_on_the_hard_replies(reply, native, expected):
    """BFCL's verdict on the same replies: wrong, or (None) its checker raises."""
    ref = load_reference()
    completion = tools(("geometry_hypot", reply)) if native else text(reply)
    assert verdict(ref, "simple_python", FUNCTIONS, ANSWER, completion, native) is expected
    score = (NATIVE if native else PROMPT).score(sample(), completion)
    assert score.value == 0.0
    assert (score.reason == "checker_error") == (expected is None)
