"""Sweep files: models x tasks x variants, shared and per-model settings, one leaderboard."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from executor_runs import FIXTURES, make_sums_task, record

from evalkit.cli import main
from evalkit.errors import ConfigError
from evalkit.sweep import expand_tasks, load_sweep


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_variants_expand_each_listed_task() -> None:
    assert expand_tasks(["mmlu:subjects=anatomy"], {"mmlu": ["default", "zeroshot"]}) == (
        "mmlu:subjects=anatomy",
        "mmlu:zeroshot:subjects=anatomy",
    )
    with pytest.raises(ConfigError, match="names a variant and has variants listed too"):
        expand_tasks(["gsm8k:cot_8shot"], {"gsm8k": ["base_8shot"]})


def test_models_share_settings_and_override_them_key_by_key(tmp_path: Path) -> None:
    sweep = write(
        tmp_path / "sweep.toml",
        """
tasks = ["gsm8k"]
variants = { gsm8k = ["default", "cot_8shot"] }
limit = 5
output_dir = "out"
model_args = { n_ctx = "2048" }

[[models]]
model = "llamacpp/smollm2-135m"
model_args = { n_threads = "1" }

[[models]]
model = "openai/gpt-4o-mini"
limit = 3
tasks = ["ifeval"]
""",
    )
    loaded = load_sweep(sweep, {"executor": "ray", "executor_args": {"workers": "2"}})
    first, second = loaded.configs
    assert first.tasks == ("gsm8k", "gsm8k:cot_8shot") and second.tasks == ("ifeval",)
    assert first.model_args == {"n_ctx": "2048", "n_threads": "1"}
    assert (first.limit, second.limit) == (5, 3)
    assert first.output_dir == second.output_dir == (tmp_path / "out").resolve()
    assert {c.executor for c in loaded.configs} == {"ray"}
    assert first.executor_args == {"workers": "2"}
    assert loaded.leaderboard == (tmp_path / "leaderboard.md").resolve()
    assert loaded.results_dir == first.output_dir


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('tasks = ["gsm8k"]\n', r"add one \[\[models\]\] table"),
        ('tasks = ["gsm8k"]\nlimits = 5\n[[models]]\nmodel = "m/x"\n', "Did you mean 'limit'"),
        ('tasks = ["gsm8k"]\n[[models]]\nmodle = "m/x"\n', r"models\[0\]: unknown key 'modle'"),
        ('[[models]]\nmodel = "mock/echo"\n', "needs model = ... \\(and tasks"),
        ('tasks = ["a"]\n[[models]]\nmodel = "mock/echo"\nlimit = 0\n', "invalid limit"),
        ("tasks = [\n", "not valid TOML"),
        (
            'tasks = ["ifeval"]\nvariants = { gsm8k = ["x"] }\n[[models]]\nmodel = "mock/echo"\n',
            "variants of 'gsm8k', which no model runs",
        ),
    ],
)
def test_bad_sweep_files_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_sweep(write(tmp_path / "s.toml", text))


def test_a_failed_model_does_not_stop_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks, data = make_sums_task(tmp_path, 6)
    shutil.copytree(FIXTURES / "data" / "arith", data / "arith")
    sweep = write(
        tmp_path / "sweep.toml",
        f"""
tasks = ["sums", "arith"]
data_dir = "data"
tasks_dir = ["tasks", "{FIXTURES / "tasks"}"]
output_dir = "runs"
cache = false
leaderboard = "board.md"

[[models]]
model = "mock/nothing"

[[models]]
model = "mock/echo"
""",
    )
    code = main(["sweep", str(sweep), "--quiet"])
    captured = capsys.readouterr()
    assert code == 2
    assert "evalkit: error: mock/nothing: unknown mock model 'nothing'" in captured.err
    runs = sorted((tmp_path / "runs").iterdir())
    assert sorted(record(r)["task"]["label"] for r in runs) == ["arith", "sums"]
    assert {record(r)["model"]["spec"] for r in runs} == {"mock/echo"}
    assert "mock/echo" in (tmp_path / "board.md").read_text(encoding="utf-8")
