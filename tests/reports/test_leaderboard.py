"""The leaderboard: selection rules, golden rendering, determinism, ``--check`` and exit codes.

Set ``EVALKIT_UPDATE_GOLDEN=1`` to rewrite ``tests/golden/leaderboard.md`` after a deliberate
change of the page, then review the diff.
"""

from __future__ import annotations

import os
import shutil
from importlib import resources
from pathlib import Path

import pytest
from support.synthetic_runs import sample_lines, write_run

from evalkit.cli import main
from evalkit.reports.leaderboard import TEMPLATE, build, is_current, render, version_key, write

GOLDEN = Path(__file__).parents[1] / "golden" / "leaderboard.md"
LINES = sample_lines([1.0, 0.0, 1.0])  # samples.jsonl content does not matter to the page


def _metric(mean, half=0.02, stderr=0.01, n=1319):
    return {"mean": mean, "ci_low": mean - half, "ci_high": mean + half, "stderr": stderr, "n": n}


def _results(root: Path) -> Path:
    """A results tree exercising every selection rule."""
    runs = root / "results" / "runs"

    def run(name, model, label, mean, finished, **kw):
        metrics = kw.pop("metrics", None) or _metric(mean)
        write_run(
            runs, name, LINES, model=model, label=label, finished=finished, metrics=metrics, **kw
        )

    run("a-gsm8k", "openai/gpt-4o-mini", "gsm8k", 0.912, "2026-02-01T10:00:00Z")
    run(
        "a-ifeval",
        "openai/gpt-4o-mini",
        "ifeval",
        0.801,
        "2026-02-01T11:00:00Z",
        metrics=_metric(0.801, 0.034, 0.017, 541),
    )
    run("b-gsm8k", "hf/Qwen2.5-7B-Instruct", "gsm8k", 0.851, "2026-02-02T09:30:00Z")
    run(
        "b-ifeval",
        "hf/Qwen2.5-7B-Instruct",
        "ifeval",
        0.7412,
        "2026-02-02T09:45:00Z",
        metrics=_metric(0.7412, 0.036, 0.0185, 541),
    )
    run("a-gsm8k-cot", "openai/gpt-4o-mini", "gsm8k:cot", 0.93, "2026-02-01T12:00:00Z")
    run("b-gsm8k-cot", "hf/Qwen2.5-7B-Instruct", "gsm8k:cot", 0.88, "2026-02-02T10:00:00Z")
    run("c-gsm8k-cot", "llamacpp/tiny|q4.gguf", "gsm8k:cot", 0.3551, "2026-02-03T00:00:00Z")
    run("c-gsm8k", "llamacpp/tiny|q4.gguf", "gsm8k", 0.301, "2026-02-03T00:00:00Z")
    # Older run of a ranked (model, task): replaced by the newer one, not listed.
    run("a-gsm8k-old", "openai/gpt-4o-mini", "gsm8k", 0.5, "2026-01-01T00:00:00Z")
    # Not ranked, each for its reason.
    run(
        "b-gsm8k-limit",
        "hf/Qwen2.5-7B-Instruct",
        "gsm8k",
        0.99,
        "2026-03-01T00:00:00Z",
        config={"limit": 10},
    )
    run(
        "b-gsm8k-shots",
        "hf/Qwen2.5-7B-Instruct",
        "gsm8k",
        0.99,
        "2026-03-01T00:00:00Z",
        config={"task_args": {"num_fewshot": 3}},
    )
    run("a-ifeval-v0", "openai/gpt-4o-mini", "ifeval", 0.99, "2026-03-01T00:00:00Z", version="0")
    run(
        "c-gsm8k-data",
        "llamacpp/tiny|q4.gguf",
        "gsm8k",
        0.99,
        "2026-01-15T00:00:00Z",
        dataset={"sha256": "0" * 64},
    )
    run(
        "b-gsm8k-running",
        "hf/Qwen2.5-7B-Instruct",
        "gsm8k",
        0.99,
        "2026-03-02T00:00:00Z",
        status="running",
    )
    return root / "results"


