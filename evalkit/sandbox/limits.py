"""Sandbox values: the resource limits of one execution and what an execution returned."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

KillReason = Literal["timeout", "output_limit", "memory", "cpu", "file_size", "session_dead"]
"""Why an execution did not end on its own terms: the wall clock ran out (``timeout``), it wrote
more than the output limit (``output_limit``), a kernel limit stopped it (``memory``: address space,
``cpu``: CPU seconds, ``file_size``), or it was sent to a session a timeout had already killed."""


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    """Resource limits of one sandboxed execution (one-shot) or one session.

    Attributes:
        wall_s: Wall-clock seconds before every process of the sandbox is killed (per call in a
            session).
        cpu_s: CPU seconds per process (``RLIMIT_CPU``; for a session, over its whole life).
        memory_mb: Address space per process in MiB (``RLIMIT_AS``).
        processes: Processes and threads the sandbox may hold at once (``RLIMIT_NPROC``, counted
            inside the sandbox's own user namespace under the slot's own uid).
        open_files: Open file descriptors per process (``RLIMIT_NOFILE``).
        file_size_mb: Largest file a process may write, in MiB (``RLIMIT_FSIZE``).
        output_bytes: Bytes kept of each of stdout and stderr; more kills the execution.
        tmpfs_mb: Size of the private ``/tmp``, the only writable place.
    """

    wall_s: float = 10.0
    cpu_s: float = 10.0
    memory_mb: int = 1024
    processes: int = 64
    open_files: int = 256
    file_size_mb: int = 16
    output_bytes: int = 1_000_000
    tmpfs_mb: int = 64

    def rlimits(self) -> dict[str, tuple[int, int]]:
        """Return the ``prlimit`` settings (soft, hard) these limits stand for.

        The CPU hard limit is one second above the soft one, so a spinning program first gets
        ``SIGXCPU`` (recognisable) and ``SIGKILL`` only if it ignores that.
        """
        mib = 1024 * 1024
        # RLIMIT_CPU counts whole seconds; round up so a 0.5 s budget is not 0 (unlimited).
        cpu = max(1, math.ceil(self.cpu_s))
        return {
            "as": (self.memory_mb * mib,) * 2,
            "cpu": (cpu, cpu + 1),
            "nproc": (self.processes,) * 2,
            "nofile": (self.open_files,) * 2,
            "fsize": (self.file_size_mb * mib,) * 2,
            "core": (0, 0),
        }


@dataclass(frozen=True, slots=True)
class ExecResult:
    """What one sandboxed execution returned.

    Attributes:
        stdout: Standard output (decoded as UTF-8 with replacement; at most the output limit).
        stderr: Standard error, likewise.
        exit_code: The program's exit status (``128 + N`` when signal N ended it); ``None`` when
            the sandbox was killed before it finished or never ran.
        timed_out: Whether the wall-clock limit ran out.
        killed: Why it was stopped early, when it was (see :data:`KillReason`).
        wall_s: Seconds from start to the end of the last process.
        truncated: Whether stdout or stderr was cut at the output limit.
    """

    stdout: str
    stderr: str
    exit_code: int | None
    timed_out: bool
    killed: KillReason | None
    wall_s: float
    truncated: bool

    @property
    def ok(self) -> bool:
        """Whether the program ran to the end and exited with status 0."""
        return self.exit_code == 0 and self.killed is None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (for ``samples.jsonl``)."""
        out = asdict(self)
        out["wall_s"] = round(self.wall_s, 4)
        return out
