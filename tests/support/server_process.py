"""The test server as a subprocess: start it, find its port, read its stats, stop it.

Running the server in its own process keeps its work off the GIL of the harness being measured.
The child is started with ``exit_on_stdin_eof``, so it also exits if this process dies without
stopping it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import select
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.server_options import ServerOptions

SCRIPT = Path(__file__).with_name("openai_server.py")
"""The server's entry point."""

_READY = b"LISTENING "
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ServerStartError(RuntimeError):
    """The server process exited or stayed silent instead of announcing its port."""


@dataclass(frozen=True, slots=True)
class ServerHandle:
    """A running server process.

    Attributes:
        host: The address it listens on.
        port: The TCP port it listens on.
        pid: Its process id.
        process: The process object (used by :meth:`stop`).
    """

    host: str
    port: int
    pid: int
    process: subprocess.Popen[bytes]

    @property
    def root_url(self) -> str:
        """``http://host:port`` (where ``/stats`` lives)."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """``http://host:port/v1``, the ``base_url`` an OpenAI client expects."""
        return f"{self.root_url}/v1"

    def stats(self) -> dict[str, Any]:
        """Return the server's counters (``GET /stats``)."""
        return self._call("GET", "/stats")

    def reset_stats(self) -> dict[str, Any]:
        """Zero the counters and the per-body attempt numbers (``POST /stats/reset``)."""
        return self._call("POST", "/stats/reset")

    def _call(self, method: str, path: str) -> dict[str, Any]:
        request = urllib.request.Request(self.root_url + path, method=method, data=None)
        with _NO_PROXY.open(request, timeout=10) as response:
            result: dict[str, Any] = json.load(response)
        return result

    def stop(self, timeout_s: float = 5.0) -> int:
        """Stop the process (terminate, then kill after ``timeout_s``); return its exit status."""
        process = self.process
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout_s)
        for pipe in (process.stdin, process.stdout):
            if pipe is not None:
                pipe.close()
        return process.returncode


def start_server_process(*, startup_timeout_s: float = 15.0, **options: Any) -> ServerHandle:
    """Start the server in a subprocess and wait until it listens.

    Args:
        startup_timeout_s: How long to wait for the ``LISTENING <port>`` line.
        **options: Fields of :class:`~support.server_options.ServerOptions`
            (e.g. ``latency_ms=200``, ``fault_rate=0.2``, ``api_key="k"``).

    Raises:
        ServerStartError: the process exited or did not announce its port in time.
    """
    resolved = dataclasses.replace(ServerOptions(**options), exit_on_stdin_eof=True)
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT), *resolved.to_argv()],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        port = _read_port(process, startup_timeout_s)
    except BaseException:
        process.kill()
        process.wait()
        raise
    return ServerHandle(resolved.host, port, process.pid, process)


def _read_port(process: subprocess.Popen[bytes], timeout_s: float) -> int:
    """Read stdout until the ``LISTENING <port>`` line and return the port."""
    if process.stdout is None:
        raise ServerStartError("server started without a stdout pipe")
    fd = process.stdout.fileno()
    deadline = time.monotonic() + timeout_s
    buffer = b""
    while b"\n" not in buffer:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ServerStartError(f"server did not report its port within {timeout_s} s")
        ready, _, _ = select.select([fd], [], [], remaining)
        chunk = os.read(fd, 4096) if ready else b""
        if ready and not chunk:
            raise ServerStartError(f"server exited with status {process.wait()} before listening")
        buffer += chunk
    line = buffer.split(b"\n", 1)[0].strip()
    if not line.startswith(_READY):
        raise ServerStartError(f"unexpected first line from server: {line!r}")
    return int(line[len(_READY) :])
