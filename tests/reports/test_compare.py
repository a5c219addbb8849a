"""Paired comparison of runs: matching, flip lists, statistics, rendering, run discovery, CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from support.synthetic_runs import sample_lines, simulated_pair, write_run

from evalkit.cli import main
from evalkit.errors import ResultsError
from evalkit.records.runs import find_runs, runs_by_label
from evalkit.reports.compare import cell, compare, item_values, pair_samples, to_json, to_markdown
from evalkit.stats.paired import mcnemar_exact, paired_bootstrap

BASE = [1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0]
CAND = [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0]


def test_flip_list_names_each_flipped_item_with_gold_and_both_answers():
    base = sample_lines(BASE, answers=["0", "1", "7", "9", "4", "5", None, "7"])
    cand = sample_lines(CAND, answers=["0", "11", "2", "8", "4", "five", "3", "7"])
    pairing = pair_samples(base, cand, "accuracy")
    got = [(f.id, f.gold, f.base_answer, f.cand_answer, f.lost) for f in pairing.flips]
    assert got == [
        ("q0001", "1", "1", "11", True),
        ("q0002", "2", "7", "2", False),
        ("q0005", "5", "5", "five", True),
    ]
    assert len(pairing.keys) == 8 and pairing.base_only == pairing.cand_only == 0


def test_matching_is_by_id_and_epoch_and_leaves_out_errors():
    base = sample_lines([1.0, 0.0, 1.0]) + sample_lines([1.0, 1.0, 1.0], epoch=1)
    cand = sample_lines([1.0, 1.0, 0.0])
    cand[0] = {**cand[0], "error": "timeout", "metrics": None}
    pairing = pair_samples(list(reversed(base)), cand, "accuracy")
    assert pairing.keys == (("q0001", 0), ("q0002", 0))  # dataset order, epoch 1 unmatched
    assert pairing.base_only == 4 and pairing.cand_only == 0
    assert [(f.id, f.lost) for f in pairing.flips] == [("q0001", False), ("q0002", True)]


def test_epochs_fold_into_one_item_per_id():
    base = sample_lines([1.0, 0.0]) + sample_lines([1.0, 1.0], epoch=1)
    cand = sample_lines([0.0, 0.0]) + sample_lines([1.0, 1.0], epoch=1)
    pairing = pair_samples(base, cand, "accuracy")
    b, c, w = item_values(pairing)
    assert (b, c, w) == ([1.0, 0.5], [0.5, 0.5], [2.0, 2.0])
    assert len(pairing.flips) == 1  # flips stay per (id, epoch)


def test_single_epoch_unit_weights_keep_plain_items():
    pairing = pair_samples(sample_lines(BASE), sample_lines(CAND), "accuracy")
    assert item_values(pairing) == (BASE, CAND, None)
    weighted = pair_samples(
        sample_lines(BASE, weights=[1, 2, 3, 4, 5, 6, 7, 8]), sample_lines(CAND), "accuracy"
    )
    assert item_values(weighted)[2] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]


def test_compare_runs_statistics(tmp_path):
    b, c = simulated_pair(7, drop=0.03)
    write_run(tmp_path / "base", "r-base", sample_lines(b))
    write_run(tmp_path / "cand", "r-cand", sample_lines(c), model="mock/beta")
    result = compare(tmp_path / "base", tmp_path / "cand")
    (task,) = result.tasks
    bb, cc = np.array(b), np.array(c)
    lost, gained = int(np.sum((bb == 1) & (cc == 0))), int(np.sum((bb == 0) & (cc == 1)))
    assert (task.lost, task.gained) == (lost, gained)
    assert task.pairing_n == 1319
    assert task.base_mean == pytest.approx(bb.mean()) and task.cand_mean == pytest.approx(cc.mean())
    assert task.diff == paired_bootstrap(b, c, n_boot=2000, seed=0)
    assert task.mcnemar_p == mcnemar_exact(lost, gained)
    assert task.diff.ci_high < 0
    assert task.notes == ()


def test_mcnemar_only_for_unweighted_binary_scores(tmp_path):
    write_run(tmp_path / "a", "a", sample_lines([1.0, 0.5, 0.0, 1.0]))
    write_run(tmp_path / "b", "b", sample_lines([1.0, 1.0, 0.0, 0.0]))
    (task,) = compare(tmp_path / "a", tmp_path / "b").tasks
    assert task.mcnemar_p is None
    assert (task.lost, task.gained) == (1, 1)


def test_compare_pairs_tasks_by_label_and_lists_the_rest(tmp_path):
    write_run(tmp_path / "a", "a1", sample_lines(BASE), label="gsm8k")
    write_run(tmp_path / "a", "a2", sample_lines(BASE), label="mmlu")
    write_run(tmp_path / "b", "b1", sample_lines(CAND), label="gsm8k")
    write_run(tmp_path / "b", "b2", sample_lines(CAND), label="ifeval")
    result = compare(tmp_path / "a", tmp_path / "b")
    assert [t.label for t in result.tasks] == ["gsm8k"]
    assert (result.base_only, result.cand_only) == (("mmlu",), ("ifeval",))
    write_run(tmp_path / "c", "c1", sample_lines(CAND), label="arc")
    with pytest.raises(ResultsError, match="no task in common"):
        compare(tmp_path / "a", tmp_path / "c")


def test_compare_notes_incomparable_runs(tmp_path):
    write_run(tmp_path / "a", "a", sample_lines(BASE))
    write_run(tmp_path / "b", "b", sample_lines(BASE), version="2", params={"shots": 8})
    (task,) = compare(tmp_path / "a", tmp_path / "b").tasks
    assert [n.split(" differs")[0] for n in task.notes] == ["task version", "task parameters"]


def test_markdown_lists_flips_and_escapes_model_output(tmp_path):
    hostile = "<img src=x onerror=alert(1)> | 42\n\n# heading"
    write_run(tmp_path / "a", "a", sample_lines(BASE))
    answers = [str(i) if v == 1 else hostile for i, v in enumerate(CAND)]
    write_run(tmp_path / "b", "b", sample_lines(CAND, answers=answers))
    text = to_markdown(compare(tmp_path / "a", tmp_path / "b"))
    assert "## gsm8k: 2 lost, 1 gained" in text
    assert (
        "| q0001 | 0 | lost | 1 | 1 | &lt;img src=x onerror=alert(1)&gt; \\| 42 # heading |" in text
    )
    assert "<img" not in text and "\n# heading" not in text
    assert "| gsm8k | accuracy | 8 | 62.50 | 50.00 | -12.50 [" in text
    short = to_markdown(compare(tmp_path / "a", tmp_path / "b"), max_flips=1)
    assert "… and 2 more." in short


def test_cell_truncates_and_marks_missing_answers():
    assert cell(None) == "(none)"
    assert cell("x" * 100, limit=10) == "x" * 9 + "…"
    assert cell("a &\tb") == "a &amp; b"


def test_json_output(tmp_path):
    write_run(tmp_path / "a", "a", sample_lines(BASE))
    write_run(tmp_path / "b", "b", sample_lines(CAND))
    data = json.loads(to_json(compare(tmp_path / "a", tmp_path / "b")))
    (task,) = data["tasks"]
    assert (task["lost"], task["gained"], task["n"]) == (2, 1, 8)
    assert task["diff"]["diff"] == -0.125
    assert task["mcnemar_p"] == 1.0
    assert task["flips"][0] == {
        "id": "q0001",
        "epoch": 0,
        "gold": "1",
        "base_answer": "1",
        "cand_answer": "1x",
        "base_score": 1.0,
        "cand_score": 0.0,
        "flip": "lost",
    }


def test_find_runs_skips_unfinished_runs_and_rejects_them_when_named(tmp_path):
    write_run(tmp_path, "done", sample_lines(BASE))
    running = write_run(tmp_path, "busy", sample_lines(BASE), status="running")
    assert [r.path.name for r in find_runs(tmp_path)] == ["done"]
    with pytest.raises(ResultsError, match="not complete"):
        find_runs(running)
    with pytest.raises(ResultsError, match="not a folder"):
        find_runs(tmp_path / "missing")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "run.json").write_text("{not json")
    with pytest.raises(ResultsError, match="not a valid run record"):
        find_runs(tmp_path)


def test_newest_run_of_a_label_wins(tmp_path):
    write_run(tmp_path, "old", sample_lines(BASE), finished="2026-01-01T00:00:00Z")
    write_run(tmp_path, "new", sample_lines(CAND), finished="2026-03-01T00:00:00Z")
    write_run(tmp_path, "mid", sample_lines(BASE), finished="2026-02-01T00:00:00Z")
    assert runs_by_label(tmp_path)["gsm8k"].path.name == "new"
    with pytest.raises(ResultsError, match="no complete run"):
        runs_by_label(_empty(tmp_path))


def _empty(tmp_path):
    path = tmp_path / "empty"
    path.mkdir()
    return path


def test_cli_compare(tmp_path, capsys):
    write_run(tmp_path / "a", "a", sample_lines(BASE))
    write_run(tmp_path / "b", "b", sample_lines(CAND))
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["tasks"][0]["lost"] == 2
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    assert "| q0005 | 0 | lost |" in capsys.readouterr().out
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "nope")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_no_matched_items_gives_nan_not_an_error(tmp_path):
    write_run(tmp_path / "a", "a", sample_lines(BASE))
    lines = [{**ln, "error": "boom", "metrics": None} for ln in sample_lines(CAND)]
    write_run(tmp_path / "b", "b", lines)
    (task,) = compare(tmp_path / "a", tmp_path / "b").tasks
    assert task.pairing_n == 0 and math.isnan(task.diff.diff) and task.pairing.base_only == 8
