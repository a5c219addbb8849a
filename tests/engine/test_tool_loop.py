"""The tool loop end to end: a scripted server plays the model, evalkit runs the tools.

Every test goes through ``evalkit.run`` against a real HTTP server on 127.0.0.1, so the request
bodies (tools offered, tool messages sent back) are the ones a real server would see.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from support.scripted_server import first_user, reply, scripted_server, turn

from evalkit.cli import main
from evalkit.config import RunConfig
from evalkit.engine.rescore import rescore
from evalkit.engine.run import run
from evalkit.records.io import read_record, read_samples

EXPR = {
    "What is 17 times 23?": "17 * 23",
    "What is 1234 plus 4321?": "1234 + 4321",
    "What is 2 to the power 12?": "2 ** 12",
    "What is 999 minus 123?": "999 - 123",
}


def config(tmp_path: Path, fixture_data: Path, fixture_tasks: Path, url: str, **kw: object) -> RunConfig:
    fields: dict[str, object] = {
        "model": "openai-compatible/scripted",
        "base_url": url,
        "tasks": ("calc_loop",),
        "data_dir": fixture_data,
        "tasks_dir": (fixture_tasks,),
        "output_dir": tmp_path / "runs",
        "cache_dir": tmp_path / "cache",
        "concurrency": 4,
    }
    fields.update(kw)
    return RunConfig(**fields)  # type: ignore[arg-type]


def last_tool_output(body: dict) -> str:
    return [m for m in body["messages"] if m["role"] in ("tool", "user", "environment")][-1]["content"]


def calculator_user(body: dict) -> dict:
    """Calls the calculator once, then answers with what it returned."""
    if turn(body) == 0:
        return reply(None, [("calculator", json.dumps({"expression": EXPR[first_user(body)]}))])
    return reply(f"The answer is {last_tool_output(body)}.")


def test_native_tool_loop_scores_answers_and_records_transcripts(tmp_path, fixture_data, fixture_tasks):
    with scripted_server(calculator_user) as server:
        (out,) = run(config(tmp_path, fixture_data, fixture_tasks, server.url))
    assert out.record.metrics["flexible"]["mean"] == 1.0
    assert out.record.metrics["tool_calls"]["mean"] == 1.0
    assert out.record.metrics["used_tool"]["mean"] == 1.0
    assert out.record.metrics["turn_limit"]["mean"] == 0.0
    assert out.record.task["solver"] == "tool_loop"
    assert len(server.bodies) == 8  # two model turns per sample
    first = server.bodies[0]
    assert [t["function"]["name"] for t in first["tools"]] == ["calculator"]
    second = next(b for b in server.bodies if turn(b) == 1)
    tool_msg = second["messages"][-1]
    assert tool_msg["role"] == "tool" and tool_msg["tool_call_id"] == "call_0"
    lines = {ln["id"]: ln for ln in read_samples(out.run_dir)}
    transcript = lines["a1"]["transcript"]
    assert [m["role"] for m in transcript] == ["assistant", "tool", "assistant"]
    assert transcript[0]["tool_calls"][0]["function"]["arguments"] == '{"expression": "17 * 23"}'
    assert transcript[1]["content"] == "391"
    assert lines["a1"]["completion"] == "The answer is 391."


def test_cached_rerun_and_rescore_reproduce_the_run(tmp_path, fixture_data, fixture_tasks):
    with scripted_server(calculator_user) as server:
        (first,) = run(config(tmp_path, fixture_data, fixture_tasks, server.url))
        calls = len(server.bodies)
        (second,) = run(config(tmp_path, fixture_data, fixture_tasks, server.url))
        assert len(server.bodies) == calls  # every turn came from the cache
    assert second.record.metrics == first.record.metrics
    before = (first.run_dir / "samples.jsonl").read_bytes()
    rescored = rescore(first.run_dir)
    assert rescored.metrics == first.record.metrics
    assert (first.run_dir / "samples.jsonl").read_bytes() == before


def test_malformed_arguments_and_unknown_tools_are_counted_not_fatal(tmp_path, fixture_data, fixture_tasks):
    def clumsy(body: dict) -> dict:
        question = first_user(body)
        if turn(body) == 0:
            if question.startswith("What is 17"):
                return reply(None, [("calculator", "{not json")])
            if question.startswith("What is 1234"):
                return reply(None, [("shell", json.dumps({"cmd": "ls"}))])
            return reply(None, [("calculator", json.dumps({"expression": "__import__('os')"}))])
        seen = last_tool_output(body)
        assert seen.startswith("Error:"), seen
        return reply("The answer is 1.")

    with scripted_server(clumsy) as server:
        (out,) = run(config(tmp_path, fixture_data, fixture_tasks, server.url))
    lines = {ln["id"]: ln for ln in read_samples(out.run_dir)}
    assert all(ln["error"] is None for ln in lines.values())
    assert out.record.metrics["tool_error_rate"]["mean"] == 1.0
    assert out.record.metrics["flexible"]["mean"] == 0.0
    assert "not valid JSON" in lines["a1"]["transcript"][1]["content"]
    assert "unknown tool 'shell'" in lines["a2"]["transcript"][1]["content"]
    assert "unsupported syntax" in lines["a3"]["transcript"][1]["content"]


def test_a_model_that_never_stops_calling_tools_hits_the_turn_limit(tmp_path, fixture_data, fixture_tasks):
    def endless(body: dict) -> dict:
        # Even a correct-looking text beside the call must not count: it is not a final answer.
        return reply("The answer is 391.", [("calculator", json.dumps({"expression": "1+1"}))])

    with scripted_server(endless) as server:
        (out,) = run(config(tmp_path, fixture_data, fixture_tasks, server.url, task_args={"max_turns": "2"}))
    assert len(server.bodies) == 4 * 2
    lines = read_samples(out.run_dir)
    assert {ln["reason"] for ln in lines} == {"turn_limit"}
    assert out.record.metrics["flexible"]["mean"] == 0.0
    assert out.record.metrics["turn_limit"]["mean"] == 1.0
    assert out.record.metrics["tool_calls"]["mean"] == 2.0


def test_fenced_protocol_offers_no_native_tools_and_returns_output_as_a_user_turn(tmp_path, fixture_data, fixture_tasks):
    def fenced(body: dict) -> dict:
        assert "tools" not in body
        if turn(body) == 0:
            return reply(f"Let me compute.\n```calculator\n{EXPR[first_user(body)]}\n```")
        out = re.search(r"```output\n(.*?)\n```", body["messages"][-1]["content"], re.S)
        assert body["messages"][-1]["role"] == "user" and out
        return reply(f"The answer is {out.group(1)}.")

    with scripted_server(fenced) as server:
        (out,) = run(config(tmp_path, fixture_data, fixture_tasks, server.url, task_args={"protocol": "fenced"}))
    assert out.record.metrics["flexible"]["mean"] == 1.0
    assert out.record.metrics["tool_calls"]["mean"] == 1.0


def test_native_tools_on_a_backend_without_them_fail_before_any_request(tmp_path, fixture_data, fixture_tasks, capsys):
    code = main(["run", "--model", "mock/echo", "--tasks", "calc_loop", "--data-dir", str(fixture_data),
                 "--tasks-dir", str(fixture_tasks), "--output-dir", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert code == 2
    assert "no native tool calls" in err and "-T protocol=fenced" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-T", "tools=shell"], "unknown tool 'shell'"),
        (["-T", "protocol=smoke"], "unknown protocol 'smoke'"),
        (["-T", "max_turns=0"], "max_turns must be at least 1"),
        (["-T", "format=text"], "the tool loop needs chat prompts"),
        (["-T", "protocol=internlm"], "protocol=internlm calls only the python interpreter"),
    ],
)
def test_bad_tool_loop_settings_are_one_line_errors(tmp_path, fixture_data, fixture_tasks, capsys, args, message):
    code = main(["run", "--model", "openai-compatible/x", "--base-url", "http://127.0.0.1:9/v1",
                 "--tasks", "calc_loop", "--data-dir", str(fixture_data), "--tasks-dir", str(fixture_tasks),
                 "--output-dir", str(tmp_path / "runs"), *args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err and len(err.strip().splitlines()) == 1


def test_table_and_compare_work_on_tool_loop_runs(tmp_path, fixture_data, fixture_tasks, capsys):
    with scripted_server(calculator_user) as server:
        (good,) = run(config(tmp_path, fixture_data, fixture_tasks, server.url))
    with scripted_server(lambda b: reply("The answer is 7.")) as server:
        (bad,) = run(config(tmp_path, fixture_data, fixture_tasks, server.url, cache=False))
    assert main(["table", str(good.run_dir), "--format", "csv"]) == 0
    assert "calc_loop" in capsys.readouterr().out
    assert main(["compare", str(good.run_dir), str(bad.run_dir), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    (task,) = report["tasks"]
    assert task["n"] == 4 and task["lost"] == 4 and task["gained"] == 0
    assert read_record(bad.run_dir).metrics["used_tool"]["mean"] == 0.0


def test_an_unknown_solver_in_task_toml_names_the_file_and_a_suggestion(tmp_path, fixture_data, fixture_tasks, capsys):
    import shutil

    shutil.copytree(fixture_tasks / "calc_loop", tmp_path / "tasks" / "calc_loop")
    toml = tmp_path / "tasks" / "calc_loop" / "task.toml"
    toml.write_text(toml.read_text().replace('solver = "tool_loop"', 'solver = "tool_lop"'))
    code = main(["run", "--model", "mock/echo", "--tasks", "calc_loop", "--tasks-dir", str(tmp_path / "tasks"),
                 "--data-dir", str(fixture_data), "--output-dir", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert code == 2 and "key 'solver': unknown solver 'tool_lop'" in err and "tool_loop" in err
