"""The bfcl task end to end in native mode: the CLI against a scripted OpenAI-compatible server.

The server (``support.scripted_server``, real HTTP on 127.0.0.1) answers every request with the
perfect model's native tool calls for the entry it recognises by the request's messages and
tools, and keeps every request body, so the test also checks what the engine sent: the entry's
turns as they are, the functions as BFCL's converted tools, no tool choice.
"""

from __future__ import annotations

import json

import pytest
from bfcl_cases import perfect_calls
from support.scripted_server import reply, scripted_server

from evalkit.cli import main
from evalkit.scoring.calls import to_tool, tool_name
from evalkit.scoring.calls.dataset import read_rows

SUBSET = "simple_python,multiple,parallel,parallel_multiple,irrelevance,live_simple,live_parallel,live_parallel_multiple"
UNANSWERABLE = {"live_simple_106-63-0", "live_simple_112-68-0"}


def _key(messages, tools) -> str:
    return json.dumps([messages, tools], sort_keys=True)


def test_native_cli_run_against_a_scripted_server(tmp_path, capsys):
    pytest.importorskip("bfcl_eval", reason="pip install --no-deps bfcl-eval==2026.3.23")
    rows = read_rows(SUBSET.split(","))
    answers = {}
    for row in rows:
        key = _key(row["question"][0], [to_tool(f) for f in row["function"]])
        assert key not in answers, row["id"]  # every request of this subset is distinct
        calls = [(tool_name(n), json.dumps(a)) for n, a in perfect_calls(row)]
        answers[key] = reply(None, calls) if calls else reply("None of these functions fits.")

    def script(body):
        return answers[_key(body["messages"], body.get("tools", []))]

    out = tmp_path / "runs"
    with scripted_server(script) as server:
        code = main(
            [
                "run",
                "--model",
                "openai-compatible/scripted",
                "--base-url",
                server.url,
                "--tasks",
                f"bfcl:subset={SUBSET}",
                "--output-dir",
                str(out),
                "--quiet",
            ]
        )
    capsys.readouterr()
    assert code == 0
    assert len(server.bodies) == len(rows) == 1538
    by_question = {_key(r["question"][0], [to_tool(f) for f in r["function"]]): r for r in rows}
    for body in server.bodies:
        row = by_question[_key(body["messages"], body.get("tools", []))]
        assert ("tools" in body) == bool(row["function"])
        assert all("." not in t["function"]["name"] for t in body.get("tools", []))
        assert "tool_choice" not in body

    (run_dir,) = list(out.iterdir())
    record = json.loads((run_dir / "run.json").read_text())
    groups = record["groups"]["category"]
    assert sorted(groups) == sorted(SUBSET.split(","))
    for category, metrics in groups.items():
        n = metrics["accuracy"]["n"]
        lost = sum(1 for i in UNANSWERABLE if i.startswith(category + "_"))
        assert metrics["accuracy"]["mean"] == pytest.approx((n - lost) / n), category
    lines = [json.loads(x) for x in (run_dir / "samples.jsonl").read_text().splitlines()]
    assert {ln["id"] for ln in lines if ln["score"] != 1.0} == UNANSWERABLE
    # The answer column shows the calls with their declared (dotted) names.
    dotted = next(ln for ln in lines if ln["id"] == "parallel_multiple_0")
    assert dotted["answer"].startswith("[math_toolkit.sum_of_multiples(")
    # Native calls are recorded with the sample, so rescoring reads them back: same verdicts.
    assert all("tool_calls" in ln for ln in lines if ln["answer"] is not None and ln["id"] not in UNANSWERABLE)
    before = (run_dir / "samples.jsonl").read_bytes()
    assert main(["rescore", str(run_dir)]) == 0
    capsys.readouterr()
    assert (run_dir / "samples.jsonl").read_bytes() == before
    # BFCL's own weighting over categories is in run.json beside the per-sample accuracy.
    from evalkit.scoring.calls.summary import bfcl_summary

    per = {c: (m["accuracy"]["mean"], m["accuracy"]["n"]) for c, m in groups.items()}
    assert record["metrics"]["bfcl_overall"]["mean"] == pytest.approx(bfcl_summary(per)["overall"], abs=1e-6)
    assert "bfcl_section/live_ast" in record["metrics"]
