"""Re-scoring a finished run with the current scorers, without calling any model.

The task is planned again from the run's recorded configuration so that every sample is rebuilt
exactly (target, options, metadata); a run whose data no longer matches its fingerprint is
refused. The stored completions are scored again and the run's metrics rewritten in place.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from pydantic import ValidationError

from evalkit.config import RunConfig, TaskRef, param_text
from evalkit.engine.pipeline import Engine, score_answer, with_solver_stats
from evalkit.engine.run import scoring_engine
from evalkit.engine.solvers import SOLVER_STATS, Solved
from evalkit.errors import BackendError, ResultsError
from evalkit.records.io import (
    RunRecord,
    read_record,
    read_samples,
    sample_line,
    utc_now,
    write_record,
    write_samples_sorted,
)
from evalkit.records.schema import SampleLine
from evalkit.records.summary import finalize_record
from evalkit.task.plan import plan_task
from evalkit.types import (
    FINISH_REASONS,
    Completion,
    FinishReason,
    Message,
    Request,
    Sample,
    SampleResult,
    ToolCall,
    Usage,
)


def _config(record: RunRecord, data_dir: Path | None) -> RunConfig:
    try:
        config = RunConfig.model_validate(record.config)
    except ValidationError as exc:
        raise ResultsError(
            f"run {record.run_id}: recorded config is invalid ({exc.error_count()} errors)"
        ) from None
    return config.model_copy(update={"data_dir": data_dir}) if data_dir is not None else config




def recorded_ref(record: RunRecord) -> TaskRef:
    """The task as it was run: its variant and every parameter it recorded.

    Inline ``mmlu:subjects=...`` and ``-T`` values are among them, so the same samples are
    planned again.
    """
    params = record.task.get("params") or {}
    return TaskRef(
        record.task["name"],
        record.task.get("variant"),
        tuple((k, param_text(v)) for k, v in sorted(params.items())),
    )


def _completion(line: SampleLine) -> Completion:
    """The recorded completion (only lines with one are rescored)."""
    usage = line.get("usage") or {}
    reason = line.get("finish_reason") or "unknown"
    logprobs = line.get("option_logprobs")
    return Completion(
        text=line.get("completion") or "",
        finish_reason=cast(FinishReason, reason if reason in FINISH_REASONS else "unknown"),
        usage=Usage(int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))),
        latency_s=float(line.get("latency_s") or 0.0),
        option_logprobs=tuple(logprobs) if logprobs else None,
        tool_calls=ToolCall.many_from_dicts(line.get("tool_calls")),
    )


def _solved(line: SampleLine) -> Solved:
    """The solver's side of a recorded sample: final reply, transcript, stop and counts."""
    metrics = line.get("metrics") or {}
    stats = {k: float(metrics[k]) for k in SOLVER_STATS if k in metrics}
    turn_limit = stats.get("turn_limit") == 1.0
    return Solved(
        _completion(line),
        tuple(Message.from_dict(m) for m in line.get("transcript") or ()),
        int(line.get("attempts", 1)),
        stop="turn_limit" if turn_limit else "answer",
        stats=stats,
    )


async def _rescored(
    line: SampleLine, sample: Sample, request: Request, engine: Engine
) -> SampleLine:
    solved = _solved(line)
    assert solved.completion is not None
    try:
        raw = await score_answer(engine, sample, solved.completion, solved.transcript)
        score, error = with_solver_stats(raw, solved), None
    except BackendError as exc:  # a judge that failed: the sample errs, it is not scored 0
        score, error = None, f"{type(exc).__name__}: {exc}"
    result = SampleResult(
        sample,
        replace(request, epoch=int(line.get("epoch", 0))),
        solved.completion,
        score,
        error,
        solved.attempts,
        solved.transcript,
    )
    # Latency and prompt are facts of the original run, not of the scoring.
    return {**sample_line(result), "latency_s": line.get("latency_s"), "prompt": line.get("prompt")}


def rescore(
    run_dir: Path, data_dir: Path | None = None, cache: bool = True, judge: str | None = None
) -> RunRecord:
    """Score the stored completions of ``run_dir`` again and rewrite its metrics.

    Judge-scored runs ask the recorded judge again (or ``judge``, to re-judge with another
    model); with ``cache`` its answers come from the response cache, so rescoring with the same
    judge calls no model.

    Raises:
        ResultsError: the run is unreadable or redacted, or its data changed since it was
            recorded.
    """
    return asyncio.run(_rescore(run_dir, data_dir, cache, judge))


async def _rescore(
    run_dir: Path, data_dir: Path | None, cache: bool, judge: str | None
) -> RunRecord:
    record = read_record(run_dir)
    if record.redacted:
        raise ResultsError(
            f"run {record.run_id} is a published copy without model outputs; rescore the original"
        )
    config = _config(record, data_dir)
    update: dict[str, Any] = {"cache": cache and config.cache}
    if judge is not None:
        update["judge"] = judge
    config = config.model_copy(update=update)
    plan = plan_task(recorded_ref(record), config)
    if plan.data.sha256 != record.dataset.get("sha256"):
        raise ResultsError(
            f"run {record.run_id}: the dataset changed since the run (sha256 differs); "
            "cannot rescore"
        )
    by_id = {s.id: (s, r) for s, r in zip(plan.samples, plan.requests, strict=True)}
    started = time.monotonic()
    async with scoring_engine(plan, config) as (engine, judge_record):
        lines = [
            await _rescored(line, *by_id[line["id"]], engine)
            if line.get("completion") is not None and line["id"] in by_id
            else line
            for line in read_samples(run_dir)
        ]
    write_samples_sorted(run_dir, lines)
    final = finalize_record(record, lines, float(record.timings.get("wall_s", 0.0)))
    final = final.model_copy(
        update={
            "timings": {**record.timings, "rescore_s": round(time.monotonic() - started, 3)},
            "finished_at": record.finished_at or utc_now(),
            "judge": judge_record or record.judge,
        }
    )
    write_record(run_dir, final)
    return final
