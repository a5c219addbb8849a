"""A scripted OpenAI-compatible server that plays multi-turn conversations, for engine tests.

Each chat request is answered by a *script*: a function of the request body (the whole
conversation so far, the tools offered) returning the assistant message to send: text, native
tool calls, or both. Scripts are plain Python in the tests, so a test states exactly what the
"model" does on each turn: call a tool, answer, send broken JSON, call forever. The server is a
real HTTP server on 127.0.0.1 (``GET /v1/models``, ``POST /v1/chat/completions``) and keeps every
request body for the test to inspect.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from support.threaded_http import JsonHandler, serve_threaded

Script = Callable[[dict[str, Any]], dict[str, Any]]
"""Request body → assistant message (``{"content": ..., "tool_calls": [...]}``)."""


def reply(content: str | None = None, calls: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """An assistant message with optional native tool calls ``[(name, arguments_json), ...]``."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = [
            {"id": f"call_{i}", "type": "function", "function": {"name": n, "arguments": a}}
            for i, (n, a) in enumerate(calls)
        ]
    return message


def turn(body: dict[str, Any]) -> int:
    """How many assistant turns the conversation already holds (0 on the first call)."""
    return sum(1 for m in body["messages"] if m["role"] == "assistant")


def first_user(body: dict[str, Any]) -> str:
    """The text of the first user message (what identifies the sample)."""
    return next(m["content"] for m in body["messages"] if m["role"] == "user")


@dataclass
class ScriptedServer:
    """The running server: its URL and every request body it received."""

    url: str
    bodies: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def scripted_server(script: Script, latency_s: float = 0.0) -> Iterator[ScriptedServer]:
    """Serve ``script`` on 127.0.0.1 until the block ends, answering after ``latency_s``."""
    state = ScriptedServer("")
    lock = threading.Lock()

    class Handler(JsonHandler):
        def do_GET(self) -> None:
            self.send_json(200, {"object": "list", "data": [{"id": "scripted", "object": "model"}]})

        def do_POST(self) -> None:
            body = self.read_json()
            with lock:
                state.bodies.append(body)
            message = script(body)
            if latency_s:
                time.sleep(latency_s)
            finish = "tool_calls" if message.get("tool_calls") else "stop"
            self.send_json(
                200,
                {
                    "id": "scripted",
                    "object": "chat.completion",
                    "model": body.get("model", "scripted"),
                    "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 5},
                },
            )

    with serve_threaded(Handler) as url:
        state.url = url
        yield state
