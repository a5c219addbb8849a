"""The killable worker pool that bounds every answer comparison in time and memory.

:class:`MathChecker` owns a few worker processes (:mod:`~evalkit.scoring.math.worker`, each a
fresh ``python -m`` interpreter: no re-import of the caller's ``__main__``, no inherited
threads or locks). Each comparison goes to one idle worker over a socket and is given a
budget of the worker's own CPU time (read from ``/proc``), so a verdict does not depend on how
busy the machine is; a worker that spends it (or, as a guard against a hung worker, a wall time
many times longer) is killed and replaced, and the comparison is reported as ``"timeout"``.
Without ``/proc`` the budget is wall time. Each worker caps its own address space
(``RLIMIT_AS``), so a comparison that tries to allocate gigabytes fails inside the worker.

This works from any thread of any process: no ``signal.alarm``. A checker is safe to share
between threads; :func:`shared_checker` gives the per-process one, started lazily and shut
down at interpreter exit (and forgotten in a forked child, which does not own its workers).
POSIX only (the worker inherits its socket by file descriptor).
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import queue
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal

Verdict = Literal["equal", "different", "timeout", "crashed"]
"""Outcome of one bounded comparison: ``crashed`` means the worker died (e.g. out of memory)."""

DEFAULT_TIMEOUT_S = 1.0
"""Per-comparison wall-clock bound."""

DEFAULT_MEMORY_MB = 2048
"""Address-space cap of each worker (an idle worker maps about 300 MiB)."""

START_TIMEOUT_S = 60.0
"""How long a new worker may take to import the checker before it is declared broken."""


class WorkerStartError(RuntimeError):
    """A worker process could not start (evalkit or sympy not importable in a child)."""


def _worker_env() -> dict[str, str]:
    """The environment of a worker: ours, with evalkit's parent folder first on the path."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[3])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


POLL_S = 0.02
"""How often a waiting comparison checks its worker's CPU time."""
WALL_GUARD_S = 30.0
WALL_GUARD_FACTOR = 30
"""A comparison is also given up after max(30 s, 30 x its CPU budget) of wall time."""
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) a process has used, or ``None`` where ``/proc`` cannot say."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS
    except (OSError, IndexError, ValueError):
        return None


class _Worker:
    """One worker process and the parent's end of its socket."""

    def __init__(self, memory_mb: int) -> None:
        self.conn, child = multiprocessing.Pipe()
        fd = child.fileno()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "evalkit.scoring.math.worker", str(fd), str(memory_mb)],
            pass_fds=(fd,),
            env=_worker_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C in a terminal goes to the parent only.
        )
        child.close()
        self.ready = False
        self.stopping = False

    def wait_ready(self) -> None:
        """Block until the worker has started.

        Raises:
            WorkerStartError: When it died or hung while starting (a broken environment:
                its traceback is on stderr).
        """
        if self.ready:
            return
        try:
            self.ready = self.conn.poll(START_TIMEOUT_S) and self.conn.recv() == "ready"
        except (EOFError, OSError):
            self.ready = False
        if not self.ready:
            self.stop(kill=True)
            raise WorkerStartError(f"math checker worker {self.process.pid} failed to start")

    def ask(self, gold: str, pred: str, timeout_s: float, percent: str) -> Verdict:
        start = cpu_seconds(self.process.pid)
        self.conn.send((gold, pred, percent))
        if start is None:  # no /proc: a wall-clock budget
            return self._answer() if self.conn.poll(timeout_s) else "timeout"
        wall_limit = time.monotonic() + max(WALL_GUARD_S, WALL_GUARD_FACTOR * timeout_s)
        while not self.conn.poll(POLL_S):
            used = cpu_seconds(self.process.pid)
            if used is None or used - start > timeout_s or time.monotonic() > wall_limit:
                return "timeout"
        return self._answer()

    def _answer(self) -> Verdict:
        return "equal" if self.conn.recv() else "different"

    def request_stop(self) -> None:
        """Ask the worker to exit (it finishes the comparison it is on, if any)."""
        if self.stopping:
            return
        self.stopping = True
        try:
            self.conn.send(None)
        except OSError:
            self.process.kill()

    def stop(self, kill: bool) -> None:
        """Stop the worker, killing it if ``kill`` or if it does not exit in 5 s."""
        if kill:
            self.process.kill()
        else:
            self.request_stop()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.conn.close()


def _stop_all(workers: list[_Worker]) -> None:
    for worker in workers:
        worker.request_stop()  # all at once: they exit in parallel
    for worker in list(workers):
        worker.stop(kill=False)
    workers.clear()


