"""CI dogfooding: replay real recorded model outputs and hold them to the committed baseline.

The committed runs under results/baseline/ were made by replaying published outputs (the GSM8K
verifier-paper solutions, the IFEval GPT-4 responses) through the whole pipeline. Here the same
replays run again with the current code. Any change to extraction or checkers that moves a
published number fails until the baseline is deliberately regenerated (see README, "Baseline").
"""

import os
from pathlib import Path

import pytest

from evalkit.cli import main
from evalkit.config import RunConfig
from evalkit.engine.run import run
from evalkit.records.io import read_record, read_samples
from evalkit.reports.gate import gate

REPO = Path(__file__).resolve().parent.parent
BASELINE = REPO / "results" / "baseline"
RUNS = (
    sorted(p for p in BASELINE.iterdir() if (p / "run.json").is_file()) if BASELINE.is_dir() else []
)


def replay_config(baseline_dir: Path, shared_data: Path, out: Path) -> RunConfig:
    recorded = read_record(baseline_dir).config
    spec = recorded["model"]
    relative = spec.split("shared/data/", 1)[1]  # the replayed file, inside the data folder
    return RunConfig.model_validate(
        {
            **recorded,
            "model": f"replay/{shared_data / relative}",
            "data_dir": str(shared_data),
            "output_dir": str(out),
            "tasks_dir": [],
        }
    )


@pytest.mark.parametrize(
    "baseline_dir", RUNS, ids=[p.name.split("-")[1] + "-" + p.name[-6:] for p in RUNS]
)
def test_replay_matches_baseline_exactly_and_passes_gate(baseline_dir, shared_data, tmp_path):
    if not (shared_data / "ifeval").is_dir():
        pytest.skip("replayed outputs not in the data folder")
    (out,) = run(replay_config(baseline_dir, shared_data, tmp_path))
    base = {ln["id"]: ln["score"] for ln in read_samples(baseline_dir)}
    cand = {ln["id"]: ln["score"] for ln in read_samples(out.run_dir)}
    moved = sorted(i for i in base if base[i] != cand.get(i))
    assert not moved, f"{len(moved)} sample verdicts moved vs the baseline, e.g. {moved[:5]}"
    assert out.record.metrics == read_record(baseline_dir).metrics
    report = gate(baseline_dir, out.run_dir, max_drop=1.0, alpha=0.05)
    assert report.tasks and not any(t.failed for t in report.tasks)


def test_published_numbers_are_the_known_ones():
    by_name = {read_record(p).model_name(): read_record(p) for p in RUNS}
    gsm8k = {
        name.split(" ")[0]: r.metrics["flexible"]["mean"]
        for name, r in by_name.items()
        if r.task["name"] == "gsm8k"
    }
    # Shares marked is_correct in the verifier paper's own file (shared/data/README.md).
    assert gsm8k == {
        "gpt3-6b_finetuning": 0.216831,
        "gpt3-6b_verification": 0.390447,
        "gpt3-175b_finetuning": 0.347233,
        "gpt3-175b_verification": 0.562547,
    }
    (ifeval,) = [r for r in by_name.values() if r.task["name"] == "ifeval"]
    assert {
        k: round(100 * ifeval.metrics[k]["mean"], 2)
        for k in ("prompt_strict", "inst_strict", "prompt_loose", "inst_loose")
    } == {"prompt_strict": 77.08, "inst_strict": 83.69, "prompt_loose": 79.67, "inst_loose": 85.61}


def test_committed_leaderboard_is_current(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    assert main(["leaderboard", "results", "-o", "leaderboard.md", "--check"]) == 0


def test_baseline_holds_no_benchmark_text():
    for path in BASELINE.rglob("samples.jsonl"):
        for line in read_samples(path.parent):
            for field in ("prompt", "completion", "target"):
                assert line[field] is None or str(line[field]).startswith("sha256:"), (path, field)
    assert os.path.getsize(BASELINE) > 0


def test_published_copy_cannot_be_rescored(capsys):
    code = main(["rescore", str(RUNS[0])])
    assert code == 2 and "published copy" in capsys.readouterr().err
