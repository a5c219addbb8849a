"""Math with a code interpreter end to end: `math:code_interpreter` against a scripted server,
the model's code run in the real sandbox, in all three tool protocols.

The scripted "model" computes each answer with Python (so a right answer proves the code ran and
its output came back), or misbehaves: wrong answers, broken arguments, endless calls, code that
crashes the interpreter or never ends, megabytes of output.
"""

from __future__ import annotations

import json
import re

import pytest
from support.scripted_server import first_user, reply, scripted_server, turn

from evalkit.config import RunConfig
from evalkit.engine.run import run
from evalkit.records.io import read_samples

CODE = {"What is $3+4$?": "print(3 + 4)",
        "Solve $2x=1$.": "import sympy\nx = sympy.symbols('x')\nprint(sympy.solve(2*x - 1, x)[0])",
        "A square has side $3$. What is its area?": "side = 3\nside ** 2"}


def sandbox_or_skip() -> None:
    from evalkit.errors import SandboxUnavailable
    from evalkit.sandbox import Sandbox

    try:
        Sandbox.check_available()
    except SandboxUnavailable as exc:
        pytest.skip(f"no sandbox here: {exc}")


def question(body: dict) -> str:
    text = first_user(body)
    return next(q for q in CODE if q in text)


def tool_output(body: dict, protocol: str) -> str:
    last = body["messages"][-1]
    if protocol == "fenced":
        assert last["role"] == "user"
        return re.search(r"```output\n(.*?)\n```", last["content"], re.S).group(1)
    assert last["role"] == ("tool" if protocol == "native" else "environment")
    return last["content"]


def call(protocol: str, code: str) -> dict:
    if protocol == "native":
        return reply(None, [("python", json.dumps({"code": code}))])
    if protocol == "fenced":
        return reply(f"Let me compute.\n```python\n{code}\n```")
    return reply(f"Let me compute.<|action_start|><|interpreter|>\n```python\n{code}\n```<|action_end|>")


def solver_script(protocol: str, wrong: bool = False):
    def script(body: dict) -> dict:
        if turn(body) == 0:
            return call(protocol, CODE[question(body)])
        out = tool_output(body, protocol).strip().replace("1/2", r"\frac{1}{2}")
        return reply(f"The result is $\\boxed{{{out + ' + 1' if wrong else out}}}$.")
    return script


def cfg(tmp_path, fixture_data, url, protocol, **kw) -> RunConfig:
    return RunConfig(model="openai-compatible/scripted", base_url=url, tasks=("math:code_interpreter",),
                     data_dir=fixture_data, output_dir=tmp_path / "runs", cache_dir=tmp_path / "cache",
                     task_args={"protocol": protocol, **kw.pop("task_args", {})}, **kw)


@pytest.mark.parametrize("protocol", ["native", "fenced", "internlm"])
def test_answers_computed_in_the_sandbox_score_in_every_protocol(tmp_path, fixture_data, protocol):
    sandbox_or_skip()
    with scripted_server(solver_script(protocol)) as server:
        (out,) = run(cfg(tmp_path, fixture_data, server.url, protocol))
    m = out.record.metrics
    assert m["flexible"]["mean"] == 1.0 and m["flexible"]["n"] == 3
    assert m["used_tool"]["mean"] == 1.0 and m["tool_error_rate"]["mean"] == 0.0
    assert m["agrees_with_tool"]["mean"] == 1.0
    first = server.bodies[0]
    assert ("tools" in first) == (protocol == "native")
    if protocol != "native":  # text protocols explain themselves in the system message
        assert first["messages"][0]["role"] == "system"
    lines = by_question(read_samples(out.run_dir))
    assert tool_output_of(lines["A square has side $3$. What is its area?"]) == "9"  # a bare final expression is shown, as in a notebook


def by_question(lines: list) -> dict:
    return {q: next(ln for ln in lines if q in json.dumps(ln["prompt"], ensure_ascii=False).replace("\\\\", "\\"))
            for q in CODE}


def tool_output_of(line: dict) -> str:
    result = [m for m in line["transcript"] if m["role"] in ("tool", "environment", "user")][0]
    text = result["content"]
    found = re.search(r"```output\n(.*?)\n```", text, re.S)
    return (found.group(1) if found else text).strip()


def test_wrong_answers_after_tool_use_are_wrong_and_disagree(tmp_path, fixture_data):
    sandbox_or_skip()
    with scripted_server(solver_script("native", wrong=True)) as server:
        (out,) = run(cfg(tmp_path, fixture_data, server.url, "native"))
    assert out.record.metrics["flexible"]["mean"] == 0.0
    assert out.record.metrics["agrees_with_tool"]["mean"] == 0.0


@pytest.mark.parametrize("protocol", ["native", "fenced", "internlm"])
def test_hostile_code_is_a_recorded_outcome_and_the_run_goes_on(tmp_path, fixture_data, protocol):
    sandbox_or_skip()
    hostile = {
        "What is $3+4$?": "import os\nos._exit(3)",  # kills the interpreter
        "Solve $2x=1$.": "while True:\n    pass",  # never ends
        "A square has side $3$. What is its area?": "print('x' * 5_000_000)",  # megabytes
    }

    def script(body: dict) -> dict:
        if turn(body) == 0:
            return call(protocol, hostile[question(body)])
        if turn(body) == 1:
            return call(protocol, "print('still here')")
        return reply("I could not finish. The answer is $\\boxed{0}$.")

    with scripted_server(script) as server:
        (out,) = run(cfg(tmp_path, fixture_data, server.url, protocol, task_args={"tool_timeout_s": "2"}))
    lines = by_question(read_samples(out.run_dir))
    assert all(ln["error"] is None for ln in lines.values())
    crash, loop = lines["What is $3+4$?"], lines["Solve $2x=1$."]
    outputs = [m["content"] for m in crash["transcript"] if m["role"] != "assistant"]
    assert any("session" in o or "exit" in o.lower() or "stopped" in o for o in outputs), outputs
    assert "[execution stopped: timeout]" in json.dumps(loop["transcript"])
    big = json.dumps(lines["A square has side $3$. What is its area?"]["transcript"])
    assert "output cut" in big and len(big) < 20_000
    assert out.record.metrics["tool_error_rate"]["mean"] > 0.0
    assert out.record.metrics["flexible"]["mean"] == 0.0


def test_a_model_looping_on_code_hits_the_turn_limit(tmp_path, fixture_data):
    sandbox_or_skip()
    with scripted_server(lambda body: call("native", "print(1)")) as server:
        (out,) = run(cfg(tmp_path, fixture_data, server.url, "native", task_args={"max_turns": "2"}))
    assert len(server.bodies) == 3 * 2
    assert out.record.metrics["turn_limit"]["mean"] == 1.0
    assert {ln["reason"] for ln in read_samples(out.run_dir)} == {"turn_limit"}
