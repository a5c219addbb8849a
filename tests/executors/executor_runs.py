"""Helpers of the executor tests: a task of numbered sums, and comparing run folders."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
SUMS = "sums"


def make_sums_task(root: Path, rows: int) -> tuple[Path, Path]:
    """A task ``sums`` of ``rows`` questions "What is i plus i?" (gsm8k scorer); its folders."""
    tasks, data = root / "tasks", root / "data"
    if (data / SUMS).is_dir():  # made already (a second config of the same test)
        return tasks, data
    shutil.copytree(FIXTURES / "tasks" / "arith", tasks / SUMS)
    toml = (tasks / SUMS / "task.toml").read_text(encoding="utf-8")
    toml = toml.replace('name = "arith"', f'name = "{SUMS}"').replace("arith/", f"{SUMS}/")
    (tasks / SUMS / "task.toml").write_text(toml, encoding="utf-8")
    (data / SUMS).mkdir(parents=True)
    lines = [
        json.dumps({"key": f"s{i:03d}", "question": f"What is {i} plus {i}?", "answer": str(2 * i)})
        for i in range(rows)
    ]
    (data / SUMS / "test.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tasks, data


def question_number(text: str) -> int:
    """The ``i`` of a sums question."""
    match = re.search(r"What is (\d+) plus", text)
    assert match, text
    return int(match.group(1))


def sums_answer(i: int) -> str:
    """A model that gets two sums in three right (the rest wrong), so verdicts are mixed."""
    return f"The answer is {2 * i if i % 3 else 2 * i + 1}."


def lines_of(run_dir: Path) -> list[dict[str, Any]]:
    """The sample lines of a run, as written."""
    text = (run_dir / "samples.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def verdicts(run_dir: Path) -> dict[tuple[str, int], dict[str, Any]]:
    """Each sample's line without its latency (the one field that measures time)."""
    out = {}
    for line in lines_of(run_dir):
        key = (line["id"], line["epoch"])
        assert key not in out, f"sample {key} recorded twice"
        out[key] = {k: v for k, v in line.items() if k != "latency_s"}
    return out


def record(run_dir: Path) -> dict[str, Any]:
    """The run's run.json."""
    result: dict[str, Any] = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    return result


def assert_same_results(local: Path, other: Path) -> None:
    """Per-sample lines (latency aside), metrics and counts equal; both runs complete."""
    assert verdicts(other) == verdicts(local)
    a, b = record(local), record(other)
    assert (a["status"], b["status"]) == ("complete", "complete")
    assert b["metrics"] == a["metrics"]
    assert b["counts"] == a["counts"]
