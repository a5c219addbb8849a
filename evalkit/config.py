"""Run configuration: model specs, task references, and every default evalkit uses.

Defaults live here and nowhere else. ``key=value`` strings from the command line are parsed into
dicts at the edge (:func:`parse_assignments`) and never passed deeper as strings.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from evalkit.errors import ConfigError

DEFAULT_CONCURRENCY = 32
DEFAULT_OUTPUT_DIR = Path("results/runs")
DATA_DIR_ENV = "EVALKIT_DATA_DIR"
CACHE_DIR_ENV = "EVALKIT_CACHE_DIR"


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """A parsed ``provider/model`` spec, e.g. ``openai/gpt-4o-mini`` or ``replay/run.jsonl``."""

    provider: str
    model: str

    @classmethod
    def parse(cls, spec: str) -> ModelSpec:
        """Split ``provider/model``; the model part may itself contain slashes.

        >>> ModelSpec.parse("hf/HuggingFaceTB/SmolLM2-135M")
        ModelSpec(provider='hf', model='HuggingFaceTB/SmolLM2-135M')
        """
        provider, sep, model = spec.partition("/")
        if not sep or not provider or not model:
            raise ConfigError(
                f"invalid model spec '{spec}': expected PROVIDER/MODEL, "
                "e.g. openai/gpt-4o-mini or openai-compatible/my-model"
            )
        return cls(provider, model)

    def __str__(self) -> str:
        return f"{self.provider}/{self.model}"


@dataclass(frozen=True, slots=True)
class TaskRef:
    """A task named on the command line: ``name[:variant][:key=value...]``.

    >>> TaskRef.parse("mmlu:zeroshot:subjects=anatomy,virology")
    TaskRef(name='mmlu', variant='zeroshot', params=(('subjects', 'anatomy,virology'),))
    """

    name: str
    variant: str | None = None
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, text: str) -> TaskRef:
        """Parse ``name``, ``name:variant`` and ``key=value`` parameter segments."""
        name, *segments = text.strip().split(":")
        variants = [s for s in segments if "=" not in s]
        params = tuple(
            (k.strip(), v) for k, _, v in (s.partition("=") for s in segments if "=" in s)
        )
        if (
            not name
            or len(variants) > 1
            or any(not v for v in variants)
            or any(not k for k, _ in params)
        ):
            raise ConfigError(f"invalid task '{text}': expected NAME[:VARIANT][:KEY=VALUE...]")
        return cls(name, variants[0] if variants else None, params)

    def __str__(self) -> str:
        return ":".join(
            [
                self.name,
                *([self.variant] if self.variant else []),
                *(f"{k}={v}" for k, v in self.params),
            ]
        )


def split_tasks(text: str) -> list[str]:
    """Split a ``--tasks`` list at commas; a comma inside a ``key=value`` value stays in it.

    A piece without ``:`` that follows a piece ending in a parameter continues that value, so
    ``mmlu:subjects=anatomy,virology,gsm8k`` is one task: name further tasks before it, or
    repeat ``--tasks``.

    >>> split_tasks("gsm8k,mmlu:subjects=anatomy,virology")
    ['gsm8k', 'mmlu:subjects=anatomy,virology']
    """
    tasks: list[str] = []
    for piece in (p.strip() for p in text.split(",")):
        if tasks and ":" not in piece and "=" in tasks[-1].rsplit(":", 1)[-1]:
            tasks[-1] += "," + piece
        elif piece:
            tasks.append(piece)
    return tasks


def param_text(value: Any) -> str:
    """A parameter value in the ``-T key=value`` text form it is parsed from.

    >>> param_text(True), param_text(["a", "b"]), param_text(8), param_text("x")
    ('true', 'a,b', '8', 'x')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def parse_assignments(items: list[str] | None, flag: str) -> dict[str, str]:
    """Parse repeated ``key=value`` flag values into a dict (later keys win).

    >>> parse_assignments(["n_shot=8", "format=text"], "-T")
    {'n_shot': '8', 'format': 'text'}
    """
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"invalid {flag} '{item}': expected KEY=VALUE")
        out[key.strip()] = value
    return out


def resolve_data_dir(flag: Path | None) -> Path | None:
    """Return the local data folder from ``--data-dir`` or ``$EVALKIT_DATA_DIR``, if any."""
    if flag is not None:
        path = flag
    elif os.environ.get(DATA_DIR_ENV):
        path = Path(os.environ[DATA_DIR_ENV])
    else:
        return None
    if not path.is_dir():
        raise ConfigError(f"data dir '{path}' does not exist or is not a folder")
    return path


