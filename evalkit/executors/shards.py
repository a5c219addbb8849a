"""Shards: the Ray executor's unit of work, and how an invocation's budget is split for them.

A shard is one task's samples with their rendered requests (which carry the sample ids, the
generation parameters and the per-epoch seeds); the worker that runs it was built from the
run's model spec and config. Shards are cut from the same interleaved stream the local executor
runs (each task's own order kept), so every task advances from the start.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from evalkit.types import Request, Sample

T = TypeVar("T")
E = TypeVar("E")


@dataclass(frozen=True, slots=True)
class Shard(Generic[T]):
    """Samples of one task, run together on one worker.

    Attributes:
        tag: Which task they belong to (the driver's handle; never sent to a worker).
        pairs: ``(sample, request)`` in the task's order.
    """

    tag: T
    pairs: tuple[tuple[Sample, Request], ...]

    @property
    def sample_ids(self) -> tuple[str, ...]:
        """The ids of the shard's samples (an id repeats once per epoch)."""
        return tuple(sample.id for sample, _ in self.pairs)


def cut_shards(items: Sequence[tuple[T, E, Sample, Request]], size: int) -> list[Shard[T]]:
    """Group interleaved pipeline items into shards of at most ``size`` samples of one task.

    A shard is emitted as soon as it is full, so the shards of several tasks interleave as
    their samples do; the last, partial shard of each task comes at the end.

    >>> items = [("a", None, "a1", "r"), ("b", None, "b1", "r"), ("a", None, "a2", "r")]
    >>> [(s.tag, len(s.pairs)) for s in cut_shards(items, 2)]
    [('a', 2), ('b', 1)]
    """
    if size < 1:
        raise ValueError("shard size must be at least 1")
    open_: dict[int, tuple[T, list[tuple[Sample, Request]]]] = {}
    shards: list[Shard[T]] = []
    for tag, _, sample, request in items:
        _, pairs = open_.setdefault(id(tag), (tag, []))
        pairs.append((sample, request))
        if len(pairs) == size:
            shards.append(Shard(tag, tuple(pairs)))
            del open_[id(tag)]
    shards += [Shard(tag, tuple(pairs)) for tag, pairs in open_.values()]
    return shards


def split_budget(total: int, workers: int) -> list[int]:
    """Each worker's share of ``total`` requests in flight; the shares add up to ``total``.

    >>> split_budget(32, 3)
    [11, 11, 10]
    """
    if total < workers or workers < 1:
        raise ValueError("need at least one request in flight per worker")
    base, extra = divmod(total, workers)
    return [base + (1 if i < extra else 0) for i in range(workers)]


def default_shard_size(capacity: int) -> int:
    """Half of what a worker runs at once (at least one sample).

    Small shards keep a slow sample from holding much work back, and keep the shares even at
    the end of a run; each shard costs one round trip to the worker.

    >>> default_shard_size(16), default_shard_size(1)
    (8, 1)
    """
    return max(1, math.ceil(capacity / 2))


def shards_in_flight(capacity: int, size: int) -> int:
    """How many shards the driver keeps at a worker: about four times what it runs at once.

    A shard is returned when its slowest sample is done, so a worker needs more work at hand
    than it runs: on a shared machine, requests that stall for a second (a connection retried)
    would otherwise leave its slots idle until the stalled shard comes back. Two at least, so
    that a worker never waits for the driver between shards.

    >>> shards_in_flight(16, 8), shards_in_flight(1, 1), shards_in_flight(4, 64)
    (8, 4, 2)
    """
    return max(2, math.ceil(4 * capacity / size))
