"""The code interpreter with a real model in process: SmolLM2-135M through the CLI, fenced text
protocol, code run in the sandbox. The model is weak; what is checked is the plumbing: the run
completes, every turn is recorded, tool use is counted, nothing errs."""

from __future__ import annotations

import json

import pytest
from support.smollm2 import require_smollm2

from evalkit.cli import main
from evalkit.records.io import read_record, read_samples

pytestmark = pytest.mark.slow


def test_smollm2_runs_math_with_the_interpreter_through_the_cli(tmp_path, fixture_data, capsys):
    require_smollm2(sandbox=True)
    code = main(["run", "--model", "llamacpp/smollm2-135m", "-M", "n_threads=1", "--tasks", "math:code_interpreter",
                 "-T", "protocol=fenced", "-T", "max_turns=2", "--max-tokens", "96",
                 "--data-dir", str(fixture_data), "--output-dir", str(tmp_path / "runs"), "--quiet"])
    out = capsys.readouterr()
    assert code == 0, out.err
    (run_dir,) = (tmp_path / "runs").iterdir()
    record = read_record(run_dir)
    assert record.task["solver"] == "tool_loop" and record.counts["errors"] == 0
    assert record.counts["samples"] == 3
    for line in read_samples(run_dir):
        roles = [m["role"] for m in line["transcript"]]
        assert roles[0] == "assistant" and roles[-1] == "assistant" or line["reason"] == "turn_limit"
        system = line["prompt"][0]
        assert system["role"] == "system" and "```python" in system["content"]
    assert "used_tool" in record.metrics and "flexible" in record.metrics
    # The native protocol is refused for an in-process model, in one line, before loading it.
    assert main(["run", "--model", "llamacpp/smollm2-135m", "--tasks", "math:code_interpreter",
                 "--data-dir", str(fixture_data), "--output-dir", str(tmp_path / "r2"), "--quiet"]) == 2
    assert "-T protocol=fenced" in capsys.readouterr().err
    json.dumps(record.metrics)
