"""One-shot execution: run a jailed command to its end or its limits and say what happened."""

from __future__ import annotations

import asyncio
import signal
import time
from typing import Any

from evalkit.sandbox.limits import ExecResult, KillReason, SandboxLimits
from evalkit.sandbox.process import ArgvFor, Capped, JailedProcess, feed, read_capped


def kernel_reason(exit_code: int | None, stderr: str) -> KillReason | None:
    """Name the kernel limit that ended a program, judging from its exit and last words."""
    if exit_code == 128 + signal.SIGXCPU:
        return "cpu"
    tail = stderr.rstrip().rsplit("\n", 1)[-1]
    if exit_code == 128 + signal.SIGXFSZ or (exit_code and "[Errno 27] File too large" in tail):
        return "file_size"
    if exit_code not in (0, None) and tail.startswith("MemoryError"):
        return "memory"
    return None


async def run_jailed(argv_for: ArgvFor, stdin: bytes, limits: SandboxLimits) -> ExecResult:
    """Run the jailed command to its end or its limits and return what it did."""
    start = time.monotonic()
    jail = await JailedProcess.start(argv_for)
    proc = jail.proc
    if proc.stdout is None or proc.stderr is None:
        raise RuntimeError("the jail was started without pipes")
    overflow = asyncio.Event()
    cap = limits.output_bytes
    reading = asyncio.gather(
        read_capped(proc.stdout, cap, overflow),
        read_capped(proc.stderr, cap, overflow),
        feed(proc, stdin),
    )
    try:
        reason = await _watch(reading, overflow, limits.wall_s)
        if reason is not None:
            jail.kill()
        out, err, _ = await reading
        exit_code = await jail.wait()
    finally:
        jail.discard()  # cancelled from outside: leave nothing running
    return _result(out, err, None if reason else exit_code, reason, time.monotonic() - start)


def _result(
    out: Capped, err: Capped, code: int | None, reason: KillReason | None, wall_s: float
) -> ExecResult:
    stderr = err.text()
    return ExecResult(
        stdout=out.text(),
        stderr=stderr,
        exit_code=code,
        timed_out=reason == "timeout",
        killed=reason or kernel_reason(code, stderr),
        wall_s=wall_s,
        truncated=out.truncated or err.truncated,
    )


async def _watch(
    reading: asyncio.Future[Any], overflow: asyncio.Event, wall_s: float
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
