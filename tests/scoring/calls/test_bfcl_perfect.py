"""A scripted perfect model scores 100% per category, through the adapter, scorer and CLI.

The perfect model answers each entry with its possible answer (``perfect_calls``): the first
acceptable value of every declared parameter, no call for irrelevance. Four entries of BFCL's
data cannot be answered right by any reply under BFCL's own checker, because their possible
answer contradicts their function document (a required parameter the answer does not list or
lists with no value, or an expected parameter the function does not declare that is not
optional). They are found structurally here, and BFCL's checker rejects them too.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from bfcl_cases import perfect_calls, perfect_completion, prompt_text

from evalkit.cli import main
from evalkit.config import RunConfig, TaskRef
from evalkit.scoring import SCORERS
from evalkit.task.plan import plan_task

UNANSWERABLE = {
    "live_simple_106-63-0",
    "live_simple_112-68-0",
    "live_multiple_862-181-3",
    "live_multiple_964-207-0",
}


def contradicts(row) -> bool:
    """Whether no reply can satisfy BFCL's checker for this entry."""
    for answer in row["ground_truth"] or []:
        ((name, expected),) = answer.items()
        schema = next(f for f in row["function"] if f["name"] == name)["parameters"]
        for param in schema["required"]:
            if param not in expected or expected[param] == []:
                return True
        for param, options in expected.items():
            if param not in schema["properties"] and "" not in options:
                return True
    return False


@pytest.fixture(scope="module")
def plans():
    pytest.importorskip("bfcl_eval", reason="pip install --no-deps bfcl-eval==2026.3.23")
    config = RunConfig(model="mock/echo", tasks=("bfcl",))
    return {
        calls: plan_task(TaskRef.parse(f"bfcl:calls={calls}"), config)
        for calls in ("native", "prompt")
    }


def _rows_by_id(plan):
    return {row["id"]: row for row in plan.data.rows}


@pytest.mark.parametrize("calls", ["native", "prompt"])
def test_perfect_model_scores_every_answerable_entry(plans, calls):
    plan = plans[calls]
    rows = _rows_by_id(plan)
    scorer = SCORERS.get("bfcl")(plan.task.params)
    right, total = Counter(), Counter()
    wrong = set()
    for sample in plan.samples:
        score = scorer.score(sample, perfect_completion(rows[sample.id], calls == "native"))
        category = sample.metadata["category"]
        total[category] += 1
        right[category] += score.value
        if score.value != 1.0:
            wrong.add(sample.id)
    assert {r["id"] for r in rows.values() if contradicts(r)} == UNANSWERABLE
    assert wrong == UNANSWERABLE
    assert len(total) == 10 and sum(total.values()) == 3475
    for category in total:
        lost = sum(1 for i in UNANSWERABLE if rows[i]["category"] == category)
        assert right[category] == total[category] - lost, category


def test_unanswerable_entries_are_refused_by_bfcl_too(plans):
    from bfcl_reference import load_reference, verdict

    ref = load_reference()
    rows = _rows_by_id(plans["native"])
    for entry in sorted(UNANSWERABLE):
        row = rows[entry]
        for native in (True, False):
            completion = perfect_completion(row, native)
            assert (
                verdict(
                    ref, row["category"], row["function"], row["ground_truth"], completion, native
                )
                is False
            )


def test_whole_cli_run_of_a_replayed_perfect_model_in_prompt_mode(plans, tmp_path, capsys):
    rows = _rows_by_id(plans["prompt"])
    replies = tmp_path / "perfect.jsonl"
    with replies.open("w") as fh:
        for entry, row in rows.items():
            text = prompt_text(perfect_calls(row)) if row["ground_truth"] else "No function fits."
            fh.write(json.dumps({"id": entry, "completion": text}) + "\n")
    out = tmp_path / "runs"
    code = main(
        [
            "run",
            "--model",
            f"replay/{replies}",
            "--tasks",
            "bfcl:calls=prompt",
            "--output-dir",
            str(out),
            "--quiet",
        ]
    )
    capsys.readouterr()
    assert code == 0
    (run_dir,) = list(out.iterdir())
    record = json.loads((run_dir / "run.json").read_text())
    groups = record["groups"]["category"]
    assert len(groups) == 10
    for category, metrics in groups.items():
        lost = sum(1 for i in UNANSWERABLE if rows[i]["category"] == category)
        n = metrics["accuracy"]["n"]
        assert metrics["accuracy"]["mean"] == pytest.approx((n - lost) / n), category
    lines = [json.loads(x) for x in (run_dir / "samples.jsonl").read_text().splitlines()]
    assert {ln["id"] for ln in lines if ln["score"] != 1.0} == UNANSWERABLE
