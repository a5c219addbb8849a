"""The generic code-task kind through the CLI: a user's JSONL of problems, a task.toml with
``scorer = "code_tests"``, no Python (tests/fixtures/tasks/pycode), scored in a real sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.cli import main
from evalkit.sandbox import Sandbox, SandboxUnavailable

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
ANSWERS = {
    "running_max": "```python\ndef running_max(numbers):\n    out = []\n    for x in numbers:\n        out.append(x if not out else max(out[-1], x))\n    return out\n```",
    "is_balanced": "Here:\n```python\ndef is_balanced(text):\n    pairs = {')': '(', ']': '[', '}': '{'}\n    stack = []\n    for ch in text:\n        if ch in '([{':\n            stack.append(ch)\n        elif ch in pairs and (not stack or stack.pop() != pairs[ch]):\n            return False\n    return not stack\n```",
    "digit_root": "```python\ndef digit_root(n):\n    return n % 9\n```",
    "letter_histogram": "```python\ndef letter_histogram(text):\n    return dict(Counter(c for c in text.lower() if c.isalpha()))\n```",
}


@pytest.fixture(autouse=True)
def _sandbox() -> None:
    try:
        Sandbox.check_available()
    except SandboxUnavailable as exc:
        pytest.skip(str(exc))


def run(tmp_path: Path, model: str) -> tuple[dict[str, object], list[dict[str, object]]]:
    out = tmp_path / "runs"
    argv = ["run", "--model", model, "--tasks", "pycode", "--tasks-dir", str(FIXTURES / "tasks")]
    argv += ["--data-dir", str(FIXTURES / "data"), "--output-dir", str(out), "--quiet"]
    assert main(argv) == 0
    (folder,) = out.iterdir()
    lines = [json.loads(line) for line in (folder / "samples.jsonl").read_text().splitlines()]
    return json.loads((folder / "run.json").read_text()), lines


def test_replayed_answers_are_graded_by_their_tests(tmp_path: Path) -> None:
    replay = tmp_path / "answers.jsonl"
    replay.write_text(
        "".join(json.dumps({"id": k, "completion": v}) + "\n" for k, v in ANSWERS.items())
    )
    record, lines = run(tmp_path, f"replay/{replay}")
    by_id = {line["id"]: line for line in lines}
    assert {k: v["score"] for k, v in by_id.items()} == {
        "running_max": 1.0,
        "is_balanced": 1.0,
        "digit_root": 0.0,  # 9 % 9 == 0: wrong for multiples of 9
        "letter_histogram": 1.0,  # Counter comes from the prompt's imports
    }
    assert by_id["digit_root"]["reason"] == "assertion"
    assert record["metrics"]["pass@1"]["mean"] == pytest.approx(0.75)


def test_echoed_prompt_is_a_stub_that_fails(tmp_path: Path) -> None:
    _, lines = run(tmp_path, "mock/echo")
    assert len(lines) == 4 and all(line["score"] == 0.0 for line in lines)
    assert {line["reason"] for line in lines} == {"assertion"}  # the stub returns None
