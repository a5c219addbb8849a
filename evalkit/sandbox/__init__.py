"""The sandbox: the only place model-written code runs.

Built on bubblewrap and util-linux (``setpriv``, ``prlimit``): new user, PID, network, IPC, UTS and
mount namespaces; a read-only system and Python runtime; a small private tmpfs as the only
writable place; an empty environment; no home, project, results or cache; limits on wall time,
CPU, address space, processes, open files, file size and output; every process killed at the
end. See :mod:`evalkit.sandbox.jail` for how the jail is built. There is no unsandboxed fallback.

Two modes: :meth:`Sandbox.run` (one program, one fresh jail) and :meth:`Sandbox.session` (a
persistent interpreter in one jail, like a notebook kernel).
"""

from __future__ import annotations

from evalkit.errors import SandboxUnavailable
from evalkit.sandbox.limits import ExecResult, KillReason, SandboxLimits
from evalkit.sandbox.sandbox import Sandbox
from evalkit.sandbox.session import SandboxSession

__all__ = [
    "ExecResult",
    "KillReason",
    "Sandbox",
    "SandboxLimits",
    "SandboxSession",
    "SandboxUnavailable",
]
