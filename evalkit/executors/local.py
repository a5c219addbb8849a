"""The local executor: every sample in this process, through one shared worker pool.

This is evalkit's behaviour without ``--executor``: :func:`~evalkit.engine.schedule.run_tasks`
with ``--concurrency`` workers, the backend built here from the model spec.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from evalkit.errors import ConfigError

if TYPE_CHECKING:
    from evalkit.backends import Backend
    from evalkit.config import RunConfig
    from evalkit.engine.display import Display
    from evalkit.engine.run import Shared
    from evalkit.engine.schedule import TaskOutcome, TaskRun


class LocalExecutor:
    """Runs samples in this process (the default executor)."""

    def __init__(self, config: RunConfig) -> None:
        self._config = config

    async def backend(self) -> Backend:
        """Build the evaluated model's backend from ``config.model``."""
        from evalkit.engine.run import make_backend

        return make_backend(self._config.model, self._config)

    async def run(
        self, runs: Sequence[TaskRun], shared: Shared, display: Display
    ) -> list[TaskOutcome]:
        """All tasks through one pool of ``--concurrency`` workers."""
        from evalkit.engine.schedule import run_tasks

        return await run_tasks(runs, self._config.concurrency, display)

    async def aclose(self) -> None:
        """Nothing to release (the driver closes the backend)."""


def make_local(config: RunConfig) -> LocalExecutor:
    """The ``local`` executor; it takes no ``-X`` options and no Ray address.

    Raises:
        ConfigError: ``-X`` options or ``--ray-address`` were given without ``--executor ray``.
    """
    if config.executor_args:
        key = next(iter(config.executor_args))
        raise ConfigError(f"-X {key}=...: the local executor takes no options (--executor ray?)")
    if config.ray_address is not None:
        raise ConfigError("--ray-address needs --executor ray")
    return LocalExecutor(config)
