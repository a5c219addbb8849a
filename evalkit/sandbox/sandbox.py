"""The sandbox: where model-written code runs, one-shot or as a stateful session.

A :class:`Sandbox` holds ``slots`` places; each execution (or session) takes one for its whole
life, so at most ``slots`` jails run at once, and (when evalkit runs as root) each runs under its
own unprivileged uid. There is no unsandboxed fallback: where bubblewrap cannot create the jail,
:meth:`Sandbox.check_available` and every run raise :class:`SandboxUnavailable`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

from evalkit.errors import SandboxUnavailable
from evalkit.sandbox import jail
from evalkit.sandbox.limits import ExecResult, SandboxLimits
from evalkit.sandbox.run import run_jailed
from evalkit.sandbox.session import SandboxSession

HERE = Path(__file__).resolve().parent
PROGRAM = (HERE / "program.py").read_text(encoding="utf-8")
"""The launcher's source, passed with ``python -c`` (the package is not visible inside)."""


class Sandbox:
    """Runs Python programs in bubblewrap jails, ``slots`` at a time.

    Args:
        limits: Default limits of every execution (a call may pass its own).
        slots: Executions and sessions that may run at once; slot ``n`` runs as uid
            ``60000 + n`` when evalkit runs as root.
    """

    def __init__(self, limits: SandboxLimits = SandboxLimits(), slots: int = 2) -> None:  # noqa: B008 - frozen
        if slots < 1:
            raise ValueError("a sandbox needs at least one slot")
        self.limits = limits
        self.slots = slots
        self._free: asyncio.Queue[int] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @staticmethod
    def check_available() -> None:
        """Check that a jail can be created here (cached after the first call).

        Raises:
            SandboxUnavailable: bubblewrap, setpriv or prlimit is missing, or namespaces are off.
        """
        why = jail.probe()
        if why is not None:
            raise SandboxUnavailable(why if jail.FIX in why else f"{why}; {jail.FIX}")

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[int]:
        """Hold one slot (its index) while the block runs."""
        loop = asyncio.get_running_loop()
        if self._free is None or self._loop is not loop:  # a queue belongs to one event loop
            self._free, self._loop = asyncio.Queue(), loop
            for n in range(self.slots):
                self._free.put_nowait(n)
        slot = await self._free.get()
        try:
            yield slot
        finally:
            self._free.put_nowait(slot)

    async def run(
        self,
        code: str,
        *,
        stdin: str = "",
        files: Mapping[str, str] | None = None,
        limits: SandboxLimits | None = None,
    ) -> ExecResult:
        """Run ``code`` as ``python main.py`` in a fresh jail and return what it did.

        Args:
            code: The program.
            stdin: Its standard input.
            files: Extra files written next to ``main.py`` in the private ``/tmp`` (name → text).
            limits: This execution's limits (default: the sandbox's).

        Raises:
            SandboxUnavailable: the jail cannot be created here.
        """
        self.check_available()
        limits = limits or self.limits
        parts = [code.encode("utf-8")]
        for name, text in (files or {}).items():
            parts += [name.encode("utf-8"), text.encode("utf-8")]
        header = " ".join(str(len(p)) for p in parts).encode("ascii") + b"\n"
        payload = b"".join([header, *parts, stdin.encode("utf-8")])
        tools = jail.find_tools()
        async with self.slot() as slot:
            command = jail.PythonJail(tools, limits, slot, PROGRAM, tuple(jail.python_path()))
            return await run_jailed(command.argv, payload, limits)

    def session(self, limits: SandboxLimits | None = None) -> SandboxSession:
        """Return a persistent interpreter in one jail (use it as ``async with``)."""
        return SandboxSession(self, limits or self.limits)
