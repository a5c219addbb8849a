"""The model sees the benchmark's text byte for byte.

Every prompt of every task with local data is rendered (all rows for each task's default variant,
the first rows for its other variants) and the dataset's own text (question, prompt, problem,
options) must appear in the request exactly as it is in the raw row, leading and trailing
whitespace included. A task that changes the text must say so here and in its README.

The whitespace rule itself is tested on a small task: template whitespace at the ends of a
rendered text goes, the data's stays.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evalkit.config import RunConfig, TaskRef
from evalkit.errors import EvalkitError
from evalkit.task.plan import TaskPlan, plan_task
from evalkit.task.prompts import trim_template_whitespace
from evalkit.task.spec import discover, load_task, packaged_tasks_dir
from evalkit.types import Request

TEXT_FIELDS = {
    "gsm8k": ("question",),
    "ifeval": ("prompt",),
    "math500": ("problem",),
    "math": ("problem",),
    "mmlu": ("question", "A", "B", "C", "D"),
    "ceval": ("question", "A", "B", "C", "D"),
    "cmmlu": ("Question", "A", "B", "C", "D"),
    "humaneval": ("prompt",),
}
"""Raw row fields each task sends to the model unchanged."""
GENERATED = {
    "niah": "rows are generated haystacks sized by a tokenizer, not benchmark text",
    "ruler": "rows are generated haystacks sized by a tokenizer, not benchmark text",
    "bfcl": "rows come from the bfcl-eval package as function-call conversations",
    "mtbench": "rows are two-turn conversations (tests/tasks/test_mtbench.py checks both turns)",
    "judged": "rows are the user's own file (-T data=...), normalised by field names",
}
"""Tasks whose prompts are built by code from generated or structured rows."""
OTHER_VARIANT_ROWS = 150


def _cases() -> list[tuple[str, str | None]]:
    cases = []
    for name, path in sorted(discover().items()):
        if path.parent != packaged_tasks_dir():
            continue
        spec = load_task(path).spec
        cases += [(name, None), *((name, v) for v in sorted(spec.variants))]
    return cases


def request_text(request: Request) -> str:
    if request.messages is not None:
        return "\n".join(m.content for m in request.messages)
    return request.prompt or ""


def _plan(label: str, data: Path, limit: int | None) -> TaskPlan:
    config = RunConfig(model="mock/echo", tasks=(label,), data_dir=data, limit=limit)
    try:
        return plan_task(TaskRef.parse(label), config)
    except EvalkitError as exc:
        if "no data at" in str(exc):
            pytest.skip(f"{label}: its data is not in the local data folder ({exc})")
        raise


@pytest.mark.parametrize(("name", "variant"), _cases(), ids=lambda x: str(x))
def test_dataset_text_reaches_the_model_verbatim(name, variant, shared_data):
    if name in GENERATED:
        pytest.skip(GENERATED[name])
    assert name in TEXT_FIELDS, f"say which fields of {name}'s rows reach the model unchanged"
    label = f"{name}:{variant}" if variant else name
    plan = _plan(label, shared_data, None if variant is None else OTHER_VARIANT_ROWS)
    altered = []
    for sample, request in zip(plan.samples, plan.requests, strict=True):
        row = plan.data.rows[sample.index]
        text = request_text(request)
        altered += [(sample.id, f) for f in TEXT_FIELDS[name] if str(row[f]) not in text]
    assert not altered, f"{len(altered)} texts altered, e.g. {altered[:5]}"


def test_edge_whitespace_in_the_data_is_kept_and_the_templates_is_not(tmp_path, shared_data):
    """IFEval ends prompts in newlines and spaces, MMLU begins questions with a space."""
    task = tmp_path / "gsm8k"
    shutil.copytree(packaged_tasks_dir() / "gsm8k", task)
    (task / "zeroshot_cot.jinja").write_text("\n  {% if true %}\n{{ question }}{% endif %}\n\n")
    data = tmp_path / "data" / "gsm8k"
    data.mkdir(parents=True)
    rows = [
        '{"question": " Q one \\n", "answer": "x #### 1"}',
        '{"question": "Q2", "answer": "#### 2"}',
    ]
    (data / "test.jsonl").write_text("\n".join(rows) + "\n")
    config = RunConfig(
        model="mock/echo", tasks=("gsm8k",), data_dir=tmp_path / "data", tasks_dir=(tmp_path,)
    )
    plan = plan_task(TaskRef.parse("gsm8k"), config)
    assert [request_text(r) for r in plan.requests] == [" Q one \n", "Q2"]


def test_trim_without_any_expression_strips_like_before():
    assert trim_template_whitespace("\n  fixed text \n") == "fixed text"
