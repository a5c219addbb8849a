"""The shard worker: one model, loaded once, running shard after shard.

A worker is an ordinary class (the Ray executor wraps it in a Ray actor; tests run it in
process). It builds the evaluated model's backend, the judge, the response cache and its share
of the concurrency budget once, on its first call, and keeps them for every shard: a local
model is loaded once per worker, not once per shard. Each task's engine (solver, scorer,
tools) is built from the task's plan the first time a shard of that task arrives, with the same
:func:`~evalkit.engine.run.build_engine` the local executor uses, and every sample goes through
the same :func:`~evalkit.engine.pipeline.process_sample`; so a sample's result does not depend
on where it ran. Results go back to the driver, which alone writes run folders.
"""

from __future__ import annotations

import asyncio
import os
import socket
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from evalkit.backends import Backend, BackendIdentity, Capabilities
from evalkit.config import RunConfig
from evalkit.engine.cache import ResponseCache
from evalkit.engine.pipeline import Engine, process_sample
from evalkit.engine.run import Shared, build_engine, make_backend, open_shared
from evalkit.types import Request, Sample, SampleResult

if TYPE_CHECKING:
    from evalkit.task.plan import TaskPlan


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """What a started worker reports: its model, and where it runs."""

    identity: BackendIdentity
    capabilities: Capabilities
    judge: BackendIdentity | None
    pid: int
    host: str


def worker_plan(plan: TaskPlan) -> TaskPlan:
    """What a worker needs of a plan to build the task's engine: no rows, one request.

    The samples themselves travel in the shards; the task, its parameters and the first
    request (its format decides solver and ranking checks) are all the engine needs.
    """
    return replace(
        plan,
        samples=plan.samples[:1],
        requests=plan.requests[:1],
        data=replace(plan.data, rows=[]),
    )


@dataclass(slots=True)
class _Loaded:
    backends: list[Backend]
    cache: ResponseCache | None
    shared: Shared
    consumers: list[asyncio.Task[None]]


_Work = tuple[Engine, Sample, Request, "asyncio.Future[SampleResult]"]


class ShardWorker:
    """Runs shards of any task of one run with one model.

    Args:
        config: The run's config as the worker should use it: ``concurrency`` is this worker's
            share of the run's budget, paths are absolute.
        cwd: The driver's working folder; relative paths in model specs resolve against it
            when this node has it.
    """

    def __init__(self, config: RunConfig, cwd: str | None = None) -> None:
        self._config = config
        self._cwd = cwd
        self._loaded: _Loaded | None = None
        self._engines: dict[str, Engine] = {}
        self._lock = asyncio.Lock()
        self._queue: asyncio.Queue[_Work] = asyncio.Queue()

    async def start(self) -> WorkerInfo:
        """Build the backends (loading a local model once) and check they can answer."""
        loaded = await self._load()
        backend = loaded.shared.backend
        judge = loaded.shared.judge
        capabilities = backend.capabilities
        if not hasattr(backend, "loglikelihood"):  # the driver's stand-in always has the method
            capabilities = replace(capabilities, loglikelihood=())
        return WorkerInfo(
            identity=backend.identity,
            capabilities=capabilities,
            judge=judge.backend.identity if judge else None,
            pid=os.getpid(),
            host=socket.gethostname(),
        )

    async def _load(self) -> _Loaded:
        async with self._lock:
            if self._loaded is None:
                loaded = self._build()  # a worker serves nothing else while it loads
                for backend in loaded.backends:
                    await backend.preflight()
                cap = loaded.shared.backend.capabilities.max_concurrency
                count = min(self._config.concurrency, cap or self._config.concurrency)
                loaded.consumers = [asyncio.create_task(self._consume()) for _ in range(count)]
                self._loaded = loaded
            return self._loaded

    async def _consume(self) -> None:
        """One of the worker's fixed pool: samples of every shard, in the order they came."""
        while True:
            engine, sample, request, future = await self._queue.get()
            if future.done():  # its shard was given up
                continue
            try:
                result = await process_sample(sample, request, engine)
            except Exception as exc:  # a bug: its shard fails with it
                if not future.done():
                    future.set_exception(exc)
            else:
                if not future.done():  # not given up meanwhile
                    future.set_result(result)

    def _build(self) -> _Loaded:
        config = self._config
        if self._cwd and os.path.isdir(self._cwd):
            os.chdir(self._cwd)  # this process serves this worker only
        # The driver gives the cache folder (a worker has no default of its own).
        shared, backends = open_shared(config, make_backend(config.model, config), config.cache_dir)
        return _Loaded(backends, shared.cache, shared, [])

    async def run_shard(
        self, task: str, plan: TaskPlan, pairs: tuple[tuple[Sample, Request], ...]
    ) -> list[SampleResult]:
        """Solve and score one shard's samples; return their results (in the shard's order).

        The samples join the worker's one queue, served by a fixed pool of its share of the
        budget (as the local pipeline serves one stream): while one shard waits for its slowest
        sample, the pool is already busy with the next shards.

        Args:
            task: The task's key in this run (its engine is built once per worker).
            plan: The task's plan as :func:`worker_plan` leaves it.
            pairs: The shard's samples with their rendered requests.
        """
        loaded = await self._load()
        engine = self._engines.get(task)
        if engine is None:
            engine, _ = build_engine(plan, loaded.shared)
            engine = self._engines.setdefault(task, engine)
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[SampleResult]] = []
        for sample, request in pairs:
            futures.append(loop.create_future())
            self._queue.put_nowait((engine, sample, request, futures[-1]))
        try:
            return list(await asyncio.gather(*futures))
        finally:
            for future in futures:
                future.cancel()  # a failed or cancelled shard leaves nothing queued behind

    async def pid(self) -> int:
        """This worker's process id."""
        return os.getpid()

    async def close(self) -> None:
        """Release the backends (a local model's memory) and the cache."""
        loaded, self._loaded = self._loaded, None
        if loaded is None:
            return
        for consumer in loaded.consumers:
            consumer.cancel()
        await asyncio.gather(*loaded.consumers, return_exceptions=True)
        for backend in loaded.backends:
            await backend.aclose()
        if loaded.cache is not None:
            loaded.cache.close()
