"""A recording fake OpenAI server on its own thread, and a small echo task, shared by the
reliability, fault, hostile-input and secrets tests."""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from support.openai_server import FakeOpenAIServer, ServerOptions
from support.server_http import HttpRequest

TASK_TOML = """\
name = "rel_echo"
version = "1"
description = "Reliability tests: the server echoes the word; the gold is the word on most rows."
scorer = "exact"
primary_metric = "accuracy"
group_by = ["kind"]

[dataset]
format = "jsonl"
splits = { test = "rel/test.jsonl" }

[fields]
target = "gold"
id = "key"
metadata = ["kind"]

[params]
split = "test"
format = "chat"
user_template = "prompt.jinja"
ignore_case = true
strip_punctuation = true

[generation]
max_tokens = 16
"""


class RecordingServer(FakeOpenAIServer):
    """The fake server, logging the body of every POST it receives and counting connections."""

    def __init__(self, options: ServerOptions) -> None:
        super().__init__(options)
        self.bodies: list[bytes] = []
        self.open_connections = 0

    async def _api(self, request: HttpRequest) -> Any:
        if request.method == "POST":
            self.bodies.append(request.body)
        return await super()._api(request)

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.open_connections += 1
        try:
            await super()._serve_connection(reader, writer)
        finally:
            self.open_connections -= 1

    def wait_idle(self, limit_s: float = 120.0) -> None:
        """Wait until every connection is closed, so every request sent so far is logged.

        A killed client's requests may still sit unread in the server's sockets; the server
        logs them when its thread gets to them, which on a busy machine can be after the next
        client has started. Waiting for the last connection to close removes that race.
        """
        deadline = time.monotonic() + limit_s
        while self.open_connections and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not self.open_connections, "the server kept a connection open"


@contextmanager
def serve_in_thread(server: FakeOpenAIServer) -> Iterator[str]:
    """Run ``server`` on its own event loop in a thread; yield its base URL."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    port: list[int] = []
    stop: list[asyncio.Event] = []

    async def serve() -> None:
        stop.append(asyncio.Event())
        port.append(await server.start())
        ready.set()
        await stop[0].wait()
        await server.close()
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:  # connections still open (a killed client's hung request)
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(120), "server did not start"
    try:
        yield f"http://127.0.0.1:{port[0]}/v1"
    finally:
        loop.call_soon_threadsafe(stop[0].set)
        thread.join(10)
        loop.close()


def write_task(root: Path, n: int, seed: int = 5) -> tuple[Path, Path]:
    """Write the ``rel_echo`` task and ``n`` rows; return (tasks dir, data dir)."""
    rng = random.Random(seed)
    task = root / "tasks" / "rel_echo"
    task.mkdir(parents=True)
    (task / "task.toml").write_text(TASK_TOML)
    (task / "prompt.jinja").write_text("{{ word }}\n")
    data = root / "data" / "rel"
    data.mkdir(parents=True)
    rows = []
    for i in range(n):
        word = f"w{i}-{rng.choice(['alpha', 'beta', 'gamma', 'delta'])}"
        gold = word if rng.random() < 0.7 else f"not-{word}"
        rows.append({"key": f"r{i:04d}", "word": word, "gold": gold, "kind": "abc"[i % 3]})
    (data / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return root / "tasks", root / "data"