def test_leaderboard_matches_golden_file(tmp_path):
    results = _results(tmp_path)
    text = render(results, tmp_path / "leaderboard.md")
    if os.environ.get("EVALKIT_UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_selection_rules(tmp_path):
    board = build(_results(tmp_path))
    assert [(c.label, c.version) for c in board.columns] == [
        ("gsm8k", "1"),
        ("gsm8k:cot", "1"),
        ("ifeval", "1"),
    ]
    assert [row.model for row in board.rows] == [
        "openai/gpt-4o-mini",  # 3 tasks, average 88.1
        "hf/Qwen2.5-7B-Instruct",  # 3 tasks, average 82.4
        "llamacpp/tiny|q4.gguf",  # 2 tasks
    ]
    top = board.rows[0].runs
    assert [r.path.name if r else None for r in top] == ["a-gsm8k", "a-gsm8k-cot", "a-ifeval"]
    assert board.rows[2].runs[2] is None
    reasons = {run.path.name: why for run, why in board.excluded}
    assert reasons == {
        "b-gsm8k-limit": "partial run (--limit/--sample)",
        "b-gsm8k-shots": "custom task parameters (-T)",
        "a-ifeval-v0": "superseded task version 0 (latest: 1)",
        "c-gsm8k-data": "dataset or sample set differs from the newest run of the task",
    }


def test_rendering_is_deterministic_and_independent_of_the_checkout_location(tmp_path):
    first = render(_results(tmp_path / "one"), tmp_path / "one" / "leaderboard.md")
    again = render(tmp_path / "one" / "results", tmp_path / "one" / "leaderboard.md")
    elsewhere = render(_results(tmp_path / "two"), tmp_path / "two" / "leaderboard.md")
    assert first == again == elsewhere


def test_links_are_relative_to_the_output_file(tmp_path):
    results = _results(tmp_path)
    text = render(results, tmp_path / "docs" / "leaderboard.md")
    assert "](../results/runs/a-gsm8k/)" in text


def test_version_key_orders_numerically():
    versions = ["10", "2", "1.1", "1", "10a", "1.0.1"]
    assert sorted(versions, key=version_key) == ["1", "1.0.1", "1.1", "2", "10", "10a"]


def test_newer_version_replaces_the_column(tmp_path):
    results = tmp_path / "results"
    write_run(results, "v2", LINES, version="2", metrics=_metric(0.4))
    write_run(results, "v10", LINES, version="10", metrics=_metric(0.5))
    board = build(results)
    assert [c.version for c in board.columns] == ["10"]
    assert [why for _, why in board.excluded] == ["superseded task version 2 (latest: 10)"]


def test_empty_results_folder(tmp_path):
    (tmp_path / "results").mkdir()
    text = render(tmp_path / "results", tmp_path / "leaderboard.md")
    assert "No complete runs yet." in text and "| Model |" not in text


def test_model_names_cannot_break_the_table(tmp_path):
    text = render(_results(tmp_path), tmp_path / "leaderboard.md")
    assert "| llamacpp/tiny\\|q4.gguf |" in text


def test_template_ships_inside_the_package():
    assert resources.files("evalkit.reports").joinpath("templates", TEMPLATE).is_file()


def test_check_detects_a_stale_file(tmp_path, capsys):
    results, out = _results(tmp_path), tmp_path / "leaderboard.md"
    assert not is_current(results, out)  # missing
    write(results, out)
    assert is_current(results, out)
    argv = ["leaderboard", str(results), "-o", str(out), "--check"]
    assert main(argv) == 0
    capsys.readouterr()
    write_run(results / "runs", "d-gsm8k", LINES, model="mock/new", metrics=_metric(0.6))
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is stale" in err
    assert main(argv[:-1]) == 0 and main(argv) == 0


def test_cli_writes_the_file_and_rejects_unreadable_results(tmp_path, capsys):
    results, out = _results(tmp_path), tmp_path / "leaderboard.md"
    assert main(["leaderboard", str(results), "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == render(results, out)
    broken = results / "runs" / "broken"
    broken.mkdir()
    (broken / "run.json").write_text('{"status": "complete"}')
    assert main(["leaderboard", str(results), "-o", str(out)]) == 2
    assert "not a valid run record" in capsys.readouterr().err
    shutil.rmtree(broken)
    assert main(["leaderboard", str(tmp_path / "nowhere"), "-o", str(out)]) == 2


@pytest.mark.parametrize("argv", [[], ["--check"]])
def test_cli_defaults_to_results_and_leaderboard_md(tmp_path, monkeypatch, argv):
    _results(tmp_path)
    monkeypatch.chdir(tmp_path)
    if argv:
        write(Path("results"), Path("leaderboard.md"))
    assert main(["leaderboard", *argv]) == 0
    assert (tmp_path / "leaderboard.md").read_text(encoding="utf-8") == GOLDEN.read_text(
        encoding="utf-8"
    )
