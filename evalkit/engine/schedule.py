"""Running the tasks of one invocation together: one worker pool, one concurrency budget.

Every task's remaining samples are interleaved (round robin) into one stream that the shared
workers pull from, so the slots freed by one task's tail serve the others and the invocation
ends within about one tail of its longest task. Each task keeps its own run folder: its samples
are appended as they finish, and its record is finalized the moment its last sample is in.
"""

from __future__ import annotations

import importlib
import itertools
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from evalkit.engine.display import Display
from evalkit.engine.pipeline import Engine, pipeline
from evalkit.records.io import RunRecord
from evalkit.records.lifecycle import RunFolder
from evalkit.reports.units import summary_line
from evalkit.task.plan import TaskPlan
from evalkit.types import Request, Sample, SampleResult


@dataclass(frozen=True, slots=True)
class TaskOutcome:
    """A finished task run: where it was written and its record."""

    run_dir: Path
    record: RunRecord


@dataclass(slots=True)
class TaskRun:
    """One task of the invocation while it runs."""

    plan: TaskPlan
    engine: Engine
    folder: RunFolder
    todo: list[int]
    outcome: TaskOutcome | None = None

    @property
    def label(self) -> str:
        """The task label."""
        return self.plan.task.label

    def items(self) -> list[tuple[TaskRun, Engine, Sample, Request]]:
        """This task's remaining samples as pipeline items."""
        plan = self.plan
        return [(self, self.engine, plan.samples[i], plan.requests[i]) for i in self.todo]


def interleave(runs: Sequence[TaskRun]) -> list[tuple[TaskRun, Engine, Sample, Request]]:
    """Round robin over the tasks' remaining samples (each task's own order kept)."""
    streams = [run.items() for run in runs]
    mixed = itertools.chain.from_iterable(itertools.zip_longest(*streams))
    return [item for item in mixed if item is not None]


def _finish(run: TaskRun, display: Display) -> None:
    run.folder.close()
    final = run.folder.finish()
    run.outcome = TaskOutcome(run.folder.path, final)
    display.finish(run.label, summary_line(final, run.folder.path))


Item = tuple[TaskRun, Engine, Sample, Request]
"""One remaining sample of a task, as the pipeline takes it."""
Execute = Callable[[list[Item], Callable[[TaskRun, SampleResult], None]], Awaitable[None]]
"""Runs items and reports each result as it lands (the Ray executor's shards)."""


def _load_summary() -> None:
    from evalkit.stats.metrics import aggregate  # numpy

    # numpy loads numpy.random and numpy.ma on first use: one tiny summary loads them here.
    aggregate([{"x": 1.0}, {"x": 0.0}], [{}, {}], n_boot=2)
    importlib.import_module("evalkit.records.summary")


def prefetch_summary() -> threading.Thread:
    """Load what finalizing a record needs (numpy) on a thread while the samples run.

    Started when the first result lands (every worker's request is out by then), so neither
    the first request nor the end of the run waits for those imports. It computes nothing
    that is kept.
    """
    thread = threading.Thread(target=_load_summary, daemon=True)
    thread.start()
    return thread


async def run_tasks(
    runs: Sequence[TaskRun], concurrency: int, display: Display, execute: Execute | None = None
) -> list[TaskOutcome]:
    """Run every task's remaining samples through one shared pool; finalize each as it ends.

    ``execute`` runs the interleaved samples instead of the local pool (the Ray executor); the
    run folders, the progress and the records are handled here either way.
    """
    for run in runs:
        display.start(run.label, len(run.todo))
        run.folder.start()
    left = {id(run): len(run.todo) for run in runs}
    prefetched: list[threading.Thread] = []

    def on_result(run: TaskRun, result: SampleResult) -> None:
        if not prefetched:
            prefetched.append(prefetch_summary())
        run.folder.append(result)
        error = result.error is not None
        display.advance(run.label, result.score.value if result.score else None, error)
        left[id(run)] -= 1
        if left[id(run)] == 0:
            _finish(run, display)

    try:
        for run in runs:
            if not run.todo:  # a resumed run with nothing left: its record is rewritten
                _finish(run, display)
        if execute is None:
            await pipeline(interleave(runs), concurrency, on_result)
        else:
            await execute(interleave(runs), on_result)
    finally:
        for run in runs:
            run.folder.close()
    return [run.outcome for run in runs if run.outcome is not None]
