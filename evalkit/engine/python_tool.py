"""The ``python`` tool: a stateful interpreter in the sandbox, one per sample.

The session starts at the sample's first call and ends with its conversation, so variables
survive between calls as in a notebook (the code-interpreter protocol InternLM2 and OpenCompass
use). Code runs only inside :class:`~evalkit.sandbox.Sandbox`; a call that times out kills the
session and says so, and later calls report the dead session.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from evalkit.engine.tools import MAX_OUTPUT_CHARS, Tool, ToolResult, ToolSession, arguments
from evalkit.task.params import SolverParams
from evalkit.types import ToolCall, ToolSpec

if TYPE_CHECKING:
    from evalkit.sandbox import ExecResult, Sandbox, SandboxSession


def shown(result: ExecResult) -> tuple[str, str | None]:
    """The text the model sees for one execution, and the error kind (``None`` if it ran)."""
    text = result.stdout
    if result.stderr:
        glue = "" if text.endswith("\n") or not text else "\n"
        text = f"{text}{glue}{result.stderr}"
    if len(text) > MAX_OUTPUT_CHARS:
        half = MAX_OUTPUT_CHARS // 2
        text = text[:half] + "\n...[output cut]...\n" + text[-half:]
    if result.killed is not None:
        reason = "timeout" if result.timed_out else "killed"
        return f"{text}\n[execution stopped: {result.killed}]".lstrip("\n"), reason
    if result.exit_code not in (0, None) or "Traceback (most recent call last)" in result.stderr:
        return text or "[error]", "exception"
    return text or "[no output]", None


@dataclass(slots=True)
class _PythonSession:
    """One sample's interpreter.

    It starts when the sample starts, so the jail is usually ready by the time the model's
    first reply asks for it (its start overlaps that call).
    """

    sandbox: Sandbox
    timeout_s: float
    starting: asyncio.Task[SandboxSession] | None = field(default=None)

    def start(self) -> None:
        from evalkit.sandbox import SandboxLimits

        limits = SandboxLimits(wall_s=self.timeout_s, cpu_s=self.timeout_s)
        self.starting = asyncio.ensure_future(self.sandbox.session(limits).__aenter__())

    async def run(self, call: ToolCall) -> ToolResult:
        code, problem = arguments(call, "code")
        if code is None:
            return ToolResult(f"Error: {problem}", "invalid_arguments")
        if self.starting is None:
            self.start()
        assert self.starting is not None
        session = await asyncio.shield(self.starting)
        text, error = shown(await session.execute(code))
        return ToolResult(text, error)

    async def aclose(self) -> None:
        if self.starting is None:
            return
        try:
            session = await self.starting
        except Exception:  # a jail that failed to start has nothing to close
            return
        await session.aclose()


@dataclass(frozen=True, slots=True)
class Python:
    """``python``: run code in a persistent sandboxed interpreter and see its output."""

    spec: ToolSpec = ToolSpec(
        "python",
        "Run Python code in a persistent interpreter (variables persist between calls; numpy "
        "and sympy are available; no network). Returns what the code prints and the value of "
        "a final expression.",
        {
            "type": "object",
            "properties": {"code": {"type": "string", "description": "Python code to run"}},
            "required": ["code"],
        },
    )
    main_arg: str = "code"
    fence: str = "python"
    needs_sandbox: bool = True
    timeout_s: float = 10.0

    def open(self, sandbox: Any) -> ToolSession:
        """Start a session's interpreter in the background (see :class:`_PythonSession`)."""
        session = _PythonSession(sandbox, self.timeout_s)
        session.start()
        return session


def make_python(params: SolverParams) -> Tool:
    """Build the ``python`` tool (``-T tool_timeout_s`` bounds each execution)."""
    return Python(timeout_s=params.tool_timeout_s)
