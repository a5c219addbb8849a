"""Sweeps: models × tasks × variants from one TOML file, and one leaderboard at the end.

``evalkit sweep sweep.toml [--executor ray]`` runs one model after another.

The file holds run-file keys (see :mod:`evalkit.runfile`) shared by every model, a ``[[models]]``
table per model (its own run-file keys: ``model`` at least; ``-M`` style tables merge key by
key), and two sweep keys::

    tasks = ["gsm8k", "mmlu:subjects=anatomy"]
    variants = { gsm8k = ["default", "cot_8shot"] }   # gsm8k and gsm8k:cot_8shot
    leaderboard = "leaderboard.md"                    # default: beside the sweep file
    limit = 50
    executor = "ray"

    [[models]]
    model = "llamacpp/smollm2-135m"
    model_args = { n_threads = "1" }

    [[models]]
    model = "openai/gpt-4o-mini"

Each model's tasks run as one invocation (one worker pool, or one set of Ray workers holding
that model), so its run folders are exactly those of ``evalkit run``. Paths are relative to the
sweep file. A model that fails does not stop the others; the sweep then ends with the first
failure's error (and exit code) after the leaderboard is written. The leaderboard covers every
run in the output folder (the newest run of each model and task wins), like
``evalkit leaderboard``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from evalkit.config import RunConfig, TaskRef
from evalkit.engine.display import Display
from evalkit.errors import ConfigError, EvalkitError
from evalkit.registry import suggest
from evalkit.runfile import FIELDS_WITH_PATHS

SWEEP_KEYS = ("models", "variants", "leaderboard")
DEFAULT_VARIANT = "default"
"""In ``variants``, the task without a variant."""


@dataclass(frozen=True, slots=True)
class Sweep:
    """A loaded sweep: one run config per model, and where the leaderboard goes."""

    configs: tuple[RunConfig, ...]
    leaderboard: Path

    @property
    def results_dir(self) -> Path:
        """The folder the leaderboard reads (the first model's output folder)."""
        return self.configs[0].output_dir


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"sweep {path}: cannot read: {exc}") from None
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise ConfigError(f"sweep {path}: not valid TOML: {exc}") from None


def _fields(table: Mapping[str, Any], where: str, base: Path) -> dict[str, Any]:
    """Check a table's keys against RunConfig and make its paths absolute."""
    known = set(RunConfig.model_fields)
    fields = dict(table)
    for key in fields:
        if key not in known:
            raise ConfigError(f"{where}: unknown key '{key}'.{suggest(key, sorted(known))}")
    for key in FIELDS_WITH_PATHS:
        value = fields.get(key)
        if isinstance(value, str):
            fields[key] = str((base / value).resolve())
        elif isinstance(value, list):
            fields[key] = [str((base / v).resolve()) for v in value]
    return fields


def expand_tasks(tasks: Sequence[str], variants: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    """Each task, or once per listed variant of it (``default``: the task as it is).

    >>> expand_tasks(["gsm8k", "ifeval"], {"gsm8k": ["default", "cot_8shot"]})
    ('gsm8k', 'gsm8k:cot_8shot', 'ifeval')
    """
    out: list[str] = []
    for ref in (TaskRef.parse(t) for t in tasks):
        names = variants.get(ref.name)
        if names is None:
            out.append(str(ref))
            continue
        if ref.variant is not None:
            raise ConfigError(f"task '{ref}' names a variant and has variants listed too")
        out += [str(replace(ref, variant=None if v == DEFAULT_VARIANT else v)) for v in names]
    return tuple(out)


def _merge(shared: Mapping[str, Any], own: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(shared)
    for key, value in own.items():
        if isinstance(value, dict):
            merged[key] = {**merged.get(key, {}), **value}
        else:
            merged[key] = value
    return merged


def _config(fields: dict[str, Any], where: str) -> RunConfig:
    try:
        return RunConfig(**fields)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = ".".join(str(p) for p in err["loc"]) or "config"
        raise ConfigError(f"{where}: invalid {name}: {err['msg']}") from None


def load_sweep(path: Path, overrides: Mapping[str, Any] | None = None) -> Sweep:
    """Read a sweep file; ``overrides`` (flags such as ``--executor``) apply to every model.

    Raises:
        ConfigError: the file is unreadable, has unknown keys or bad values, or no models.
    """
    raw = _read(path)
    base = path.resolve().parent
    models = raw.pop("models", None)
    variants = raw.pop("variants", {})
    board = raw.pop("leaderboard", "leaderboard.md")
    if not isinstance(models, list) or not models or not all(isinstance(m, dict) for m in models):
        raise ConfigError(f"sweep {path}: add one [[models]] table per model (model = ...)")
    if not isinstance(variants, dict) or not isinstance(board, str):
        raise ConfigError(f"sweep {path}: variants is a table of lists, leaderboard a path")
    shared = _fields(raw, f"sweep {path}", base)
    flags = {k: v for k, v in (overrides or {}).items() if v not in (None, {})}
    configs = []
    named: set[str] = set()
    for i, table in enumerate(models):
        where = f"sweep {path}: models[{i}]"
        fields = _merge(_merge(shared, _fields(table, where, base)), flags)
        if "model" not in fields or "tasks" not in fields:
            raise ConfigError(f"{where}: needs model = ... (and tasks, here or at the top)")
        named.update(TaskRef.parse(t).name for t in fields["tasks"])
        fields["tasks"] = expand_tasks(fields["tasks"], variants)
        configs.append(_config(fields, where))
    unknown = sorted(set(variants) - named)
    if unknown:
        raise ConfigError(f"sweep {path}: variants of '{unknown[0]}', which no model runs")
    return Sweep(tuple(configs), (base / board).resolve())


@contextmanager
def _cluster(sweep: Sweep) -> Iterator[None]:
    """One Ray connection for the whole sweep when a model runs on Ray (else nothing)."""
    ray_configs = [c for c in sweep.configs if c.executor == "ray"]
    if not ray_configs:
        yield
        return
    from evalkit.executors.ray import connected

    with connected(ray_configs[0].ray_address):
        yield


def run_sweep(
    sweep: Sweep,
    display: Callable[[], Display],
    resume: str | None = None,
    on_error: Callable[[RunConfig, EvalkitError], None] | None = None,
) -> list[Path]:
    """Run every model's tasks, then write the leaderboard; return the run folders.

    Raises:
        EvalkitError: the first model that failed, once the others ran and the leaderboard is
            written (its message names the model).
    """
    from evalkit.engine.run import run
    from evalkit.reports.leaderboard import write

    run_dirs: list[Path] = []
    failures: list[tuple[RunConfig, EvalkitError]] = []
    with _cluster(sweep):
        for config in sweep.configs:
            try:
                run_dirs += [o.run_dir for o in run(config, display=display(), resume=resume)]
            except EvalkitError as err:
                failures.append((config, err))
                if on_error is not None:
                    on_error(config, err)
    if run_dirs:
        write(sweep.results_dir, sweep.leaderboard)
    if failures:
        failed, first = failures[0]
        more = f" ({len(failures) - 1} more models failed)" if len(failures) > 1 else ""
        error = type(first)(f"{failed.model_name or failed.model}: {first}{more}")
        error.exit_code = first.exit_code
        raise error
    return run_dirs
