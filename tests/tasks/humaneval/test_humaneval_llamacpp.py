"""End to end with a real local model: HumanEval problems through the whole CLI (generation by
SmolLM2-135M in llama.cpp, extraction, tests in a real sandbox, run record). Slow; skips when
llama-cpp-python, the SmolLM2 package or bubblewrap is missing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.smollm2 import SMOLLM2, require_smollm2

from evalkit.cli import main
from evalkit.scoring.code import continuation_program

KINDS = {None, "no_code", "syntax", "assertion", "timeout", "memory", "exited_early"}


@pytest.fixture
def smollm2() -> str:
    require_smollm2(sandbox=True)
    return f"llamacpp/{SMOLLM2}"


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["humaneval", "humaneval:completion"])
def test_real_model_through_the_cli(smollm2: str, variant: str, tmp_path: Path) -> None:
    argv = ["run", "--model", smollm2, "-M", "n_threads=1", "--tasks", variant, "--limit", "3"]
    argv += ["--max-tokens", "192", "--output-dir", str(tmp_path), "--quiet"]
    assert main(argv) == 0
    (run,) = tmp_path.iterdir()
    record = json.loads((run / "run.json").read_text())
    lines = [json.loads(line) for line in (run / "samples.jsonl").read_text().splitlines()]
    assert [line["id"] for line in lines] == ["HumanEval/0", "HumanEval/1", "HumanEval/2"]
    assert record["counts"]["errors"] == 0 and "pass@1" in record["metrics"]
    for line in lines:
        if variant.endswith(":completion"):  # the program is the prompt and what followed it
            assert (
                line["answer"] == continuation_program(line["prompt"], line["completion"]).program
            )
        else:
            assert line["completion"].strip(), line  # the model said something
        kind = line["details"]["error_kind"]
        assert line["reason"] == kind and (kind in KINDS or kind[0].isupper()), line
        assert line["score"] == (1.0 if kind is None else 0.0)
        if kind != "no_code":  # the program ran in the sandbox and defines the function
            assert line["details"]["exit_code"] is not None or kind == "timeout"
            assert f"def {line['target']}" in line["answer"] or line["details"]["how"] == "unparsed"
