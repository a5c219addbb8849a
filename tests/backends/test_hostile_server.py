"""Hostile servers: any reply ends as a recorded per-sample error or a clean exit, never a crash.

A scripted HTTP server on 127.0.0.1 answers ``evalkit run`` (the real CLI, in this process) with
the replies a broken, malicious or merely odd server can send: lone surrogates, JSON nested past
the parser's depth, numbers no counter can hold, wrong types anywhere in the body, a valid body
trickled a byte at a time, a body larger than the cap, error bodies that echo the request's
credentials or carry terminal escape sequences. Each run must exit 0 or 3 with one line on
stderr, leave ``run.json`` complete, and keep secrets out of every file and of stderr.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from support.recording_server import write_task

from evalkit.cli import main
from evalkit.records.io import read_record, read_samples

N = 3
KEY = "sk-hostile-Zq81Lm40Xc"


@dataclass(frozen=True)
class Seen:
    """One request as the server saw it."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    """What to send: status, headers and body, optionally a few bytes at a time."""

    body: bytes
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    trickle_s: float = 0.0


Handler = Callable[[Seen], Reply]


@dataclass
class ScriptedServer:
    """Answers every API request with ``handler``; ``GET .../models`` gets a plain 200."""

    handler: Handler
    seen: list[Seen] = field(default_factory=list)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            method, target, _ = head[0].split(" ", 2)
            headers = {
                k.lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:] if h)
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            seen = Seen(method, target, headers, body)
            self.seen.append(seen)
            reply = Reply(b'{"data": []}') if target.split("?")[0].endswith("/models") else None
            await self._send(writer, reply or self.handler(seen))
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    @staticmethod
    async def _send(writer: asyncio.StreamWriter, reply: Reply) -> None:
        head = [f"HTTP/1.1 {reply.status} X", f"Content-Length: {len(reply.body)}"]
        head += ["Content-Type: application/json", "Connection: close"]
        head += [f"{k}: {v}" for k, v in reply.headers]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
        if not reply.trickle_s:
            writer.write(reply.body)
        for i in range(len(reply.body) if reply.trickle_s else 0):
            writer.write(reply.body[i : i + 1])
            await writer.drain()
            await asyncio.sleep(reply.trickle_s)
        await writer.drain()


@contextmanager
def scripted(handler: Handler) -> Iterator[tuple[str, ScriptedServer]]:
    """Run a :class:`ScriptedServer` in a thread; yield ``127.0.0.1:<port>`` and the server."""
    server = ScriptedServer(handler)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    state: dict[str, asyncio.Server] = {}

    async def start() -> None:
        state["server"] = await asyncio.start_server(server.serve, "127.0.0.1", 0)
        started.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop)
    assert started.wait(10)
    port = state["server"].sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}", server
    finally:

        async def stop() -> None:
            state["server"].close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.run_until_complete(state["server"].wait_closed())
        loop.close()


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    write_task(root, N)
    return root


def run(
    capsys, root: Path, url: str, out: str, *extra: str, cache: Path | None = None
) -> tuple[int, str, Path | None]:
    caching = ["--cache-dir", str(cache)] if cache else ["--no-cache"]
    argv = [
        "run", "--model", "openai-compatible/m", "--base-url", url, "--tasks", "rel_echo",
        "--tasks-dir", str(root / "tasks"), "--data-dir", str(root / "data"), "--quiet",
        "--output-dir", str(root / out), "--max-attempts", "2", *caching, *extra,
    ]  # fmt: skip
    code = main(argv)
    err = capsys.readouterr().err
    runs = list((root / out).iterdir()) if (root / out).is_dir() else []
    return code, err, runs[0] if runs else None


def chat(content: object, **extra: object) -> bytes:
    choice = {"message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
    return json.dumps({"choices": [choice], **extra}).encode()


def deep(depth: int) -> bytes:
    return (
        b'{"choices": [{"message": {"content": "x"}}], "x": ' + b"[" * depth + b"]" * depth + b"}"
    )


MALFORMED = {
    "nested-100k": deep(100_000),
    "usage-inf": chat("w", usage={"prompt_tokens": 1, "completion_tokens": 2}).replace(b": 2", b": 1e999"),
    "usage-nan": chat("w", usage={"prompt_tokens": 1}).replace(b": 1}", b": NaN}"),
    "usage-5000-digits": chat("w", usage={"prompt_tokens": 1}).replace(b": 1}", b": " + b"9" * 5000 + b"}"),
    "usage-negative": chat("w", usage={"prompt_tokens": -4}),
    "usage-list": chat("w", usage=[1, 2]),
    "choices-string": b'{"choices": "abc"}',
    "choice-null": b'{"choices": [null]}',
    "message-list": b'{"choices": [{"message": ["x"]}]}',
    "content-number": chat(5),
    "content-object": chat({"text": "w"}),
    "tool-calls-dict": b'{"choices": [{"message": {"content": null, "tool_calls": {"a": 1}}}]}',
    "body-array": b"[1, 2]",
    "body-null": b"null",
    "not-utf8": b'{"choices": "\xff\xfe"}',
    "truncated": chat("w")[:-7],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_replies_are_recorded_errors(capsys, root, name):
    with scripted(lambda seen: Reply(MALFORMED[name])) as (host, server):
        code, err, run_dir = run(capsys, root, f"http://{host}/v1", f"malformed-{name}")
    assert code == 3 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert run_dir is not None and read_record(run_dir).status == "complete"
    lines = read_samples(run_dir)
    assert len(lines) == N and all("malformed" in ln["error"] for ln in lines), lines[0]["error"]
    assert all(ln["attempts"] == 2 for ln in lines)  # transient: retried, then recorded
    assert len(server.seen) == 1 + 2 * N  # the preflight, then two attempts per sample


def test_odd_but_valid_replies_are_answers(capsys, root, tmp_path):
    """Usage absent, a whole float, a model name of the wrong type: the answer still counts."""
    odd = chat("w", usage={"prompt_tokens": 3.0}, model=["x"])
    with scripted(lambda seen: Reply(odd)) as (host, _):
        code, err, run_dir = run(capsys, root, f"http://{host}/v1", "odd")
    assert code == 0, err
    assert {ln["usage"]["input_tokens"] for ln in read_samples(run_dir)} == {3}


def test_lone_surrogates_are_written_and_read_back_unchanged(capsys, root, tmp_path):
    body = b'{"choices": [{"message": {"content": "a\\ud800b\\udfff"}, "finish_reason": "stop"}]}'
    with scripted(lambda seen: Reply(body)) as (host, server):
        url = f"http://{host}/v1"
        code, err, first = run(capsys, root, url, "surrogate", cache=tmp_path / "cache")
        assert code == 0, err
        asked = len(server.seen)
        code, err, again = run(capsys, root, url, "surrogate-again", cache=tmp_path / "cache")
    assert code == 0, err
    data = (first / "samples.jsonl").read_bytes()
    data.decode("utf-8")  # valid UTF-8: the surrogates are JSON escapes
    for run_dir in (first, again):  # the second run answers from the cache
        assert {ln["completion"] for ln in read_samples(run_dir)} == {"a\ud800b\udfff"}
    assert asked == 1 + N and len(server.seen) == asked + 1  # the second run: only a preflight


def test_a_trickled_body_is_cut_at_the_deadline(capsys, root):
    slow = Reply(chat("w" * 200), trickle_s=0.1)  # 30 s of trickle without a deadline
    with scripted(lambda seen: slow) as (host, _):
        code, err, run_dir = run(
            capsys, root, f"http://{host}/v1", "trickle", "--timeout", "1", "--max-attempts", "1"
        )
    assert code == 3 and "within 1 s (--timeout)" in err, err
    assert all(ln["attempts"] == 1 for ln in read_samples(run_dir))


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "streamed"])
def test_a_reply_over_the_size_cap_is_a_fatal_error(capsys, root, declared):
    huge = chat("w" * (33 * 2**20))

    def handler(seen: Seen) -> Reply:
        if declared:
            return Reply(huge)
        # no Content-Length: chunked transfer, so only the stream reveals the size
        chunked = b"".join(
            b"%x\r\n%s\r\n" % (len(c), c)
            for c in (huge[i : i + 2**20] for i in range(0, len(huge), 2**20))
        )
        return Reply(chunked + b"0\r\n\r\n", headers=(("Transfer-Encoding", "chunked"),))

    with scripted(handler) as (host, _):
        code, err, run_dir = run(capsys, root, f"http://{host}/v1", f"huge-{declared}")
    assert code == 3 and "larger than 32 MiB" in err, err
    assert all(ln["attempts"] == 1 for ln in read_samples(run_dir))  # fatal: not retried


def leaks(root: Path, *secrets: str) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.name}: {s}" for s in secrets if s.encode() in data]
    return found


def test_echoed_credentials_and_escapes_never_reach_files_or_the_terminal(
    capsys, root, tmp_path, monkeypatch
):
    monkeypatch.setenv("HOSTILE_KEY", KEY)

    def echo_back(seen: Seen) -> Reply:
        text = (
            f"bad request to http://u:pw-Tr4p@h{seen.target} with Authorization: "
            f"{seen.headers.get('authorization')} \x1b[31mRED\x1b]0;title\x07 \u202eevil"
        )
        return Reply(json.dumps({"error": {"message": text}}).encode(), status=500)

    with scripted(echo_back) as (host, server):
        url = f"http://{host}/v1?api-key=q-Secret77"
        code, err, run_dir = run(
            capsys, root, url, "echo", "--api-key-env", "HOSTILE_KEY", "--max-attempts", "1"
        )
        published = tmp_path / "published"
        assert main(["publish", str(run_dir), "--to", str(published)]) == 0
    assert code == 3 and "HTTP 500" in err and len(err.strip().splitlines()) == 1
    assert server.seen[-1].headers["authorization"] == f"Bearer {KEY}"
    secrets = (KEY, "q-Secret77", "pw-Tr4p")
    assert not [s for s in secrets if s in err] and "\x1b" not in err and "\u202e" not in err
    assert not leaks(run_dir, *secrets, "\x1b", "\\u001b") and not leaks(published, *secrets)
    assert "[redacted]" in read_samples(run_dir)[0]["error"]


def test_user_info_is_basic_auth_unless_an_api_key_is_set(capsys, root, monkeypatch):
    with scripted(lambda seen: Reply(chat("w"))) as (host, server):
        url = f"http://alice:s%2Fcr3t-pw@{host}/v1"
        assert run(capsys, root, url, "basic")[0] in (0, 3)
        basic = "Basic " + base64.b64encode(b"alice:s/cr3t-pw").decode()
        assert {s.headers.get("authorization") for s in server.seen} == {basic}
        monkeypatch.setenv("HOSTILE_KEY", KEY)
        server.seen.clear()
        assert run(capsys, root, url, "bearer", "--api-key-env", "HOSTILE_KEY")[0] in (0, 3)
        assert {s.headers.get("authorization") for s in server.seen} == {f"Bearer {KEY}"}
    for out in ("basic", "bearer"):
        assert not leaks(root / out, "s/cr3t-pw", "s%2Fcr3t-pw", "alice")


@pytest.mark.parametrize(
    "netloc", ["al1ce-u:Qx7/ss-9q@127.0.0.1:1", "al1ce-u:97/ss-9q@127.0.0.1:1", "al1ce-u:Qx7#s@h"]
)
def test_a_password_with_a_slash_is_never_echoed(capsys, root, netloc):
    code, err, _ = run(capsys, root, f"http://{netloc}/v1", "slash")
    assert code == 2 and "percent-encode" in err, err
    assert not [part for part in ("al1ce-u", "Qx7", "97", "ss-9q") if part in err], err


def test_two_routes_on_one_server_never_share_cached_answers(capsys, root, tmp_path):
    def by_route(seen: Seen) -> Reply:
        return Reply(chat("route-" + seen.target.partition("route=")[2]))

    with scripted(by_route) as (host, _):
        answers = []
        for route in ("a", "b"):
            url = f"http://{host}/v1?route={route}"
            code, err, run_dir = run(capsys, root, url, f"route-{route}", cache=tmp_path / "c")
            assert code == 0, err
            answers.append({ln["completion"] for ln in read_samples(run_dir)})
    assert answers == [{"route-a"}, {"route-b"}]


EXAM = Path(__file__).parents[1] / "fixtures" / "exam"
BAD_LOGPROBS = {
    "top-not-a-list": {"top_logprobs": 5},
    "logprob-text": {"top_logprobs": [{"token": "A", "logprob": "-0.1"}]},
    "logprob-positive": {"top_logprobs": [{"token": "A", "logprob": 3.0}]},
    "logprob-nan": {"top_logprobs": [{"token": "A", "logprob": "NaN"}]},
}


@pytest.mark.parametrize("name", sorted(BAD_LOGPROBS))
def test_malformed_logprobs_when_ranking_options_are_recorded_errors(capsys, tmp_path, name):
    token = json.dumps(BAD_LOGPROBS[name]).replace('"NaN"', "NaN")
    body = '{"choices": [{"message": {"content": "A"}, "logprobs": {"content": [' + token + "]}}]}"
    with scripted(lambda seen: Reply(body.encode())) as (host, _):
        code = main([
            "run", "--model", "openai-compatible/m", "--base-url", f"http://{host}/v1",
            "--tasks", "my_quiz", "-T", "mode=loglikelihood", "--tasks-dir", str(EXAM / "tasks"),
            "--data-dir", str(EXAM / "data"), "--output-dir", str(tmp_path), "--quiet",
            "--no-cache", "--max-attempts", "1", "--limit", "2",
        ])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 3 and "logprobs" in err and len(err.strip().splitlines()) == 1, err
