"""The typed shape of run records: the sections of ``run.json`` and the ``samples.jsonl`` line.

These are ``TypedDict`` s: at run time each is the plain ``dict`` that is read and written, so
the files on disk are byte-for-byte what they were; for the type checker every read by key is
checked against the names here. Sections keep keys they do not declare (records written by
other tools or later versions read back unchanged). Only what identifies a run's task is
required; every other key may be absent (older records, records written by other tools for
``compare`` and ``gate``).
"""

from __future__ import annotations

from typing import Any, NotRequired

from pydantic import ConfigDict, with_config
from typing_extensions import TypedDict

_KEEP = ConfigDict(extra="allow")


@with_config(_KEEP)
class TaskSection(TypedDict):
    """``run.json["task"]``: which task, variant, version and parameters were run."""

    name: str
    variant: NotRequired[str | None]
    label: str
    version: str
    scorer: NotRequired[str]
    primary_metric: str
    params: NotRequired[dict[str, Any]]
    group_by: NotRequired[list[str]]
    mode: NotRequired[str]
    """``generate`` or ``loglikelihood:<letter|text>`` (absent in records before option ranking)."""
    ll_method: NotRequired[str | None]
    solver: NotRequired[str]
    """Present for multi-turn solvers only (``tool_loop``)."""


@with_config(_KEEP)
class DatasetSection(TypedDict, total=False):
    """``run.json["dataset"]``: where the rows came from and which were evaluated."""

    source: str
    revision: str | None
    split: str
    sha256: str
    rows: int
    selected: int
    selection_sha256: str
    prompts_sha256: str
    """Hash of every rendered request (compared on resume; absent in older records)."""
    fewshot_source: str | None
    fewshot_ids: list[str]


@with_config(_KEEP)
class ModelSection(TypedDict, total=False):
    """``run.json["model"]``: the spec, the shown name and the backend identity."""

    spec: str
    name: str
    provider: str
    model: str
    base_url: str | None
    extra: dict[str, str]


@with_config(_KEEP)
class MetricSummary(TypedDict):
    """One metric over a run or group: mean, standard error, 95% CI, count, total weight."""

    mean: float | None
    stderr: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    total_weight: NotRequired[float | None]


@with_config(_KEEP)
class Counts(TypedDict, total=False):
    """``run.json["counts"]``."""

    samples: int
    scored: int
    errors: int
    truncated: int
    no_answer: int


class SampleLine(TypedDict):
    """One ``samples.jsonl`` line.

    Only ``id``, ``index``, ``epoch`` and ``error`` are required (lines written by other tools
    carry no more); text fields of published copies are hashes.
    """

    id: str
    index: int
    epoch: int
    error: str | None
    prompt: NotRequired[list[dict[str, Any]] | str | None]
    target: NotRequired[str | None]
    metadata: NotRequired[dict[str, Any]]
    completion: NotRequired[str | None]
    finish_reason: NotRequired[str | None]
    latency_s: NotRequired[float | None]
    usage: NotRequired[dict[str, int] | None]
    answer: NotRequired[str | None]
    score: NotRequired[float | None]
    metrics: NotRequired[dict[str, float] | None]
    weights: NotRequired[dict[str, float] | None]
    reason: NotRequired[str | None]
    details: NotRequired[dict[str, Any] | str | None]
    option_logprobs: NotRequired[list[float] | None]
    attempts: NotRequired[int]
    transcript: NotRequired[list[dict[str, Any]]]
    tool_calls: NotRequired[list[dict[str, Any]]]
    """The final reply's native tool calls, in the OpenAI wire form."""
