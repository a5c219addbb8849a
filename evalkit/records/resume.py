"""Resuming an interrupted run: which run to continue, whether it may be, and what is left.

A run may be resumed only when everything that determines its numbers is unchanged: the model
and backend, generation settings, task version and parameters, the data fingerprint and the
sample selection, and the rendered prompts (``dataset.prompts_sha256``: a template edited
between a crash and its resume would mix two prompts in one run; records written before that
hash was kept resume as they always did). Settings that only change how the run executes
(concurrency, timeouts, retries, output folder) may differ. A refusal names the first
difference. A ``samples.jsonl`` holding lines of samples the run does not have (copied in from
another run, hand-edited) is refused too: they would be counted in the metrics.

Samples with a recorded completion are kept; samples that errored are retried first; samples
never started follow. A torn last line (a crash mid-write) is dropped by the reader.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalkit.errors import ResultsError, ResumeMismatchError
from evalkit.records.io import RUN_FILE, RunRecord, read_record, recorded_config
from evalkit.task.spec import param_dict

if TYPE_CHECKING:
    from evalkit.backends import Backend
    from evalkit.config import RunConfig
    from evalkit.task.plan import TaskPlan

# RunConfig fields that change the numbers; the others only change how a run executes.
COMPARED_CONFIG = (
    "model",
    "base_url",
    "model_args",
    "task_args",
    "limit",
    "sample",
    "seed",
    "max_tokens",
    "temperature",
    "epochs",
)
OPTIONAL = frozenset({"dataset.prompts_sha256", "config.epochs"})
HINTS = {
    "dataset.prompts_sha256": "the rendered prompts differ from the run's (a template, the "
    "few-shot examples or the data changed since it started); start a new run",
}
"""Keys older records lack: compared only when the record has them."""
SampleKey = tuple[str, int]


def differences(record: RunRecord, expected: Mapping[str, Any]) -> list[str]:
    """List what differs between a recorded run and the run about to start."""
    got = {
        **{f"config.{k}": record.config.get(k) for k in COMPARED_CONFIG},
        "task.label": record.task.get("label"),
        "task.version": record.task.get("version"),
        "task.params": record.task.get("params"),
        "dataset.sha256": record.dataset.get("sha256"),
        "dataset.selection_sha256": record.dataset.get("selection_sha256"),
        "dataset.prompts_sha256": record.dataset.get("prompts_sha256"),
        "model.backend": {k: v for k, v in record.model.items() if k not in ("spec", "name")},
        "generation": record.generation,
    }
    return [
        HINTS.get(key) or f"{key}: run has {got[key]!r}, now {expected[key]!r}"
        for key in sorted(expected, key=lambda k: (k in OPTIONAL, k))  # causes before effects
        if got.get(key) != expected[key] and not (key in OPTIONAL and got.get(key) is None)
    ]


def resume_expectation(plan: TaskPlan, config: RunConfig, backend: Backend) -> dict[str, Any]:
    """Everything a resumed run must share with the run it continues."""
    dumped = recorded_config(config)
    return {
        **{f"config.{k}": dumped[k] for k in COMPARED_CONFIG},
        "task.label": plan.task.label,
        "task.version": plan.task.definition.spec.version,
        "task.params": param_dict(plan.task.params),
        "dataset.sha256": plan.data.sha256,
        "dataset.selection_sha256": plan.selection_sha256,
        "dataset.prompts_sha256": plan.prompts_sha256,
        "model.backend": backend.identity.to_dict(),
        "generation": plan.requests[0].params.to_dict(),
    }


def check_resumable(record: RunRecord, expected: Mapping[str, Any]) -> None:
    """Raise :class:`ResumeMismatchError` naming the first difference, if any."""
    diffs = differences(record, expected)
    if diffs:
        more = f" (and {len(diffs) - 1} more)" if len(diffs) > 1 else ""
        raise ResumeMismatchError(f"cannot resume {record.run_id}: {diffs[0]}{more}")


def locate(output_dir: Path, resume: str) -> Path:
    """Return the run folder named by ``--resume`` (a run id or a path)."""
    for candidate in (Path(resume), output_dir / resume):
        if (candidate / RUN_FILE).is_file():
            return candidate
    raise ResultsError(f"no run '{resume}' to resume (looked in {output_dir})")


def latest_matching(output_dir: Path, expected: Mapping[str, Any]) -> Path | None:
    """Return the newest run folder in ``output_dir`` that this run could resume, if any."""
    if not output_dir.is_dir():
        return None
    for run_dir in sorted(
        (p for p in output_dir.iterdir() if (p / RUN_FILE).is_file()), reverse=True
    ):
        try:
            record = read_record(run_dir)
        except ResultsError:
            continue
        if not differences(record, expected):
            return run_dir
    return None


def split_done(
    lines: Iterable[Mapping[str, Any]],
) -> tuple[dict[SampleKey, Mapping[str, Any]], set[SampleKey]]:
    """Return the finished lines by (id, epoch), and the keys whose latest attempt errored."""
    done: dict[SampleKey, Mapping[str, Any]] = {}
    errored: set[SampleKey] = set()
    for line in lines:
        key = (str(line["id"]), int(line.get("epoch", 0)))
        if line.get("error") is None:
            done[key] = line
            errored.discard(key)
        elif key not in done:
            errored.add(key)
    return done, errored


def order_remaining(
    keys: Sequence[SampleKey], done: Mapping[SampleKey, Any], errored: set[SampleKey]
) -> list[int]:
    """Positions still to run: previously errored ones first, then the never-started ones.

    Raises:
        ResumeMismatchError: a recorded line belongs to no sample of this run.
    """
    foreign = (done.keys() | errored) - set(keys)
    if foreign:
        first = min(foreign)
        raise ResumeMismatchError(
            f"cannot resume: samples.jsonl holds {len(foreign)} line(s) of samples this run "
            f"does not have (e.g. id {first[0]!r}, epoch {first[1]}); they would be counted "
            "in its metrics. Remove them, or start a new run"
        )
    todo = [i for i, k in enumerate(keys) if k not in done]
    return sorted(todo, key=lambda i: (keys[i] not in errored, i))
