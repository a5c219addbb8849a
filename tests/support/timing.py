"""Timing one ``evalkit.run`` for the bench scripts: wall seconds, and no errored sample."""

from __future__ import annotations

import time

from evalkit.config import RunConfig
from evalkit.engine.run import run


def timed_run(config: RunConfig) -> float:
    """Run ``config`` and return its wall time; every task must finish without errors."""
    start = time.perf_counter()
    outcomes = run(config)
    wall = time.perf_counter() - start
    errors = {o.record.task["label"]: o.record.counts["errors"] for o in outcomes}
    assert not any(errors.values()), errors
    return wall
