"""End to end through a real OpenAI-compatible HTTP server on 127.0.0.1 (tests/support/)."""

import json
import os

import pytest

from evalkit.cli import main
from evalkit.records.io import read_record, read_samples


def run_cli(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out.strip(), err


def gsm8k_args(server, shared_data, out_dir, *extra):
    return ["run", "--model", "openai-compatible/fake-model", "--base-url", server.base_url,
            "--tasks", "gsm8k", "--limit", "50", "--data-dir", str(shared_data),
            "--output-dir", str(out_dir), "--quiet", "--no-cache", *extra]


def test_gsm8k_run_table_rescore(capsys, tmp_path, shared_data, gsm8k_server, gsm8k_answer_sheet):
    code, run_dir, err = run_cli(capsys, *gsm8k_args(gsm8k_server, shared_data, tmp_path))
    assert code == 0, err
    record = read_record(tmp_path / os.path.basename(run_dir))
    expected = sum(gsm8k_answer_sheet.correct[:50]) / 50
    assert record.metrics["flexible"]["mean"] == pytest.approx(expected)
    assert record.metrics["strict"]["mean"] == pytest.approx(expected)
    assert record.counts == {"samples": 50, "scored": 50, "errors": 0, "truncated": 0, "no_answer": 0}
    assert record.model["base_url"].startswith("http://127.0.0.1:")
    assert record.dataset["sha256"] and record.provenance["packages"]["httpx"]

    code, out, _ = run_cli(capsys, "table", run_dir, "--format", "json")
    assert code == 0 and json.loads(out)[0]["flexible"] == pytest.approx(expected)

    before = record.metrics
    code, out, err = run_cli(capsys, "rescore", run_dir, "--data-dir", str(shared_data))
    assert code == 0, err
    assert read_record(tmp_path / os.path.basename(run_dir)).metrics == before


def test_faults_are_retried_and_scores_match_a_clean_run(capsys, tmp_path, shared_data, gsm8k_answer_sheet,
                                                          openai_server_factory):
    clean = openai_server_factory(responder="gsm8k", answers=gsm8k_answer_sheet.path)
    code, clean_dir, err = run_cli(capsys, *gsm8k_args(clean, shared_data, tmp_path / "clean"))
    assert code == 0, err
    faulty = openai_server_factory(responder="gsm8k", answers=gsm8k_answer_sheet.path, fault_rate=0.3,
                                   fault_seed=7, hang_s=3.0, retry_after_s=0.05)
    code, faulty_dir, err = run_cli(capsys, *gsm8k_args(faulty, shared_data, tmp_path / "faulty", "--timeout", "1"))
    assert code == 0, err
    stats = faulty.stats()
    assert sum(stats["faults_by_kind"].values()) > 5  # faults really happened
    lines = read_samples(tmp_path / "faulty" / os.path.basename(faulty_dir))
    assert len(lines) == 50 and len({ln["id"] for ln in lines}) == 50
    assert all(ln["error"] is None for ln in lines)
    assert any(ln["attempts"] > 1 for ln in lines)
    a = read_record(tmp_path / "clean" / os.path.basename(clean_dir))
    b = read_record(tmp_path / "faulty" / os.path.basename(faulty_dir))
    assert json.dumps(a.metrics, sort_keys=True) == json.dumps(b.metrics, sort_keys=True)


def test_api_key_is_sent_and_never_written(capsys, tmp_path, shared_data, gsm8k_answer_sheet,
                                           openai_server_factory, monkeypatch):
    secret = "sk-test-9f8e7d6c5b4a"
    server = openai_server_factory(responder="gsm8k", answers=gsm8k_answer_sheet.path, api_key=secret)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    code, _, err = run_cli(capsys, *gsm8k_args(server, shared_data, tmp_path / "nokey", "--max-attempts", "1"))
    assert code == 3 and "authentication failed" in err and secret not in err
    monkeypatch.setenv("MY_KEY", secret)
    cache = tmp_path / "cache"
    args = gsm8k_args(server, shared_data, tmp_path / "runs", "--api-key-env", "MY_KEY")
    args.remove("--no-cache")
    code, _, err = run_cli(capsys, *args, "--cache-dir", str(cache))
    assert code == 0, err
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "run.json" for p in written) and any(p.parent == cache for p in written)
    for path in written:
        assert secret.encode() not in path.read_bytes(), path


def test_warm_cache_makes_no_requests(capsys, tmp_path, shared_data, gsm8k_answer_sheet, openai_server_factory):
    server = openai_server_factory(responder="gsm8k", answers=gsm8k_answer_sheet.path)
    args = gsm8k_args(server, shared_data, tmp_path / "runs")
    args.remove("--no-cache")
    args += ["--cache-dir", str(tmp_path / "cache")]
    assert run_cli(capsys, *args)[0] == 0
    first = server.stats()["requests"]
    code, run_dir, _ = run_cli(capsys, *args)
    assert code == 0
    assert server.stats()["requests"] == first + 1  # the preflight GET /models; no completions
    assert read_record(tmp_path / "runs" / os.path.basename(run_dir)).counts["scored"] == 50
