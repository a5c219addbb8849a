"""The life of a run folder: opened, written sample by sample, finalized.

A run folder is created (or reopened to resume) before the first request, written sample by
sample while the engine runs, and finalized with its metrics at the end.

The engine knows nothing of files: it hands finished samples to :class:`RunFolder`, which owns
the run id, the ``running`` record, the append-only ``samples.jsonl`` and the final record.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.backends import Backend
from evalkit.config import ModelSpec, RunConfig
from evalkit.errors import ErrorRateExceeded, ResultsError
from evalkit.records.io import (
    SAMPLES_FILE,
    RunRecord,
    SamplesWriter,
    discard_temp_files,
    new_run_dir,
    provenance,
    read_record,
    read_samples,
    recorded_config,
    sample_line,
    utc_now,
    write_record,
)
from evalkit.records.ordering import LineRef, outcomes, rewrite_sorted
from evalkit.records.resume import (
    check_resumable,
    latest_matching,
    locate,
    order_remaining,
    resume_expectation,
    split_done,
)
from evalkit.records.schema import ModelSection, TaskSection
from evalkit.task.plan import TaskPlan
from evalkit.task.spec import param_dict
from evalkit.types import SampleResult


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:60] or "x"


def make_run_id(plan: TaskPlan, config: RunConfig) -> str:
    """Return ``<UTC time>-<task>-<model>-<hash>``; the hash covers config and selection."""
    digest = hashlib.sha256(
        f"{config.model_dump_json()}|{plan.task.label}|{plan.selection_sha256}".encode()
    ).hexdigest()[:6]
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    model = ModelSpec.parse(config.model).model.rsplit("/", 1)[-1]
    return f"{stamp}-{_slug(plan.task.label)}-{_slug(model)}-{digest}"


def _task_section(plan: TaskPlan, ll_method: str | None) -> TaskSection:
    spec = plan.task.definition.spec
    section: TaskSection = {
        "name": spec.name,
        "variant": plan.task.variant,
        "label": plan.task.label,
        "version": spec.version,
        "scorer": spec.scorer,
        "primary_metric": plan.task.primary_metric or spec.primary_metric,
        "params": param_dict(plan.task.params),
        "group_by": list(spec.group_by),
        "mode": plan.task.typed.mode.key,
        "ll_method": ll_method,
    }
    if plan.task.solver != "generate":  # one-request runs keep the record they always had
        section["solver"] = plan.task.solver
    return section


def initial_record(
    run_id: str,
    plan: TaskPlan,
    backend: Backend,
    config: RunConfig,
    ll_method: str | None,
    judge: dict[str, Any] | None = None,
) -> RunRecord:
    """Build the ``running`` record written before the first request."""
    return RunRecord(
        run_id=run_id,
        status="running",
        created_at=utc_now(),
        task=_task_section(plan, ll_method),
        dataset={
            "source": plan.data.source,
            "revision": plan.data.revision,
            "split": plan.split,
            "sha256": plan.data.sha256,
            "rows": len(plan.data.rows),
            "selected": len(plan.samples),
            "selection_sha256": plan.selection_sha256,
            "prompts_sha256": plan.prompts_sha256,
            "fewshot_source": plan.fewshot_source,
            "fewshot_ids": list(plan.fewshot_ids),
        },
        model=_model_section(config, backend),
        generation=plan.requests[0].params.to_dict(),
        config=recorded_config(config),
        provenance=provenance(),
        judge=judge,
    )


def _model_section(config: RunConfig, backend: Backend) -> ModelSection:
    ident = backend.identity
    section: ModelSection = {
        "spec": config.model,
        "name": config.model_name or config.model,
        "provider": ident.provider,
        "model": ident.model,
        "base_url": ident.base_url,
    }
    if ident.extra:
        section["extra"] = dict(sorted(ident.extra.items()))
    return section


@dataclass(slots=True)
class RunFolder:
    """One task's run folder while the engine runs it."""

    path: Path
    record: RunRecord
    old_lines: list[dict[str, Any]]
    """An earlier session's lines (resuming): id, epoch and error of each."""
    writer: SamplesWriter | None = None
    started: float = 0.0
    written: list[LineRef] = field(default_factory=list)

    @classmethod
    def open(
        cls,
        plan: TaskPlan,
        backend: Backend,
        config: RunConfig,
        resume: str | None,
        new_record: Callable[[str], RunRecord],
    ) -> RunFolder:
        """Reopen the run to resume, or create a new folder with ``new_record(run_id)``."""
        run_dir: Path | None = None
        if resume is not None:  # hashing every prompt is left to runs that compare it
            expected = resume_expectation(plan, config, backend)
            if resume == "latest":
                run_dir = latest_matching(config.output_dir, expected)
            else:
                run_dir = locate(config.output_dir, resume)
        if run_dir is not None:
            record = read_record(run_dir)
            check_resumable(record, expected)
            discard_temp_files(run_dir)
            return cls(run_dir, record, outcomes(run_dir))  # not every line's text: 100,000s
        run_dir = new_run_dir(config.output_dir, make_run_id(plan, config))
        record = new_record(run_dir.name)
        try:
            write_record(run_dir, record)
        except ResultsError:
            run_dir.rmdir()  # leave no empty run folder behind (e.g. on a full disk)
            raise
        return cls(run_dir, record, [])

    def todo(self, plan: TaskPlan) -> list[int]:
        """Positions in the plan still to run: errored samples of a resumed run first."""
        done, errored = split_done(self.old_lines)
        keys = [(r.sample_id, r.epoch) for r in plan.requests]
        return order_remaining(keys, done, errored)

    def start(self) -> None:
        """Open ``samples.jsonl`` for appending."""
        self.writer = SamplesWriter(self.path / SAMPLES_FILE)
        self.started = time.monotonic()

    def append(self, result: SampleResult) -> None:
        """Record one finished sample at once (a crash loses nothing written)."""
        assert self.writer is not None, "start() first"
        offset = self.writer.size
        self.writer.append(sample_line(result))
        length = self.writer.size - offset
        sample = result.sample
        ref = LineRef(sample.index, result.request.epoch, sample.id, offset, length, own=True)
        self.written.append(ref)

    def close(self) -> None:
        """Close ``samples.jsonl`` (also after a failure)."""
        if self.writer is not None:
            self.writer.close()

    def finish(self) -> RunRecord:
        """Sort the sample lines, compute the metrics and write the final record.

        The lines stream from ``samples.jsonl`` (old lines of a resumed run and the new ones,
        the last of each sample winning) through the sorted rewrite into the summary; no step
        holds them all (:mod:`evalkit.records.ordering`).
        """
        from evalkit.records.summary import finalize_ordered  # numpy: not before the first request

        self.old_lines = []  # read back from the file with the new ones
        wall = float(self.record.timings.get("wall_s", 0.0)) + time.monotonic() - self.started
        final = finalize_ordered(self.record, rewrite_sorted(self.path, self.written), wall)
        self.written = []
        write_record(self.path, final)
        self.record = final
        return final


def check_error_rates(folders: Sequence[tuple[Path, RunRecord]], max_rate: float) -> None:
    """Raise :class:`ErrorRateExceeded` when a task's failed share is above ``max_rate``."""
    for run_dir, record in folders:
        c = record.counts
        if c["samples"] and c["errors"] / c["samples"] > max_rate:
            first = next((ln["error"] for ln in read_samples(run_dir) if ln["error"]), "")
            raise ErrorRateExceeded(
                f"{record.task['label']}: {c['errors']} of {c['samples']} samples failed "
                f"(allowed: {max_rate:.0%}); results written to {run_dir}; "
                f"first error: {first}"
            )
