"""A jailed process: started, fed, read with caps, bounded in wall time, and killed whole.

The outer bubblewrap is the host's child; its own child is the init process of the sandbox's PID
namespace, whose host pid bubblewrap reports on ``--info-fd``. Killing that init makes the kernel
kill every process of the namespace (double-forked daemons included), and the init's exit is only
reported once they are all gone; bubblewrap itself may exit a little earlier, so the end of an
execution waits on a pidfd of the init. Output is read in chunks and never kept past the cap: a
program that writes more is killed, not buffered.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
from collections.abc import Callable
from dataclasses import dataclass

CHUNK = 65536
ArgvFor = Callable[[int], list[str]]
"""Builds the jailed command given the host fd bubblewrap should write its info to."""


@dataclass(slots=True)
class Capped:
    """Bytes read from one pipe, up to a cap."""

    data: bytearray
    truncated: bool = False

    def text(self) -> str:
        """Return the bytes decoded as UTF-8 (bad bytes replaced)."""
        return self.data.decode("utf-8", "replace")


class JailedProcess:
    """One running jail: the outer bubblewrap's process and a pidfd of the namespace's init."""

    def __init__(
        self, proc: asyncio.subprocess.Process, init_fd: int | None, info: asyncio.BaseTransport
    ) -> None:
        self.proc = proc
        self._init_fd = init_fd
        self._info = info

    @classmethod
    async def start(cls, argv_for: ArgvFor, line_limit: int = CHUNK) -> JailedProcess:
        """Start the jail with piped stdio, its own process group and an empty environment."""
        info_read, info_write = os.pipe()
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv_for(info_write),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
                pass_fds=(info_write,),
                env={},
                limit=line_limit,
            )
        finally:
            os.close(info_write)
        return cls(proc, *await _init_pidfd(info_read))

    def kill(self) -> None:
        """Kill every process of the jail (through its init; else the outer bubblewrap)."""
        if self._init_fd is not None:
            with contextlib.suppress(ProcessLookupError, OSError):
                signal.pidfd_send_signal(self._init_fd, signal.SIGKILL)
        elif self.proc.returncode is None:
            # Without the init's pid, kill bubblewrap: the init then gets SIGKILL too
            # (--die-with-parent).
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)

    def discard(self) -> None:
        """Kill the jail and let go of the init's pidfd without waiting (cancelled callers)."""
        self.kill()
        self._release()

    def _release(self) -> None:
        self._info.close()
        if self._init_fd is not None:
            os.close(self._init_fd)
            self._init_fd = None

    async def wait(self) -> int:
        """Wait until bubblewrap and every process of the namespace have ended; return the code."""
        code = await self.proc.wait()
        if self._init_fd is not None:
            loop = asyncio.get_running_loop()
            gone = loop.create_future()
            loop.add_reader(self._init_fd, gone.set_result, None)
            try:
                await gone
            finally:
                loop.remove_reader(self._init_fd)
        self._release()
        return code


async def _init_pidfd(info_read: int) -> tuple[int | None, asyncio.BaseTransport]:
    """Read the init's pid from bubblewrap's info pipe and open a pidfd of it.

    The pipe stays open (its transport is returned) until the jail ends: bubblewrap writes the
    info in several writes, and one into a closed pipe would kill it half-way through the setup.
    """
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    pipe = os.fdopen(info_read, "rb", buffering=0)
    transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), pipe)
    info = b""
    while (found := re.search(rb'"child-pid"\s*:\s*(\d+)\D', info)) is None:
        chunk = await reader.read(4096)
        if not chunk:
            return None, transport  # bubblewrap failed before cloning: only itself to kill
        info += chunk
    try:
        return os.pidfd_open(int(found.group(1))), transport
    except ProcessLookupError:
        return None, transport  # already ended and reaped
    except OSError:
        return None, transport  # a kernel without pidfds (< 5.3): the process group is killed


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
    if proc.stdin is None:
        return
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        proc.stdin.write(data)
        await proc.stdin.drain()
        proc.stdin.close()
