"""Run files: ``--print-config`` writes the resolved run, ``--config`` reads it back, flags
override it, and mistakes in it are one-line errors."""

from __future__ import annotations

from evalkit.cli import main
from evalkit.records.io import read_record


def args(fixture_data, fixture_tasks, tmp_path):
    return ["--data-dir", str(fixture_data), "--tasks-dir", str(fixture_tasks), "--output-dir", str(tmp_path / "runs")]


def test_printed_config_runs_the_same_run(tmp_path, fixture_data, fixture_tasks, capsys):
    base = ["run", "--model", "mock/echo", "--tasks", "echo_exact", "-T", "ignore_case=false", "--limit", "3",
            "--seed", "7", "--epochs", "2", "--quiet", *args(fixture_data, fixture_tasks, tmp_path)]
    assert main([*base, "--print-config"]) == 0
    text = capsys.readouterr().out
    assert 'model = "mock/echo"' in text and "epochs = 2" in text and "[task_args]" in text
    assert not (tmp_path / "runs").exists()  # printing runs nothing
    (tmp_path / "run.toml").write_text(text)
    assert main(["run", "--config", str(tmp_path / "run.toml"), "--quiet"]) == 0
    assert main([*base]) == 0
    capsys.readouterr()
    first, second = sorted((tmp_path / "runs").iterdir())
    a, b = read_record(first), read_record(second)
    assert a.config == b.config
    assert a.metrics == b.metrics and a.dataset["selection_sha256"] == b.dataset["selection_sha256"]


def test_flags_override_the_file_key_by_key(tmp_path, fixture_data, fixture_tasks, capsys):
    (tmp_path / "run.toml").write_text(
        'model = "mock/echo"\ntasks = ["echo_exact"]\nlimit = 2\nseed = 5\n\n[task_args]\nignore_case = "false"\n'
        'strip_punctuation = "false"\n'
    )
    assert main(["run", "--config", str(tmp_path / "run.toml"), "--limit", "3", "-T", "ignore_case=true",
                 "--print-config", *args(fixture_data, fixture_tasks, tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "limit = 3" in text and "seed = 5" in text
    assert 'ignore_case = "true"' in text and 'strip_punctuation = "false"' in text


def test_bad_run_files_are_one_line_errors(tmp_path, capsys):
    cases = {
        "typo.toml": ('model = "mock/echo"\ntasks = ["echo_exact"]\nconcurency = 4\n', "unknown key 'concurency'"),
        "broken.toml": ('model = "mock/echo\n', "not valid TOML"),
        "notasks.toml": ('model = "mock/echo"\n', "--tasks is missing"),
        "badvalue.toml": ('model = "mock/echo"\ntasks = ["echo_exact"]\nconcurrency = 0\n', "invalid --concurrency"),
        "argsstring.toml": ('model = "mock/echo"\ntasks = ["echo_exact"]\ntask_args = "n_shot=1"\n', "'task_args' must be a table"),
        "argslist.toml": ('model = "mock/echo"\ntasks = ["echo_exact"]\nmodel_args = []\n', "'model_args' must be a table"),
    }
    for name, (text, message) in cases.items():
        (tmp_path / name).write_text(text)
        assert main(["run", "--config", str(tmp_path / name)]) == 2, name
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, (name, err)
    assert main(["run", "--config", str(tmp_path / "absent.toml")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_a_printed_config_keeps_relative_folders_where_they_were(tmp_path, fixture_data, fixture_tasks, capsys, monkeypatch):
    (tmp_path / "work").mkdir()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    assert main(["run", "--model", "mock/echo", "--tasks", "echo_exact", "--limit", "1", "--data-dir", str(fixture_data),
                 "--tasks-dir", str(fixture_tasks), "--cache-dir", "cache", "--print-config"]) == 0
    (tmp_path / "elsewhere" / "run.toml").write_text(capsys.readouterr().out)
    assert main(["run", "--config", str(tmp_path / "elsewhere" / "run.toml"), "--quiet"]) == 0
    capsys.readouterr()
    assert len(list((tmp_path / "work" / "results" / "runs").iterdir())) == 1  # the default folder, as run
    assert not (tmp_path / "elsewhere" / "results").exists()


def test_printed_values_with_control_characters_read_back_the_same():
    from evalkit.runfile import dumps, loads

    fields = {"model": "mock/echo", "model_name": 'a\tb"\x7f\\', "tasks": ["x\x01"], "task_args": {"k\x1b": "\n\x7f", "ü": "1", "a-b": "2"}}
    assert loads(dumps(fields), "run.toml") == fields


def test_run_file_parameter_values_may_be_numbers_or_booleans(tmp_path, fixture_data, fixture_tasks, capsys):
    (tmp_path / "run.toml").write_text(
        'model = "mock/echo"\ntasks = ["echo_exact"]\n\n[task_args]\nignore_case = false\n'
    )
    assert main(["run", "--config", str(tmp_path / "run.toml"), "--print-config",
                 *args(fixture_data, fixture_tasks, tmp_path)]) == 0
    assert 'ignore_case = "false"' in capsys.readouterr().out


def test_epochs_at_temperature_zero_are_flagged(tmp_path, fixture_data, fixture_tasks, capsys):
    assert main(["run", "--model", "mock/echo", "--tasks", "echo_exact", "--epochs", "2", "--quiet",
                 *args(fixture_data, fixture_tasks, tmp_path)]) == 0
    assert "--epochs 2 without --temperature" in capsys.readouterr().err
