"""The worker pool: hard time bound on adversarial answers, thread safety, clean shutdown."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from evalkit.scoring.math import pool as math_pool
from evalkit.scoring.math.pool import WorkerStartError, shared_checker
from evalkit.scoring.math.scorer import MathChecker

# Refused structurally before sympy evaluates anything.
ADVERSARIAL = [
    "9^{9^{9^9}}",
    "(10^{100})!",
    "7" * 5000,
    "1e999999999",
    "__import__('os').system('touch /tmp/evalkit-pwned')",
    "().__class__.__bases__[0].__subclasses__()",
    r"\sqrt[10^{100}]{2}",
    "x^{10^{10}}",
    r"\binom{10^{9}}{5}",
    "(" * 5000 + "1" + ")" * 5000,
    r"\frac{" * 300 + "1" + "}{2}" * 300,
]
# Passes the guards but takes sympy tens of seconds: only the deadline stops it.
SLOW = r"\lfloor e^{\pi \cdot 10^{5}} \rfloor"


@pytest.fixture(scope="module")
def checker() -> Iterator[MathChecker]:
    with MathChecker(workers=2) as pool:
        pool.start()
        assert pool.check("1", "1", timeout_s=30)  # wait for both workers to be ready
        assert pool.check("1", "1", timeout_s=30)
        yield pool


@pytest.mark.parametrize("pred", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
def test_adversarial_is_not_equal_within_a_second(checker: MathChecker, pred: str) -> None:
    start = time.monotonic()
    assert checker.check("5", pred, timeout_s=1.0) is False
    assert time.monotonic() - start < 2.0
    assert not Path("/tmp/evalkit-pwned").exists()


def test_slow_comparison_is_killed_and_the_worker_replaced(checker: MathChecker) -> None:
    start = time.monotonic()
    assert checker.verdict("5", SLOW, timeout_s=1.0) == "timeout"
    assert time.monotonic() - start < 2.0
    # The pool still answers, with a fresh worker in place of the killed one.
    assert checker.verdicts([("1/2", "0.5")] * 4, timeout_s=30) == ["equal"] * 4


def test_concurrent_checks_from_threads(checker: MathChecker) -> None:
    pairs = [(r"\frac{1}{2}", "0.5", True), ("(1,2)", "(2,1)", False), ("1,2", "2,1", True)]
    errors: list[str] = []

    def work() -> None:
        for gold, pred, expected in pairs * 5:
            if checker.check(gold, pred, timeout_s=10) is not expected:
                errors.append(f"{gold} vs {pred}")

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_workers_cap_their_address_space(checker: MathChecker) -> None:
    for worker in checker._all:  # noqa: SLF001 - white-box: read the worker's limits
        limits = Path(f"/proc/{worker.process.pid}/limits").read_text()
        line = next(row for row in limits.splitlines() if row.startswith("Max address space"))
        assert str(2048 * 1024 * 1024) in line


def test_close_stops_every_worker() -> None:
    pool = MathChecker(workers=2)
    assert pool.check("2", "4/2", timeout_s=30)
    pids = [worker.process.pid for worker in pool._all]  # noqa: SLF001
    pool.close()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    with pytest.raises(RuntimeError):
        pool.check("1", "1")


def test_bad_timeout_is_refused(checker: MathChecker) -> None:
    with pytest.raises(ValueError):
        checker.check("1", "1", timeout_s=0)


def test_shared_checker_is_one_per_process() -> None:
    assert shared_checker() is shared_checker()


def test_a_worker_that_cannot_start_is_an_error_not_a_verdict(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A broken environment must not turn into a run scored 0% "not equal".
    monkeypatch.setattr(math_pool.sys, "executable", "/bin/false")
    with MathChecker(workers=1) as pool, pytest.raises(WorkerStartError):
        pool.check("1", "1")


def test_a_worker_killed_from_outside_does_not_decide_a_verdict() -> None:
    with MathChecker(workers=1) as pool:
        assert pool.check("1", "1", timeout_s=30)  # started and idle
        for worker in list(pool._all):
            worker.process.kill()
            worker.process.wait()
        assert pool.verdict("1/2", "0.5", timeout_s=30) == "equal"


def test_the_time_budget_is_the_workers_cpu_time() -> None:
    from evalkit.scoring.math.pool import cpu_seconds

    used = cpu_seconds(os.getpid())
    assert used is not None and used > 0
    assert cpu_seconds(2**22 + 12345) is None  # no such process


def test_a_worker_that_left_after_growing_is_replaced_without_deciding_anything(monkeypatch) -> None:
    with MathChecker(workers=2) as pool:
        assert pool.check("1", "1", timeout_s=30)
        for worker in list(pool._all):  # both idle workers are gone (as after a recycle)
            worker.process.kill()
            worker.process.wait()
        assert pool.verdict("x^2+2x", "x(x+2)", timeout_s=30) == "equal"
