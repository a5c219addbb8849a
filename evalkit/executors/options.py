"""The Ray executor's ``-X key=value`` options, parsed once at the command-line edge.

>>> parse_ray_options({"workers": "2", "num_gpus_per_worker": "1"})
RayOptions(workers=2, num_cpus_per_worker=1.0, num_gpus_per_worker=1.0, shard_size=None, \
max_restarts=2)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from evalkit.errors import ConfigError
from evalkit.registry import suggest


@dataclass(frozen=True, slots=True)
class RayOptions:
    """How the Ray executor lays out its workers.

    Attributes:
        workers: Worker actors (each builds the model once); default: as many as the cluster's
            CPUs (or GPUs, with ``num_gpus_per_worker``) hold, at most ``--concurrency``.
        num_cpus_per_worker: CPUs Ray reserves for each worker.
        num_gpus_per_worker: GPUs Ray reserves for each worker (local models on GPUs).
        shard_size: Samples per shard; default: half what one worker runs at a time.
        max_restarts: Times Ray restarts a worker that died; its unfinished shards run again on
            the new one. A worker that dies more often fails the run (finished samples stay in
            the run folder for ``--resume latest``).
    """

    workers: int | None = None
    num_cpus_per_worker: float = 1.0
    num_gpus_per_worker: float = 0.0
    shard_size: int | None = None
    max_restarts: int = 2


def _count(key: str, raw: str, least: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"-X {key}={raw!r} is not an integer") from None
    if value < least:
        raise ConfigError(f"-X {key}={raw!r} must be at least {least}")
    return value


def _amount(key: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"-X {key}={raw!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"-X {key}={raw!r} must be a number >= 0")
    return value


_PARSERS: dict[str, Callable[[str, str], Any]] = {
    "workers": lambda k, v: _count(k, v, 1),
    "num_cpus_per_worker": _amount,
    "num_gpus_per_worker": _amount,
    "shard_size": lambda k, v: _count(k, v, 1),
    "max_restarts": lambda k, v: _count(k, v, 0),
}
"""Each option's parser: ``(key, raw text) -> value`` (one key per RayOptions field)."""


def parse_ray_options(args: Mapping[str, str]) -> RayOptions:
    """Read ``-X`` options into :class:`RayOptions`.

    Raises:
        ConfigError: an unknown key (with "did you mean") or a bad value, in one line.
    """
    values: dict[str, Any] = {}
    for key, raw in args.items():
        parse = _PARSERS.get(key)
        if parse is None:
            known = sorted(_PARSERS)
            raise ConfigError(
                f"unknown ray executor option -X {key}.{suggest(key, known)}"
                f" Available: {', '.join(known)}."
            )
        values[key] = parse(key, raw.strip())
    return RayOptions(**values)