class MathChecker:
    """Answer comparisons with a hard time and memory bound, safe to share between threads.

    Workers start on first use. Use as a context manager or call :meth:`close`; a checker that
    is garbage-collected or alive at interpreter exit stops its workers itself.

    Args:
        workers: Number of worker processes (default: CPU count, at most 4).
        memory_mb: Address-space cap of each worker.
    """

    def __init__(self, workers: int | None = None, memory_mb: int = DEFAULT_MEMORY_MB) -> None:
        self._size = workers or max(1, min(4, os.cpu_count() or 1))
        self._memory_mb = memory_mb
        self._lock = threading.Lock()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: list[_Worker] = []
        self._closed = False
        self._finalizer = weakref.finalize(self, _stop_all, self._all)

    @property
    def size(self) -> int:
        """Number of worker processes."""
        return self._size

    def _spawn(self) -> _Worker:
        with self._lock:
            if self._closed:
                raise RuntimeError("MathChecker is closed")
            worker = _Worker(self._memory_mb)
            self._all.append(worker)
            return worker

    def start(self) -> None:
        """Start the workers now instead of on first use (idempotent)."""
        with self._lock:
            missing = self._size - len(self._all)
        for _ in range(missing):
            self._idle.put(self._spawn())

    def _forget(self, worker: _Worker) -> None:
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)

    def _retire(self, worker: _Worker) -> _Worker:
        """Kill ``worker`` and return its replacement."""
        worker.stop(kill=True)
        self._forget(worker)
        return self._spawn()

    def verdict(
        self,
        gold: str,
        pred: str,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        percent: str = "number",
    ) -> Verdict:
        r"""Compare ``pred`` with ``gold`` in a worker, giving up after ``timeout_s`` seconds.

        Time spent waiting for a free or starting worker does not count against the bound.
        ``percent`` is the convention for ``\%`` (see
        :func:`~evalkit.scoring.math.scorer.is_equiv`).
        """
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        outcome = self._verdict_once(gold, pred, timeout_s, percent)
        # A worker that had left (grown too big, or killed from outside) says nothing of the
        # answer: ask again until a fresh worker answers (one that crashes on this answer
        # itself crashes every time, which is then the verdict).
        for _ in range(self._size + 1):
            if outcome != "crashed":
                break
            outcome = self._verdict_once(gold, pred, timeout_s, percent)
        return outcome

    def _verdict_once(self, gold: str, pred: str, timeout_s: float, percent: str) -> Verdict:
        self.start()
        worker = self._idle.get()
        try:
            worker.wait_ready()
        except WorkerStartError:
            self._forget(worker)
            raise
        outcome: Verdict = "crashed"
        try:
            outcome = worker.ask(gold, pred, timeout_s, percent)
        except (EOFError, OSError):
            outcome = "crashed"
        finally:
            if outcome in ("timeout", "crashed"):
                worker = self._retire(worker)
            self._idle.put(worker)
        return outcome

    def check(self, gold: str, pred: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> bool:
        """Whether ``pred`` equals ``gold``; a timeout or crash counts as not equal."""
        return self.verdict(gold, pred, timeout_s) == "equal"

    def verdicts(
        self, pairs: Iterable[tuple[str, str]], timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> list[Verdict]:
        """:meth:`verdict` for many ``(gold, pred)`` pairs, all workers busy, results in order."""
        items = list(pairs)
        self.start()
        with ThreadPoolExecutor(max_workers=self._size) as pool:
            return list(pool.map(lambda pair: self.verdict(pair[0], pair[1], timeout_s), items))

    def check_many(
        self, pairs: Iterable[tuple[str, str]], timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> list[bool]:
        """:meth:`check` for many ``(gold, pred)`` pairs, results in order."""
        return [verdict == "equal" for verdict in self.verdicts(pairs, timeout_s)]

    def close(self) -> None:
        """Stop all workers (idempotent)."""
        with self._lock:
            self._closed = True
        self._finalizer()

    def __enter__(self) -> MathChecker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_shared: MathChecker | None = None
_shared_lock = threading.Lock()


def shared_checker() -> MathChecker:
    """The process-wide checker, created on first use and closed at interpreter exit."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = MathChecker()
        return _shared


def _close_shared() -> None:
    if _shared is not None:
        _shared.close()


def _forget_shared() -> None:
    # A forked child shares the parent's pipes but not its workers: never use or close them.
    global _shared
    _shared = None


atexit.register(_close_shared)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_shared)
