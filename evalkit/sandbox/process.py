"""A jailed process: started, fed, read with caps, bounded in wall time, and killed whole.

The outer bubblewrap is the host's child; its own child is the init process of the sandbox's PID
namespace. Killing that init makes the kernel kill every process in the namespace (double-forked
daemons included) before the init can be reaped, so once the outer bubblewrap has exited, nothing
of the sandbox is left. Output is read in chunks and never kept past the cap: a program that
writes more is killed, not buffered.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from dataclasses import dataclass
from typing import Any

from evalkit.sandbox.limits import ExecResult, KillReason, SandboxLimits

CHUNK = 65536


async def spawn(argv: list[str], line_limit: int = CHUNK) -> asyncio.subprocess.Process:
    """Start ``argv`` with piped stdio, in its own process group, with an empty environment."""
    return await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
        env={},
        limit=line_limit,
    )


def kill(proc: asyncio.subprocess.Process) -> None:
    """Kill every process of the sandbox: its PID namespace's init, else the whole group."""
    if proc.returncode is not None:
        return
    try:
        with open(f"/proc/{proc.pid}/task/{proc.pid}/children", encoding="ascii") as fh:
            children = [int(pid) for pid in fh.read().split()]
    except OSError:
        children = []
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    # Before bubblewrap has cloned the init (or if /proc hides it), kill the group: the init
    # then gets SIGKILL from --die-with-parent.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


@dataclass(slots=True)
class Capped:
    """Bytes read from one pipe, up to a cap."""

    data: bytearray
    truncated: bool = False


async def read_capped(stream: asyncio.StreamReader, cap: int, overflow: asyncio.Event) -> Capped:
    """Read ``stream`` to its end, keeping at most ``cap`` bytes; set ``overflow`` past it."""
    got = Capped(bytearray())
    while chunk := await stream.read(CHUNK):
        room = cap - len(got.data)
        if len(chunk) > room:
            got.data += chunk[: max(room, 0)]
            got.truncated = True
            overflow.set()
        else:
            got.data += chunk
    return got


async def feed(proc: asyncio.subprocess.Process, data: bytes) -> None:
    """Write ``data`` to the process's stdin and close it (a program may exit without reading)."""
    assert proc.stdin is not None
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        proc.stdin.write(data)
        await proc.stdin.drain()
        proc.stdin.close()


def kernel_reason(exit_code: int | None, stderr: str) -> KillReason | None:
    """Name the kernel limit that ended a program, judging from its exit and last words."""
    if exit_code == 128 + signal.SIGXCPU:
        return "cpu"
    if exit_code == 128 + signal.SIGXFSZ:
        return "file_size"
    tail = stderr.rstrip().rsplit("\n", 1)[-1]
    if exit_code not in (0, None) and tail.startswith("MemoryError"):
        return "memory"
    return None


async def run_jailed(argv: list[str], stdin: bytes, limits: SandboxLimits) -> ExecResult:
    """Run ``argv`` (a jailed command) to its end or its limits and return what it did."""
    start = time.monotonic()
    proc = await spawn(argv)
    assert proc.stdout is not None and proc.stderr is not None
    overflow = asyncio.Event()
    cap = limits.output_bytes
    reading = asyncio.gather(
        read_capped(proc.stdout, cap, overflow),
        read_capped(proc.stderr, cap, overflow),
        feed(proc, stdin),
    )
    reason: KillReason | None = None
    try:
        reason = await _watch(reading, overflow, limits.wall_s)
        if reason is not None:
            kill(proc)
        out, err, _ = await reading
        exit_code = await proc.wait()
    finally:
        kill(proc)  # cancelled from outside: leave nothing running
    stdout = out.data.decode("utf-8", "replace")
    stderr = err.data.decode("utf-8", "replace")
    code = None if reason is not None else exit_code
    return ExecResult(
        stdout=stdout,
        stderr=stderr,
        exit_code=code,
        timed_out=reason == "timeout",
        killed=reason or kernel_reason(code, stderr),
        wall_s=time.monotonic() - start,
        truncated=out.truncated or err.truncated,
    )


async def _watch(
    reading: asyncio.Future[tuple[Capped, Capped, None]], overflow: asyncio.Event, wall_s: float
) -> KillReason | None:
    """Wait until the pipes close, the output overflows or the wall clock runs out."""
    overflowed: asyncio.Future[Any] = asyncio.ensure_future(overflow.wait())
    pending: set[asyncio.Future[Any]] = {reading, overflowed}
    try:
        done, _ = await asyncio.wait(pending, timeout=wall_s, return_when="FIRST_COMPLETED")
    finally:
        overflowed.cancel()
    if overflow.is_set():
        return "output_limit"
    return None if reading in done else "timeout"
