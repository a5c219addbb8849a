"""Golden rendered prompts for GSM8K (on invented fixture rows), plus checks on the real data."""

import hashlib
import json
from pathlib import Path

import pytest

from evalkit.config import RunConfig, TaskRef
from evalkit.errors import TaskSpecError
from evalkit.task.plan import plan_task

GOLDEN = Path(__file__).parents[1] / "golden"


def rendered(task: str, data_dir: Path, **task_args: str):
    cfg = RunConfig(
        model="mock/echo", tasks=(task,), data_dir=data_dir, limit=2, task_args=task_args
    )
    return plan_task(TaskRef.parse(task), cfg).requests[0]


@pytest.mark.parametrize(
    ("task", "args", "golden"),
    [
        ("gsm8k", {}, "gsm8k_0shot_chat.json"),
        ("gsm8k:cot_8shot", {}, "gsm8k_8shot_chat.json"),
        ("gsm8k:cot_8shot", {"format": "single"}, "gsm8k_8shot_single.json"),
        ("gsm8k:base_8shot", {}, "gsm8k_8shot_text.json"),
    ],
    ids=["0shot-chat", "8shot-chat", "8shot-single", "8shot-text"],
)
def test_gsm8k_golden_prompts(fixture_data, task, args, golden):
    request = rendered(task, fixture_data, **args)
    got = {"prompt": request.prompt_json(), "params": request.params.to_dict()}
    expected = json.loads((GOLDEN / golden).read_text(encoding="utf-8"))
    assert got == expected


def test_8shot_uses_first_eight_train_rows_as_turns(fixture_data):
    request = rendered("gsm8k:cot_8shot", fixture_data)
    assert request.messages is not None
    roles = [m.role for m in request.messages]
    assert roles == ["user", "assistant"] * 8 + ["user"]
    assert "<<" not in request.messages[1].content  # calculator annotations removed
    assert request.messages[1].content.endswith("The answer is 48.")


def _digest(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()


def test_real_gsm8k_prompt_shapes(shared_data):
    zero = rendered("gsm8k", shared_data)
    eight = rendered("gsm8k:cot_8shot", shared_data)
    assert zero.messages is not None and len(zero.messages) == 1
    assert eight.messages is not None and len(eight.messages) == 17
    # The first exemplar is train row 0, its final answer taken from the '#### N' line.
    assert eight.messages[1].content.endswith("The answer is 72.")
    # Rendering is deterministic: the same prompt twice gives the same bytes.
    assert _digest(eight.prompt_json()) == _digest(
        rendered("gsm8k:cot_8shot", shared_data).prompt_json()
    )


def copy_gsm8k(tmp_path: Path) -> Path:
    """Copy the packaged gsm8k task folder, to break one of its templates in a test."""
    task_dir = tmp_path / "gsm8k"
    task_dir.mkdir()
    for f in (Path(__file__).parents[2] / "tasks" / "gsm8k").iterdir():
        if f.is_file():
            (task_dir / f.name).write_bytes(f.read_bytes())
    return task_dir


def test_template_with_missing_field_fails_with_field_list(tmp_path, fixture_data):
    task_dir = copy_gsm8k(tmp_path)
    (task_dir / "zeroshot_cot.jinja").write_text("{{ problem }}")
    cfg = RunConfig(
        model="mock/echo", tasks=("gsm8k",), data_dir=fixture_data, tasks_dir=(tmp_path,)
    )
    with pytest.raises(
        TaskSpecError, match="'problem' is undefined.*fields available: question, solution"
    ):
        plan_task(TaskRef.parse("gsm8k"), cfg)


def test_templates_cannot_reach_python_internals(tmp_path, fixture_data):
    task_dir = copy_gsm8k(tmp_path)
    (task_dir / "zeroshot_cot.jinja").write_text(
        "{{ question.__class__.__mro__[1].__subclasses__() }}"
    )
    cfg = RunConfig(
        model="mock/echo", tasks=("gsm8k",), data_dir=fixture_data, tasks_dir=(tmp_path,)
    )
    with pytest.raises(TaskSpecError):
        plan_task(TaskRef.parse("gsm8k"), cfg)


def test_template_runtime_error_is_a_task_error(tmp_path, fixture_data):
    task_dir = copy_gsm8k(tmp_path)
    (task_dir / "zeroshot_cot.jinja").write_text("{{ question + 1 }}")
    cfg = RunConfig(model="mock/echo", tasks=("gsm8k",), data_dir=fixture_data, tasks_dir=(tmp_path,))
    with pytest.raises(TaskSpecError, match="zeroshot_cot.jinja: cannot render sample .*TypeError"):
        plan_task(TaskRef.parse("gsm8k"), cfg)