class RunConfig(BaseModel):
    """Everything that determines a run. Recorded, resolved, in ``run.json``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str
    """Model spec ``provider/model``."""
    tasks: tuple[str, ...]
    """Task references, ``name`` or ``name:variant``."""
    model_name: str | None = None
    """Name shown in tables and the leaderboard (default: the model spec)."""
    base_url: str | None = None
    """Server URL for HTTP backends (credentials and query strings are never recorded)."""
    api_key_env: str = "OPENAI_API_KEY"
    """Environment variable holding the API key; the key itself is never stored."""
    model_args: dict[str, str] = Field(default_factory=dict)
    """Provider-specific ``-M key=value`` arguments."""
    task_args: dict[str, str] = Field(default_factory=dict)
    """Task parameter overrides ``-T key=value`` applied to every task."""
    limit: int | None = None
    """Evaluate only the first N samples."""
    sample: int | None = None
    """Evaluate a seeded random subset of N samples."""
    seed: int = 1234
    """Seed for subsets, few-shot selection and sampling."""
    concurrency: int = DEFAULT_CONCURRENCY
    """Largest number of requests in flight."""
    max_attempts: int = 12
    """Attempts per request before its sample is recorded as an error (see engine/retry.py)."""
    max_retry_time_s: float = 600.0
    """Total time one request may take, every attempt and wait between them included."""
    timeout_s: float = 120.0
    """Deadline of one attempt: connecting, sending, waiting and reading the whole reply."""
    max_error_rate: float = 0.0
    """Fraction of samples allowed to fail before the run exits 3."""
    max_tokens: int | None = None
    """Override the task's ``max_tokens``."""
    temperature: float | None = None
    """Override the task's temperature."""
    data_dir: Path | None = None
    """Local data folder laid out like ``shared/data`` (else the Hugging Face hub)."""
    tasks_dir: tuple[Path, ...] = ()
    """Extra folders searched for task definitions."""
    output_dir: Path = DEFAULT_OUTPUT_DIR
    """Where run folders are written."""
    cache: bool = True
    """Reuse and store completions in the response cache."""
    cache_dir: Path | None = None
    """Cache folder; default ``$EVALKIT_CACHE_DIR`` or ``~/.cache/evalkit``."""
    epochs: int = 1
    """Times each sample is asked (with a seed per epoch); metrics then include maj@N, pass@k
    and the mean and spread over epochs."""
    judge: str | None = None
    """Judge model spec ``provider/model`` for judge-scored tasks (``--judge``)."""
    judge_args: dict[str, str] = Field(default_factory=dict)
    """The judge's ``-J key=value`` arguments: ``base_url``, ``api_key_env``, and backend
    arguments as for ``-M``."""
    baseline_run: Path | None = None
    """The run folder pairwise-judged tasks compare with (``--baseline-run``)."""
    executor: str = "local"
    """Where samples run: ``local`` (this process, the default) or ``ray`` (shards on Ray
    workers; see docs/ray.md). Only the driver writes run folders, the same either way."""
    executor_args: dict[str, str] = Field(default_factory=dict)
    """The executor's ``-X key=value`` options (``ray``: ``workers``, ``num_gpus_per_worker``)."""
    ray_address: str | None = None
    """The Ray cluster to use (``auto``, ``HOST:PORT``, ``ray://HOST:PORT``); default: the one
    in ``$RAY_ADDRESS`` or started by ``ray start`` on this node, else a new local one."""

    @field_validator("epochs")
    @classmethod
    def _epochs(cls, v: int) -> int:
        if not 1 <= v <= 1000:
            raise ValueError("must be between 1 and 1000")
        return v

    @field_validator("concurrency")
    @classmethod
    def _positive_concurrency(cls, v: int) -> int:
        if v < 1:
            raise ValueError("must be at least 1")
        return v

    @field_validator("limit", "sample", "max_tokens")
    @classmethod
    def _positive_or_none(cls, v: int | None) -> int | None:
        if v is not None and v < 1:
            raise ValueError("must be at least 1")
        return v

    @field_validator("max_attempts")
    @classmethod
    def _attempts(cls, v: int) -> int:
        if v < 1:
            raise ValueError("must be at least 1")
        return v

    @field_validator("max_error_rate")
    @classmethod
    def _rate(cls, v: float) -> float:
        if not 0.0 <= v <= 1.0:
            raise ValueError("must be between 0 and 1")
        return v

    @field_validator("timeout_s", "max_retry_time_s")
    @classmethod
    def _positive_time(cls, v: float) -> float:
        if not math.isfinite(v) or v <= 0:
            raise ValueError("must be a positive number")
        return v

    @field_validator("seed")
    @classmethod
    def _seed(cls, v: int) -> int:
        if v < 0:
            raise ValueError("must be a non-negative integer")
        return v

    @field_validator("api_key_env")
    @classmethod
    def _env_name(cls, v: str) -> str:
        # A key pasted here by mistake would be recorded in run.json: never echo the value.
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", v):
            raise ValueError(
                "takes the NAME of an environment variable (e.g. OPENAI_API_KEY), not the key"
            )
        return v

    @field_validator("temperature")
    @classmethod
    def _temperature(cls, v: float | None) -> float | None:
        if v is not None and (not math.isfinite(v) or v < 0):
            raise ValueError("must be a number >= 0")
        return v
