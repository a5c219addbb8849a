"""The fake OpenAI server over real HTTP: httpx and the openai SDK against a subprocess."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from support.fixtures import ServerFactory
from support.server_process import SCRIPT, ServerHandle, start_server_process
from support.server_responders import Gsm8kAnswerSheet, write_mc_answers
from support.server_tokens import FAVOURED_LOGPROB


def _chat(content: str, **extra: Any) -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": content}], **extra}


def test_models_lists_the_served_model(openai_server_factory: ServerFactory) -> None:
    server = openai_server_factory(model="tiny-1")
    body = httpx.get(f"{server.base_url}/models").json()
    assert [m["id"] for m in body["data"]] == ["tiny-1"]


def test_sdk_chat_echoes_the_last_user_message(openai_server: ServerHandle) -> None:
    async def ask() -> Any:
        async with openai.AsyncOpenAI(base_url=openai_server.base_url, api_key="x") as client:
            return await client.chat.completions.create(
                model="m",
                messages=[
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "first"},
                    {"role": "assistant", "content": "ok"},
                    {"role": "user", "content": "What is 2 + 2?"},
                ],
                temperature=0,
                seed=1,
            )

    reply = asyncio.run(ask())
    assert reply.choices[0].message.content == "What is 2 + 2?"
    assert reply.choices[0].finish_reason == "stop"
    assert reply.model == "m"
    usage = reply.usage
    assert usage is not None and usage.completion_tokens == 10  # What,_,is,_,2,_,+,_,2,?
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_sdk_completions_with_echo_logprobs(openai_server: ServerHandle) -> None:
    async def ask() -> Any:
        async with openai.AsyncOpenAI(base_url=openai_server.base_url, api_key="x") as client:
            return await client.completions.create(
                model="m",
                prompt="The capital of France is Paris",
                echo=True,
                logprobs=3,
                max_tokens=0,
            )

    choice = asyncio.run(ask()).choices[0]
    logprobs = choice.logprobs
    assert choice.text == "The capital of France is Paris"
    assert "".join(logprobs.tokens) == choice.text
    assert logprobs.token_logprobs[0] is None and logprobs.top_logprobs[0] is None
    assert all(lp < 0 for lp in logprobs.token_logprobs[1:])
    assert logprobs.text_offset[-1] == len("The capital of France is ")
    assert all(len(top) == 3 for top in logprobs.top_logprobs[1:])


def test_completions_stop_after_16_tokens_by_default(openai_server: ServerHandle) -> None:
    prompt = " ".join(f"w{i}" for i in range(40))
    choice = httpx.post(f"{openai_server.base_url}/completions", json={"prompt": prompt}).json()
    assert choice["choices"][0]["finish_reason"] == "length"
    assert choice["choices"][0]["text"] == " ".join(f"w{i}" for i in range(8)) + " "
    assert choice["usage"]["completion_tokens"] == 16


def test_stop_sequence_cuts_the_reply(openai_server: ServerHandle) -> None:
    body = _chat("Answer: 42\nQuestion: next", stop=["\nQuestion:"])
    reply = httpx.post(f"{openai_server.base_url}/chat/completions", json=body).json()
    assert reply["choices"][0]["message"]["content"] == "Answer: 42"
    assert reply["choices"][0]["finish_reason"] == "stop"


@pytest.mark.parametrize(
    ("path", "content"),
    [
        ("chat/completions", json.dumps(_chat("x", stream=True))),
        ("chat/completions", json.dumps(_chat("x", n=2))),
        ("chat/completions", json.dumps({"model": "m"})),
        ("chat/completions", '{"model": "m", "messages": ['),
        ("chat/completions", json.dumps(_chat("x", max_tokens=-1))),
        ("completions", json.dumps({"prompt": [1, 2, 3]})),
    ],
    ids=["stream", "n=2", "no-messages", "bad-json", "negative-max-tokens", "token-ids"],
)
def test_bad_requests_get_400(openai_server: ServerHandle, path: str, content: str) -> None:
    response = httpx.post(f"{openai_server.base_url}/{path}", content=content)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_unknown_path_and_wrong_method(openai_server: ServerHandle) -> None:
    assert httpx.get(f"{openai_server.base_url}/embeddings").status_code == 404
    assert httpx.get(f"{openai_server.base_url}/chat/completions").status_code == 405


def test_api_key_is_enforced(openai_server_factory: ServerFactory) -> None:
    server = openai_server_factory(api_key="sekret")
    url = f"{server.base_url}/chat/completions"
    assert httpx.post(url, json=_chat("hi")).status_code == 401
    wrong = httpx.post(url, json=_chat("hi"), headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "invalid_api_key"
    right = httpx.post(url, json=_chat("hi"), headers={"Authorization": "Bearer sekret"})
    assert right.status_code == 200

    async def ask(key: str) -> str | None:
        async with openai.AsyncOpenAI(base_url=server.base_url, api_key=key) as client:
            reply = await client.chat.completions.create(
                model="m", messages=[_chat("hi")["messages"][0]]
            )
            return reply.choices[0].message.content

    with pytest.raises(openai.AuthenticationError):
        asyncio.run(ask("x"))
    assert asyncio.run(ask("sekret")) == "hi"
    assert server.stats()["status_counts"] == {"200": 2, "401": 3}


def test_keep_alive_serves_many_requests_on_one_connection(
    openai_server_factory: ServerFactory,
) -> None:
    server = openai_server_factory()
    with httpx.Client(base_url=server.base_url) as client:
        for i in range(50):
            assert client.post("/chat/completions", json=_chat(f"q{i}")).status_code == 200
    stats = server.stats()
    # One connection for the 50 calls, one for this stats call.
    assert (stats["connections"], stats["requests"], stats["completed"]) == (2, 50, 50)


def test_concurrent_requests_overlap_their_latency(openai_server_factory: ServerFactory) -> None:
    server = openai_server_factory(latency_ms=200)

    async def burst() -> list[int]:
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            calls = [client.post("/chat/completions", json=_chat(f"q{i}")) for i in range(32)]
            return [r.status_code for r in await asyncio.gather(*calls)]

    started = time.monotonic()
    statuses = asyncio.run(burst())
    elapsed = time.monotonic() - started
    assert statuses == [200] * 32
    assert server.stats()["peak_in_flight"] == 32
    assert 0.2 <= elapsed < 2.0  # serial would take 6.4 s


def _attempt_until_ok(client: httpx.Client, body: dict[str, Any]) -> list[str]:
    """Send ``body`` until it gets a parseable 200; return what each attempt got."""
    outcomes: list[str] = []
    while not outcomes or outcomes[-1] != "ok":
        try:
            response = client.post("/chat/completions", json=body)
        except httpx.TransportError:
            outcomes.append("reset")
            continue
        try:
            response.json()
        except json.JSONDecodeError:
            outcomes.append("malformed")
            continue
        outcomes.append("ok" if response.status_code == 200 else str(response.status_code))
    return outcomes


def _fault_trace(server: ServerHandle, bodies: int) -> list[list[str]]:
    with httpx.Client(base_url=server.base_url) as client:
        return [_attempt_until_ok(client, _chat(f"question {i}")) for i in range(bodies)]


def test_faults_are_deterministic_and_bounded(openai_server_factory: ServerFactory) -> None:
    options: dict[str, Any] = {
        "fault_rate": 0.5,
        "faults": ("429", "500", "503", "reset", "malformed"),
    }
    first = _fault_trace(openai_server_factory(fault_seed=7, **options), 30)
    second = _fault_trace(openai_server_factory(fault_seed=7, **options), 30)
    other = _fault_trace(openai_server_factory(fault_seed=8, **options), 30)
    assert first == second
    assert first != other
    assert max(len(trace) for trace in first) <= 6  # attempts after the 5th never fault
    seen = {outcome for trace in first for outcome in trace}
    assert seen == {"ok", "429", "500", "503", "reset", "malformed"}
    faulted = sum(len(trace) - 1 for trace in first)
    assert 10 <= faulted <= 60  # about one per body at rate 0.5


def test_fault_stats_and_reset(openai_server_factory: ServerFactory) -> None:
    server = openai_server_factory(fault_rate=1.0, faults=("429",), retry_after_s=0.25)
    with httpx.Client(base_url=server.base_url) as client:
        first = client.post("/chat/completions", json=_chat("x"))
        assert first.status_code == 429
        assert first.headers["retry-after"] == "0.25"
        assert first.headers["retry-after-ms"] == "250"
        assert first.json()["error"]["code"] == "rate_limit_exceeded"
        statuses = [client.post("/chat/completions", json=_chat("x")).status_code for _ in range(5)]
        assert statuses == [429, 429, 429, 429, 200]
        stats = server.stats()
        assert stats["faults_by_kind"] == {"429": 5}
        assert (stats["per_body_counts_max"], stats["completed"]) == (6, 1)
        server.reset_stats()
        assert client.post("/chat/completions", json=_chat("x")).status_code == 429


def test_hang_makes_the_client_time_out(openai_server_factory: ServerFactory) -> None:
    server = openai_server_factory(fault_rate=1.0, faults=("hang",), hang_s=5.0)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{server.base_url}/chat/completions", json=_chat("x"), timeout=0.3)
    assert server.stats()["faults_by_kind"] == {"hang": 1}
    started = time.monotonic()
    assert server.stop() == 0  # a graceful exit, even with the hung request still open
    assert time.monotonic() - started < 4.0


def test_sdk_retries_through_injected_faults(openai_server_factory: ServerFactory) -> None:
    # 429 and 503 carry Retry-After, so the SDK waits 10 ms instead of its own backoff.
    server = openai_server_factory(fault_rate=0.5, faults=("429", "503"), retry_after_s=0.01)

    async def ask_all() -> list[str | None]:
        async with openai.AsyncOpenAI(
            base_url=server.base_url, api_key="x", max_retries=6
        ) as client:
            replies = await asyncio.gather(
                *(
                    client.chat.completions.create(
                        model="m", messages=[{"role": "user", "content": f"q{i}"}]
                    )
                    for i in range(10)
                )
            )
        return [r.choices[0].message.content for r in replies]

    assert asyncio.run(ask_all()) == [f"q{i}" for i in range(10)]
    stats = server.stats()
    assert stats["completed"] == 10
    assert sum(stats["faults_by_kind"].values()) == stats["requests"] - 10 > 0


def _continuation_logprob(server: ServerHandle, context: str, continuation: str) -> float:
    body = {"prompt": context + continuation, "echo": True, "logprobs": 1, "max_tokens": 0}
    reply = httpx.post(f"{server.base_url}/completions", json=body).json()
    logprobs = reply["choices"][0]["logprobs"]
    pairs = zip(logprobs["text_offset"], logprobs["token_logprobs"], strict=True)
    return float(sum(lp for offset, lp in pairs if offset >= len(context)))


def test_loglikelihood_prefers_the_keyed_answer(
    openai_server_factory: ServerFactory, tmp_path: Path
) -> None:
    key = write_mc_answers(tmp_path / "mc.jsonl", {"Which planet is red?": "C"})
    server = openai_server_factory(mc_answers=key)
    context = "Which planet is red?\nA. Venus\nB. Earth\nC. Mars\nD. Jupiter\nAnswer:"
    scores = {letter: _continuation_logprob(server, context, f" {letter}") for letter in "ABCD"}
    assert max(scores, key=lambda letter: scores[letter]) == "C"
    assert scores["C"] > max(scores[x] for x in "ABD") + 1.0
    unkeyed = "Which planet is blue?\nAnswer:"
    again = [_continuation_logprob(server, unkeyed, " B") for _ in range(2)]
    assert again[0] == again[1] < FAVOURED_LOGPROB


def test_chat_top_logprobs_prefer_the_keyed_letter(
    openai_server_factory: ServerFactory, tmp_path: Path
) -> None:
    key = write_mc_answers(tmp_path / "mc.jsonl", {"Which planet is red?": "C"})
    server = openai_server_factory(mc_answers=key)
    body = _chat("Which planet is red? A, B, C or D?", logprobs=True, top_logprobs=5, max_tokens=1)
    choice = httpx.post(f"{server.base_url}/chat/completions", json=body).json()["choices"][0]
    assert choice["message"]["content"] == "C"
    top = choice["logprobs"]["content"][0]["top_logprobs"]
    assert [t["token"] for t in top][0] == "C" and len(top) == 5
    assert all(len(t["token"]) == 1 and t["token"].isupper() for t in top)
    assert sum(2.718281828 ** t["logprob"] for t in top) <= 1.0


def test_gsm8k_server_answers_from_the_sheet(
    gsm8k_server: ServerHandle, gsm8k_answer_sheet: Gsm8kAnswerSheet
) -> None:
    rows = [json.loads(line) for line in gsm8k_answer_sheet.path.read_text().splitlines()]
    assert gsm8k_answer_sheet.accuracy == pytest.approx(round(0.6 * len(rows)) / len(rows))
    shots = f"Question: {rows[0]['question']}\nAnswer: {rows[0]['answer']}\n\n"
    with httpx.Client(base_url=gsm8k_server.base_url) as client:
        for row in rows[1:40]:
            prompt = f"{shots}Question: {row['question']}\nAnswer: Let's think step by step."
            reply = client.post("/chat/completions", json=_chat(prompt)).json()
            assert reply["choices"][0]["message"]["content"] == row["answer"]
        unknown = client.post("/completions", json={"prompt": "What is 1 + 1?", "max_tokens": 99})
    assert unknown.json()["choices"][0]["text"] == "I am not sure how to solve this problem."


def test_server_exits_when_its_parent_closes_stdin() -> None:
    handle = start_server_process()
    assert handle.process.stdin is not None
    handle.process.stdin.close()
    assert handle.process.wait(timeout=10) == 0
    handle.stop()


def test_script_rejects_bad_options() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--responder", "gsm8k"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "answers file" in result.stderr


def _raw_exchange(server: ServerHandle, payload: bytes, reads: int = 1) -> bytes:
    """Send raw bytes, then read until the server closes or ``reads`` responses arrived."""
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(payload)
        received = b""
        while received.count(b"HTTP/1.1 ") < reads or not received.endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    return received


def test_raw_http_garbage_gets_400(openai_server: ServerHandle) -> None:
    reply = _raw_exchange(openai_server, b"NONSENSE\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 400 ") and b"Connection: close" in reply


def test_raw_http_pipelining_expect_and_http10(openai_server: ServerHandle) -> None:
    body = json.dumps(_chat("pipelined")).encode()
    head = f"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: {len(body)}\r\n"
    two = (head + "\r\n").encode() + body + (head + "Expect: 100-continue\r\n\r\n").encode() + body
    reply = _raw_exchange(openai_server, two, reads=3)
    assert reply.count(b"HTTP/1.1 200 OK") == 2 and reply.count(b"100 Continue") == 1
    assert reply.count(b'"content":"pipelined"') == 2
    old = _raw_exchange(openai_server, b"GET /v1/models HTTP/1.0\r\n\r\n")
    assert b"Connection: close" in old and old.endswith(b"]}")
