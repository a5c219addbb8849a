"""A sandbox session: one persistent Python interpreter in one jail, driven over a pipe.

Each :meth:`SandboxSession.execute` sends a cell to the driver (``repl.py``) and waits for its
answer at most ``wall_s``. A call that runs past it kills the whole jail and says so; every later
call answers ``killed="session_dead"`` without running. The session holds a slot of its
:class:`~evalkit.sandbox.Sandbox` from ``__aenter__`` to :meth:`aclose`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from contextlib import AsyncExitStack
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from evalkit.sandbox import jail
from evalkit.sandbox.limits import ExecResult, KillReason, SandboxLimits
from evalkit.sandbox.process import Capped, JailedProcess, read_capped

if TYPE_CHECKING:
    from evalkit.sandbox.sandbox import Sandbox

REPL = (Path(__file__).resolve().parent / "repl.py").read_text(encoding="utf-8")


class SandboxSession:
    """A persistent interpreter in one jail: variables survive between calls.

    Args:
        sandbox: The sandbox lending the slot.
        limits: The session's limits (``wall_s`` per call; ``cpu_s`` over the whole session).
    """

    def __init__(self, sandbox: Sandbox, limits: SandboxLimits) -> None:
        self.limits = limits
        self._sandbox = sandbox
        self._stack = AsyncExitStack()
        self._jail: JailedProcess | None = None
        self._stderr: asyncio.Task[Capped] | None = None
        self._dead: str | None = None
        self._turn = asyncio.Lock()  # one cell at a time: replies are matched to requests by order

    async def __aenter__(self) -> SandboxSession:
        self._sandbox.check_available()
        slot = await self._stack.enter_async_context(self._sandbox.slot())
        tools = jail.find_tools()
        args = (str(self.limits.output_bytes), *jail.python_path())
        command = jail.PythonJail(tools, self.limits, slot, REPL, args)
        # A reply holds two capped outputs as JSON (escapes may grow text up to 6 times).
        limit = 12 * self.limits.output_bytes + 65536
        self._jail = await JailedProcess.start(command.argv, line_limit=limit)
        stderr = self._jail.proc.stderr
        if stderr is None:
            raise RuntimeError("the jail was started without pipes")
        cap = self.limits.output_bytes
        self._stderr = asyncio.ensure_future(read_capped(stderr, cap, asyncio.Event()))
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    @property
    def alive(self) -> bool:
        """Whether the session can still run code."""
        jailed = self._jail
        return jailed is not None and self._dead is None and jailed.proc.returncode is None

    async def execute(self, code: str) -> ExecResult:
        """Run ``code`` as the next cell; a final bare expression's repr is printed.

        Returns:
            The cell's output; ``exit_code`` 0 when it ran through, 1 when it raised (the
            exception's name is the last line of ``stderr``).
        """
        async with self._turn:
            return await self._execute(code, time.monotonic())

    async def _execute(self, code: str, start: float) -> ExecResult:
        if not self.alive:
            why = self._dead or "the session is not running"
            return _failed(f"session is dead ({why}); nothing was run", "session_dead", start)
        try:
            await self._send(code)
            reply = await self._reply()
        except TimeoutError:
            return await self._end(f"the call ran past {self.limits.wall_s}s", "timeout", start)
        except (ValueError, asyncio.LimitOverrunError):  # a reply too long or not JSON
            return await self._end("the cell's output passed the limit", "output_limit", start)
        except (BrokenPipeError, ConnectionResetError, EOFError):
            return await self._end("the interpreter exited", None, start)
        return _answer(reply, start)

    async def _send(self, code: str) -> None:
        stdin = self._jail.proc.stdin if self._jail else None
        if stdin is None:
            raise BrokenPipeError
        stdin.write(json.dumps({"code": code}).encode("utf-8") + b"\n")
        await stdin.drain()

    async def _reply(self) -> dict[str, Any]:
        stdout = self._jail.proc.stdout if self._jail else None
        if stdout is None:
            raise EOFError
        line = await asyncio.wait_for(stdout.readline(), self.limits.wall_s)
        if not line:
            raise EOFError
        reply = json.loads(line)
        if not isinstance(reply, dict) or not isinstance(reply.get("stdout"), str):
            raise ValueError("malformed reply")
        return reply

    async def _end(self, why: str, reason: KillReason | None, start: float) -> ExecResult:
        """Kill the jail after a failed call and say so in that call's result."""
        self._dead = why
        stderr = await self._shutdown()
        message = f"{stderr}session killed: {why}; later calls will not run"
        code = None if reason else (self._jail.proc.returncode if self._jail else None)
        return ExecResult(
            "", message, code, reason == "timeout", reason, time.monotonic() - start, False
        )

    async def _shutdown(self) -> str:
        """Kill the jail and return what the interpreter wrote to its own stderr."""
        if self._jail is None:
            return ""
        self._jail.kill()
        await self._jail.wait()
        if self._stderr is None:
            return ""
        got = await self._stderr
        text = got.data.decode("utf-8", "replace")
        return text if not text or text.endswith("\n") else text + "\n"

    async def aclose(self) -> None:
        """End the session: kill its jail and give its slot back."""
        if self._dead is None:
            self._dead = "closed"
        with contextlib.suppress(ProcessLookupError):
            await self._shutdown()
        await self._stack.aclose()


def _answer(reply: dict[str, Any], start: float) -> ExecResult:
    error = reply.get("error")
    return ExecResult(
        stdout=reply["stdout"],
        stderr=str(reply.get("stderr", "")),
        exit_code=0 if error is None else 1,
        timed_out=False,
        killed="memory" if error == "MemoryError" else None,
        wall_s=time.monotonic() - start,
        truncated=bool(reply.get("truncated")),
    )


def _failed(message: str, reason: KillReason, start: float) -> ExecResult:
    return ExecResult("", message, None, False, reason, time.monotonic() - start, False)
