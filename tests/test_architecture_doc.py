"""The worked examples of docs/architecture.md run: a solver, a scorer and a backend from the
page, registered as a third party would, evaluate a real task through ``evalkit.run``."""

from __future__ import annotations

import re
import shutil
import types
from pathlib import Path

from evalkit.backends import PROVIDERS
from evalkit.config import RunConfig
from evalkit.engine.run import run
from evalkit.engine.solvers import SOLVERS
from evalkit.records.io import read_samples
from evalkit.scoring import SCORERS

DOC = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"


def blocks() -> dict[str, str]:
    code = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    return {re.match(r"# (\S+)", c).group(1): c for c in code}


def load(name: str, source: str, **extra: object) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(extra)
    exec(compile(source, f"{DOC}:{name}", "exec"), module.__dict__)  # our own docs, not model output
    return module


def test_the_worked_examples_evaluate_a_task(tmp_path, fixture_data, fixture_tasks):
    code = blocks()
    assert set(code) == {"mypkg/solvers.py", "mypkg/scorers.py", "mypkg/backends.py"}
    solvers = load("mypkg.solvers", code["mypkg/solvers.py"])
    scorers = load("mypkg.scorers", code["mypkg/scorers.py"])
    backends = load("mypkg.backends", code["mypkg/backends.py"], my_generate=lambda text: text.upper())
    SOLVERS.register("self_check")(solvers.make_self_check)
    SCORERS.register("lowercase")(scorers.make_lowercase)
    PROVIDERS.register("mymodel")(backends.make_mymodel)
    shutil.copytree(fixture_tasks / "echo_exact", tmp_path / "tasks" / "echo_exact")
    toml = tmp_path / "tasks" / "echo_exact" / "task.toml"
    text = toml.read_text().replace('scorer = "exact"', 'scorer = "lowercase"\nsolver = "self_check"')
    toml.write_text(text)
    config = RunConfig(model="mymodel/v1", tasks=("echo_exact",), data_dir=fixture_data,
                       tasks_dir=(tmp_path / "tasks",), output_dir=tmp_path / "runs")
    (out,) = run(config)
    lines = read_samples(out.run_dir)
    # The model upper-cases the last user turn: the self-check question comes back, not the word.
    assert all(ln["completion"] == "CHECK YOUR ANSWER AND STATE IT AGAIN." for ln in lines)
    assert all(len(ln["transcript"]) == 3 for ln in lines)
    assert out.record.metrics["accuracy"]["mean"] == 0.0
    assert out.record.task["solver"] == "self_check"
