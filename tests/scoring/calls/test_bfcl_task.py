"""The bfcl task: tools converted as BFCL converts them, requests per mode, subsets, the prompt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.config import RunConfig, TaskRef
from evalkit.errors import ConfigError
from evalkit.scoring.calls import declared_names, hinted, to_tool
from evalkit.scoring.calls.dataset import CATEGORIES, read_rows
from evalkit.task.plan import plan_task
from evalkit.task.prompts import render_template
from evalkit.task.spec import find_task, resolve
from evalkit.types import Sample

GOLDEN = Path(__file__).parent / "golden_prompt_system.txt"


@pytest.fixture(scope="module")
def rows():
    pytest.importorskip("bfcl_eval", reason="pip install --no-deps bfcl-eval==2026.3.23")
    return read_rows()


def plan(spec: str):
    return plan_task(TaskRef.parse(spec), RunConfig(model="mock/echo", tasks=("bfcl",)))


def test_tools_are_bfcls_conversion_of_every_function(rows):
    pytest.importorskip("tenacity", reason="the dev extra (BFCL's handler utils import it)")
    pytest.importorskip("tree_sitter", reason="the dev extra (BFCL's handler utils import it)")
    from bfcl_eval.constants.enums import ModelStyle
    from bfcl_eval.constants.type_mappings import GORILLA_TO_OPENAPI
    from bfcl_eval.model_handler.utils import convert_to_tool

    functions = [f for row in rows for f in row["function"]]
    theirs = convert_to_tool(
        [hinted(f) for f in functions], GORILLA_TO_OPENAPI, ModelStyle.OPENAI_COMPLETIONS
    )
    mine = [to_tool(f) for f in functions]
    assert len(mine) == 8532
    # Byte-identical JSON: the same keys, values and key order as BFCL sends.
    assert [json.dumps(t) for t in mine] == [json.dumps(t) for t in theirs]


def test_native_names_map_back_without_collisions(rows):
    for row in rows:
        names = declared_names(row["function"])
        assert len(names) == len(row["function"]), row["id"]
        assert all("." not in n for n in names)


def test_native_requests_send_the_turns_and_the_tools(rows):
    p = plan("bfcl:subset=live_simple")
    assert (
        len(p.samples) == 258 and p.data.source == "generated:evalkit.scoring.calls.dataset:SOURCE"
    )
    for sample, request in zip(p.samples, p.requests, strict=True):
        assert [t.to_dict() for t in request.tools] == list(sample.metadata["tools"])
        assert [m.to_dict() for m in request.messages] == list(sample.data["messages"])
        assert request.sample_id == sample.id
    assert any(m.role == "system" for r in p.requests for m in r.messages)


def test_prompt_requests_put_the_function_prompt_first(rows):
    p = plan_task(
        TaskRef.parse("bfcl:subset=live_simple"),
        RunConfig(model="mock/echo", tasks=("bfcl",), task_args={"calls": "prompt"}),
    )
    own_system = 0
    for sample, request in zip(p.samples, p.requests, strict=True):
        assert request.tools == ()
        first = request.messages[0]
        functions = json.dumps([hinted(f) for f in sample.data["functions"]], indent=4)
        assert first.role == "system" and functions in first.content
        turns = sample.data["messages"]
        if turns[0]["role"] == "system":
            own_system += 1
            assert first.content.endswith("\n\n" + turns[0]["content"])
            assert len(request.messages) == len(turns)
        else:
            assert len(request.messages) == len(turns) + 1
    assert own_system > 0


def test_the_prompt_system_template_renders_as_golden():
    task = resolve(find_task("bfcl"), None, {"calls": "prompt"})
    doc = {
        "name": "weather.today",
        "description": "Today's weather.",
        "parameters": {
            "type": "dict",
            "properties": {"city": {"type": "string", "description": "City."}},
            "required": ["city"],
        },
    }
    sample = Sample("x", 0, {"functions_json": json.dumps([hinted(doc)], indent=4)}, "")
    assert render_template(task, "prompt_system.jinja", sample) + "\n" == GOLDEN.read_text()


def test_the_default_subset_is_every_single_turn_category(rows):
    assert [c for c in CATEGORIES] == sorted({r["category"] for r in rows}, key=CATEGORIES.index)
    assert len(rows) == 3475


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("bfcl:subset=simple", "unknown category 'simple'. Did you mean .*'simple_python'"),
        ("bfcl:subset=multi_turn_base", "unknown category 'multi_turn_base'"),
        ("bfcl:calls=json", "unknown calls mode 'json'"),
        ("bfcl:mode=prompt", "has no parameter 'mode'. Parameters: calls,"),
    ],
)
def test_bad_parameters_are_one_line_errors(rows, spec, message):
    with pytest.raises(ConfigError, match=message):
        plan(spec)


def test_identical_requests_with_opposite_expectations_are_the_three_the_readme_names(rows):
    by_request = {}
    for row in rows:
        by_request.setdefault(
            json.dumps([row["question"][0], row["function"]], sort_keys=True), []
        ).append(row)
    pairs = sorted(
        tuple(sorted(r["id"] for r in group))
        for group in by_request.values()
        if len({json.dumps(r["ground_truth"]) for r in group}) > 1
    )
    assert pairs == [
        ("live_irrelevance_118-7-8", "live_simple_29-7-2"),
        ("live_irrelevance_565-173-0", "live_multiple_262-125-1"),
        ("live_irrelevance_567-175-0", "live_simple_176-102-0"),
    ]
