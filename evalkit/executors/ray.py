"""The Ray executor: shards of samples on Ray workers, results recorded by the driver.

``evalkit run ... --executor ray [--ray-address ADDR] [-X workers=N -X num_gpus_per_worker=1]``.

- **Workers.** ``workers`` Ray actors (:class:`~evalkit.executors.worker.ShardWorker`), each
  reserving ``num_cpus_per_worker`` / ``num_gpus_per_worker``. Each builds the model's backend
  once, when it starts, and keeps it for every shard (one model load per worker). The driver
  never loads the model: it plans and records with a stand-in that reports the workers' model.
- **Budget.** ``--concurrency`` is split across the workers (:func:`split_budget`): each worker
  gets its share as its own adaptive limit, so the cluster never has more requests in flight
  than a local run would. A shared counter actor would also bound the total, but at the price
  of a round trip to one actor for every request and one more process whose death stops the
  run; since the driver keeps every worker fed with work (about four times its share), the
  shares stay in use until the last shards, and each worker still backs off on its own 429s.
- **Shards.** Each task's remaining samples are cut into shards (``shard_size``, default half
  what a worker runs at once) and handed to the least busy worker, whose one pool of its share
  serves the samples of all its shards in turn; the driver appends each
  shard's results to the task's ``samples.jsonl`` as it lands and finalizes each task's record
  as its last sample lands, exactly as the local executor does. Run folders are the driver's.
- **Failures.** A worker whose process dies is restarted by Ray (``max_restarts``, default 2)
  and its unfinished shards run again on it; their samples were never recorded, so nothing is
  doubled. Beyond that the run stops with one line (exit 3), and ``--resume latest`` runs only
  the samples missing from the run folders, as after a driver crash.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from evalkit.engine.cache import default_cache_dir
from evalkit.errors import BackendError, BackendUnavailable, ConfigError, EvalkitError
from evalkit.executors.options import RayOptions, parse_ray_options
from evalkit.executors.proxy import WorkersBackend
from evalkit.executors.shards import (
    Shard,
    cut_shards,
    default_shard_size,
    shards_in_flight,
    split_budget,
)
from evalkit.executors.worker import ShardWorker, WorkerInfo, worker_plan

if TYPE_CHECKING:
    from evalkit.backends import Backend
    from evalkit.config import RunConfig
    from evalkit.engine.display import Display
    from evalkit.engine.run import Shared
    from evalkit.engine.schedule import Item, TaskOutcome, TaskRun
    from evalkit.types import SampleResult

INSTALL_HINT = "the ray executor needs Ray: pip install 'evalkit[ray]'"
WORKER_NAME = "evalkit-worker"
"""Workers are named ``evalkit-worker-<run token>-<n>`` (``ray list actors`` shows them)."""


def import_ray() -> Any:
    """Import Ray (typed ``Any``: an optional dependency).

    Raises:
        ConfigError: Ray is not installed (the message says how to install it).
    """
    try:
        return importlib.import_module("ray")
    except ImportError:
        raise ConfigError(INSTALL_HINT) from None


def start_or_connect(ray: Any, address: str | None) -> None:
    """Connect this process to the cluster at ``address``, or start a local one (``None``).

    Raises:
        BackendUnavailable: the cluster cannot be reached or started.
    """
    extra = {} if address else {"include_dashboard": False}
    try:
        ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING, **extra)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"at {address}" if address else "on this machine"
        why = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise BackendUnavailable(f"cannot start or reach a Ray cluster {where}: {why}") from None


@contextmanager
def connected(address: str | None) -> Iterator[None]:
    """Keep one Ray connection for the block (a sweep): executors inside reuse it.

    Raises:
        ConfigError: Ray is not installed.
        BackendUnavailable: the cluster cannot be reached or started.
    """
    ray = import_ray()
    if ray.is_initialized():
        yield
        return
    start_or_connect(ray, address)
    try:
        yield
    finally:
        ray.shutdown()


class RayExecutor:
    """Runs shards on Ray workers; see the module docstring.

    Args:
        config: The run's config.
        options: The parsed ``-X`` options.
        ray: The imported ``ray`` module.
    """

    def __init__(self, config: RunConfig, options: RayOptions, ray: Any) -> None:
        self._config = config
        self._options = options
        self._ray = ray
        self._owns_connection = False
        self._idle = True
        self._token = uuid.uuid4().hex[:8]
        self.workers: list[Any] = []
        """The worker actors (handles), in start order."""
        self.infos: list[WorkerInfo] = []
        """What each worker reported when it started."""

    async def backend(self) -> Backend:
        """Connect, start the workers (each loads the model once) and describe their model.

        Raises:
            BackendUnavailable: the cluster cannot be reached.
            ConfigError: the cluster is too small for the workers asked for, or the workers
                disagree on the model (different files on different nodes).
        """
        self._connect()
        shares = split_budget(self._config.concurrency, self._worker_count())
        for share in shares:
            self.workers.append(self._spawn(share))
        self._idle = False  # a worker that fails to start is killed, not waited for
        self.infos = list(
            await asyncio.gather(
                *(self._get(w.start.remote(), i) for i, w in enumerate(self.workers))
            )
        )
        self._idle = True
        first = self.infos[0]
        for info in self.infos[1:]:
            if info.identity != first.identity:
                raise ConfigError(
                    f"ray workers disagree on the model: {first.identity.to_dict()} on "
                    f"{first.host}, {info.identity.to_dict()} on {info.host}"
                )
        return WorkersBackend(first.identity, first.capabilities)

    def _connect(self) -> None:
        if self._ray.is_initialized():  # a library caller, a sweep or a test connected already
            return
        start_or_connect(self._ray, self._config.ray_address)
        self._owns_connection = True

    def _worker_count(self) -> int:
        """``-X workers``, or as many as the cluster holds (at most ``--concurrency``).

        Raises:
            ConfigError: the cluster cannot hold them (their actors would wait forever), or
                there are more workers than requests in flight.
        """
        opts, concurrency = self._options, self._config.concurrency
        kind, each = ("GPU", opts.num_gpus_per_worker)
        if not each:
            kind, each = ("CPU", opts.num_cpus_per_worker)
        have = float(self._ray.cluster_resources().get(kind, 0.0))
        fits = int(have // each) if each else concurrency
        workers = opts.workers or max(1, min(fits, concurrency))
        if workers > fits:
            raise ConfigError(
                f"{workers} ray worker(s) need {workers * each:g} {kind}s; the Ray cluster has "
                f"{have:g} (fewer workers, or less per worker: -X num_{kind.lower()}s_per_worker)"
            )
        if workers > concurrency:
            raise ConfigError(
                f"-X workers={workers} needs --concurrency {workers} or more "
                "(each worker runs at least one request at a time)"
            )
        return workers

    def _spawn(self, share: int) -> Any:
        opts, config = self._options, self._config
        cache_dir = (config.cache_dir or default_cache_dir()).resolve()
        worker_config = config.model_copy(update={"concurrency": share, "cache_dir": cache_dir})
        actor = self._ray.remote(ShardWorker).options(
            name=f"{WORKER_NAME}-{self._token}-{len(self.workers)}",
            num_cpus=opts.num_cpus_per_worker,
            num_gpus=opts.num_gpus_per_worker,
            max_restarts=opts.max_restarts,
            max_task_retries=opts.max_restarts,
            **self._runtime_env(),
        )
        return actor.remote(worker_config, os.getcwd())

    def _runtime_env(self) -> dict[str, Any]:
        """Hand the API key variables the driver has to the workers (a cluster's nodes may not)."""
        config = self._config
        names = {config.api_key_env}
        if config.judge:
            names.add(config.judge_args.get("api_key_env", "OPENAI_API_KEY"))
        env = {name: os.environ[name] for name in sorted(names) if name in os.environ}
        return {"runtime_env": {"env_vars": env}} if env else {}

    async def run(
        self, runs: Sequence[TaskRun], shared: Shared, display: Display
    ) -> list[TaskOutcome]:
        """Run every task's remaining samples on the workers; the driver records each result."""
        from evalkit.engine.schedule import run_tasks

        return await run_tasks(runs, self._config.concurrency, display, self._execute)

    async def _execute(
        self, items: list[Item], on_result: Callable[[TaskRun, SampleResult], None]
    ) -> None:
        plans: dict[int, tuple[str, Any]] = {}
        for run, *_ in items:
            if id(run) not in plans:
                key = f"{len(plans)}:{run.label}"
                plans[id(run)] = (key, self._ray.put(worker_plan(run.plan)))
        size, capacity = self._shard_size()
        window = shards_in_flight(capacity, size)
        queue = deque(cut_shards(items, size))
        busy = [0] * len(self.workers)
        flying: dict[asyncio.Future[Any], tuple[int, Shard[TaskRun]]] = {}
        self._idle = False
        try:
            while queue or flying:
                while queue and min(busy) < window:
                    slot = busy.index(min(busy))
                    shard = queue.popleft()
                    key, plan = plans[id(shard.tag)]
                    ref = self.workers[slot].run_shard.remote(key, plan, shard.pairs)
                    flying[asyncio.ensure_future(self._get(ref, slot))] = (slot, shard)
                    busy[slot] += 1
                done, _ = await asyncio.wait(flying, return_when=asyncio.FIRST_COMPLETED)
                for future in done:
                    slot, shard = flying.pop(future)
                    busy[slot] -= 1
                    results: list[SampleResult] = future.result()
                    for result in results:
                        on_result(shard.tag, result)
            self._idle = True
        finally:
            for future in flying:
                future.cancel()

    def _shard_size(self) -> tuple[int, int]:
        """The shard size, and what one worker runs at once."""
        cap = self.infos[0].capabilities.max_concurrency if self.infos else None
        share = self._config.concurrency // max(1, len(self.workers))
        capacity = min(share, cap) if cap else share
        return self._options.shard_size or default_shard_size(capacity), capacity

    async def _get(self, ref: Any, slot: int) -> Any:
        """What worker ``slot`` returned, or its failure as one line."""
        exceptions = self._ray.exceptions
        try:
            return await asyncio.wrap_future(ref.future())
        except exceptions.RayTaskError as exc:  # raised inside the worker
            cause = getattr(exc, "cause", None)
            if isinstance(cause, EvalkitError):
                raise cause from None
            raise
        except exceptions.RayActorError:
            where = f" on {self.infos[slot].host}" if slot < len(self.infos) else ""
            raise BackendError(
                f"ray worker {slot}{where} died more than {self._options.max_restarts} times "
                "(-X max_restarts); finished samples are kept in the run folders: continue with "
                "--resume latest"
            ) from None

    async def aclose(self) -> None:
        """Stop the workers (closing their backends first when no shard is left), disconnect."""
        workers, self.workers = self.workers, []
        if workers and self._idle:  # after a failure they are killed at once
            closing = [self._get(w.close.remote(), i) for i, w in enumerate(workers)]
            await asyncio.gather(*closing, return_exceptions=True)
        for worker in workers:
            self._ray.kill(worker, no_restart=True)
        if self._owns_connection:
            self._ray.shutdown()
            self._owns_connection = False


def make_ray(config: RunConfig) -> RayExecutor:
    """The ``ray`` executor, its ``-X`` options checked before anything starts.

    Raises:
        ConfigError: Ray is not installed, or a ``-X`` option is unknown or invalid.
    """
    options = parse_ray_options(config.executor_args)
    return RayExecutor(config, options, import_ray())
