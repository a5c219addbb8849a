"""Executors: where the planned samples of an invocation run.

The driver (``evalkit run``) plans every task, opens each task's run folder and finds what is
left to run; an executor then runs those samples and hands each result back to the driver,
which appends it to ``samples.jsonl`` and finalizes the record. Run folders are written by the
driver only, so a run looks the same whichever executor ran it: resume, the response cache,
rescore, compare, gate and the leaderboard work unchanged.

- ``local`` (the default): one process, one worker pool for every task (engine/schedule.py).
- ``ray``: shards of samples on Ray workers, each holding its own copy of the model
  (``pip install 'evalkit[ray]'``; see docs/ray.md).

Third parties add executors under the ``evalkit.executors`` entry-point group: a factory
``(RunConfig) -> Executor``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from evalkit.registry import Registry

if TYPE_CHECKING:
    from evalkit.backends import Backend
    from evalkit.config import RunConfig
    from evalkit.engine.display import Display
    from evalkit.engine.run import Shared
    from evalkit.engine.schedule import TaskOutcome, TaskRun


class Executor(Protocol):
    """Runs the remaining samples of an invocation's tasks; the driver records them."""

    async def backend(self) -> Backend:
        """The backend the driver plans with (checks, ranking method, run.json identity).

        The local executor builds the model here; the Ray executor starts its workers (each
        builds the model once) and returns a stand-in that describes their model.
        """
        ...

    async def run(
        self, runs: Sequence[TaskRun], shared: Shared, display: Display
    ) -> list[TaskOutcome]:
        """Run every task's ``todo``; each result goes to its task's run folder as it lands."""
        ...

    async def aclose(self) -> None:
        """Release workers and connections (also after a failure)."""
        ...


ExecutorFactory = Callable[["RunConfig"], Executor]
"""Builds an executor from the run's config; refuses bad options before anything starts."""

EXECUTORS: Registry[ExecutorFactory] = Registry(
    "executor",
    {
        "local": "evalkit.executors.local:make_local",
        "ray": "evalkit.executors.ray:make_ray",
    },
    group="evalkit.executors",
)
"""Executors by name (``--executor``)."""

__all__ = ["EXECUTORS", "Executor", "ExecutorFactory"]
