"""End to end through the CLI: a scripted server at 200K tokens, bad input, the real SmolLM2 at 1-2K."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from longctx_server import Script, ScriptedServer

from evalkit.cli import main

BUDGET_200K = 204_800 - 128


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def only_run(out_dir: Path) -> Path:
    (run,) = list(out_dir.iterdir())
    return run


def lines(run: Path) -> list[dict]:
    return [json.loads(x) for x in (run / "samples.jsonl").read_text().splitlines()]


def test_200k_grid_against_a_scripted_vllm_server(capsys, tmp_path):
    script = Script()
    with ScriptedServer(script) as server:
        code, out, err = run_cli(
            capsys, "run", "--model", "vllm/scripted", "--base-url", server.base_url,
            "--tasks", "niah", "-T", "lengths=8k,200k", "-T", "depths=3",
            "--output-dir", str(tmp_path / "runs"), "--quiet",
        )  # fmt: skip
    assert code == 0, err
    run = only_run(tmp_path / "runs")
    record = json.loads((run / "run.json").read_text())
    assert record["metrics"]["string_match_all"]["mean"] == 1.0  # the script found every needle
    assert set(record["groups"]["cell"]) == {
        f"{n}x{d}" for n in (8192, 204800) for d in (0, 50, 100)
    }
    assert set(record["groups"]["length"]) == {"8192", "204800"}
    for line in lines(run):
        meta = line["metadata"]
        assert meta["tokenizer"] == "server:/tokenize" and meta["sizing"] == "exact"
        # the server's own count of the prompt it received is the measured length
        assert line["usage"]["input_tokens"] == meta["tokens"]
        assert meta["budget"] * 0.99 <= meta["tokens"] <= meta["budget"]
    assert max(script.chat_prompt_tokens) > 0.99 * BUDGET_200K
    # the heatmap and the paired comparison work on it
    code, out, err = run_cli(capsys, "plot", str(run), "-o", str(tmp_path / "niah.png"))
    assert code == 0 and "| 200K | 1.000 |" in out and (tmp_path / "niah.png").stat().st_size > 0
    # another model with another tokenizer gets the same sample ids: compare pairs all six
    code, out, err = run_cli(
        capsys, "run", "--model", "mock/echo", "-T", "tokenizer=tiktoken:cl100k_base",
        "--tasks", "niah", "-T", "lengths=8k,200k", "-T", "depths=3",
        "--output-dir", str(tmp_path / "other"), "--quiet",
    )  # fmt: skip
    assert code == 0, err
    code, out, err = run_cli(
        capsys, "compare", str(run), str(only_run(tmp_path / "other")), "--format", "json"
    )
    assert code == 0, err
    (task,) = json.loads(out)["tasks"]
    assert (task["n"], task["baseline_only"], task["candidate_only"]) == (6, 0, 0)
    # the only difference noted is the tokenizer parameter (same data fingerprint, same ids)
    assert len(task["notes"]) == 1 and "'tokenizer': 'tiktoken:cl100k_base'" in task["notes"][0]


def test_a_length_beyond_max_model_len_is_refused_before_any_request(capsys, tmp_path):
    script = Script(max_model_len=131_072)
    with ScriptedServer(script) as server:
        code, out, err = run_cli(
            capsys, "run", "--model", "vllm/scripted", "--base-url", server.base_url,
            "--tasks", "niah", "-T", "lengths=4k,200k", "-T", "depths=2",
            "--output-dir", str(tmp_path / "runs"), "--quiet",
        )  # fmt: skip
    assert code == 2
    assert err.strip().count("\n") == 0 and "beyond the context" in err and "131072" in err
    assert script.tokenize_calls == 0 and script.chat_prompt_tokens == []
    assert not (tmp_path / "runs").exists()


def test_a_server_without_tokenize_is_refused_or_sized_approximately(capsys, tmp_path):
    script = Script(tokenize="none")
    args = ["--model", "vllm/scripted", "--tasks", "niah", "-T", "lengths=2k", "-T", "depths=2"]
    with ScriptedServer(script) as server:
        out_dir = ["--base-url", server.base_url, "--output-dir", str(tmp_path / "r"), "--quiet"]
        code, out, err = run_cli(capsys, "run", *args, *out_dir)
        assert code == 2 and "no tokenize endpoint" in err and "tiktoken:o200k_base" in err
        assert err.strip().count("\n") == 0 and script.chat_prompt_tokens == []
        code, out, err = run_cli(
            capsys, "run", *args, "-T", "tokenizer=tiktoken:o200k_base", *out_dir
        )
    assert code == 0, err
    metas = [ln["metadata"] for ln in lines(only_run(tmp_path / "r"))]
    assert {(m["tokenizer"], m["sizing"]) for m in metas} == {
        ("tiktoken:o200k_base", "approximate")
    }


@pytest.mark.parametrize(
    ("style", "endpoint"),
    [("llamacpp", "server:/tokenize (llama.cpp)"), ("text", "server:/tokenize (text)")],
)
def test_text_only_tokenize_endpoints_count_contents_only(capsys, tmp_path, style, endpoint):
    script = Script(tokenize=style)
    with ScriptedServer(script) as server:
        code, out, err = run_cli(
            capsys, "run", "--model", "openai-compatible/scripted", "--base-url", server.base_url,
            "--tasks", "niah", "-T", "lengths=4k", "-T", "depths=2",
            "--output-dir", str(tmp_path / "runs"), "--quiet",
        )  # fmt: skip
    assert code == 0, err
    for line in lines(only_run(tmp_path / "runs")):
        meta = line["metadata"]
        assert (meta["tokenizer"], meta["sizing"]) == (endpoint, "approximate")
        # the template the server adds is not counted: a few tokens more than measured
        assert 0 < line["usage"]["input_tokens"] - meta["tokens"] < 40


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--model", "mock/echo"], "has no tokenizer"),
        (["--model", "mock/echo", "-T", "tokenizer=tiktoken:p50k"], "unknown tiktoken encoding"),
        (["--model", "mock/echo", "-T", "tokenizer=sentencepiece"], "invalid tokenizer"),
        (["--model", "mock/echo", "-T", "tokenizer=hf:/no/such/tokenizer"], "/no/such/tokenizer"),
        (["--model", "mock/echo", "-T", "tokenizer=tiktoken:o200k_base", "-T", "lengths=2x"], "invalid length"),
        (["--model", "mock/echo", "-T", "tokenizer=tiktoken:o200k_base", "-T", "lengths=128"], "without any haystack"),
    ],
)  # fmt: skip
def test_bad_input_is_a_one_line_error(capsys, tmp_path, argv, message):
    code, out, err = run_cli(
        capsys, "run", *argv, "--tasks", "niah", "--output-dir", str(tmp_path), "--quiet"
    )
    assert code == 2
    assert message in err and err.strip().count("\n") == 0


@pytest.mark.slow
def test_real_smollm2_through_the_cli_at_1k_and_2k(capsys, tmp_path, smollm2):
    code, out, err = run_cli(
        capsys, "run", "--model", f"llamacpp/{smollm2}", "-M", "n_threads=1",
        "--tasks", "ruler:tasks=niah_single", "-T", "lengths=1k,2k", "-T", "depths=1",
        "--limit", "2", "--max-tokens", "24", "--output-dir", str(tmp_path / "runs"), "--quiet",
    )  # fmt: skip
    assert code == 0, err
    run = only_run(tmp_path / "runs")
    got = lines(run)
    assert [ln["id"] for ln in got] == ["niah_single-1024-d50-0", "niah_single-2048-d50-0"]
    for line in got:
        meta = line["metadata"]
        assert meta["tokenizer"] == f"llamacpp:{smollm2}" and meta["sizing"] == "exact"
        # llama.cpp's own prompt count of what it was sent is the measured length, exactly
        assert line["usage"]["input_tokens"] == meta["tokens"]
        assert meta["length"] - 24 - meta["tokens"] <= 0.01 * (meta["length"] - 24)
        assert line["score"] in (0.0, 1.0)
    record = json.loads((run / "run.json").read_text())
    assert set(record["groups"]["length"]) == {"1024", "2048"}
    assert set(record["groups"]["subtask"]) == {"niah_single"}


def test_a_length_beyond_llamacpp_n_ctx_is_refused(capsys, tmp_path, smollm2):
    code, out, err = run_cli(
        capsys, "run", "--model", f"llamacpp/{smollm2}", "--tasks", "niah",
        "-T", "lengths=4k", "--output-dir", str(tmp_path), "--quiet",
    )  # fmt: skip
    assert code == 2 and "beyond the context" in err and "-M n_ctx" in err
