"""The worker process of :class:`~evalkit.scoring.math.pool.MathChecker`.

Run as ``python -m evalkit.scoring.math.worker FD MEMORY_MB``: it caps its own address space,
imports the checker, warms sympy up, says ``"ready"`` on the inherited socket ``FD``, then
answers each ``(gold, pred, percent)`` request with :func:`~evalkit.scoring.math.scorer.is_equiv`'s
verdict until the socket closes. It exits by itself if its parent dies.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from multiprocessing.connection import Connection

_WARM_UP = (
    ("\\frac{1}{2}", "0.5"),
    ("x^2+2x", "x(x+2)"),
    ("(1, \\sqrt2]", "[1, 2)"),
    ("1,2", "x = 1, x = 2"),  # imports sympy's set and assumption handlers once, here
    ("y = 2x + 3", "2y = 4x + 6"),
)


RECYCLE_MB = 512
"""A worker that has grown past this (sympy's caches after many or huge comparisons) leaves
after its answer, so the memory cap only ever stops a comparison by its own size."""


def _resident_mb() -> float:
    """The worker's resident memory in MiB (0 where /proc cannot say)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _limit_memory(memory_mb: int) -> None:
    import resource

    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _exit_with_parent(parent: int) -> None:
    """Leave as soon as the parent is gone, even in the middle of a comparison."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def serve(conn: Connection) -> None:
    """Answer requests on ``conn`` until it closes or a ``None`` request arrives."""
    from evalkit.scoring.math.scorer import is_equiv

    for gold, pred in _WARM_UP:
        is_equiv(gold, pred)
    conn.send("ready")
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        try:
            verdict = is_equiv(*request)
        except MemoryError:
            verdict = False
        conn.send(verdict)
        if _resident_mb() > RECYCLE_MB:
            return  # the pool starts a fresh worker: no verdict depends on what came before


def main(argv: list[str]) -> int:
    """Entry point: ``argv`` is ``[prog, fd, memory_mb]``."""
    fd, memory_mb = int(argv[1]), int(argv[2])
    _limit_memory(memory_mb)
    watchdog = threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True)
    watchdog.start()
    # The worker runs in its own session, so an interrupt only comes from a deliberate kill.
    with contextlib.suppress(KeyboardInterrupt):
        serve(Connection(fd))
    return 0


if __name__ == "__main__":
    code = main(sys.argv)
    # Nothing to flush or clean up: skip the slow interpreter teardown of sympy's objects.
    os._exit(code)
