"""The async pipeline: plan → generate (bounded, retried) → score → record, per sample.

One event loop per run (:func:`run` calls ``asyncio.run`` once). A fixed number of workers pull
samples from a shared iterator, so at most ``--concurrency`` requests are in flight. Each sample is
scored (in a worker thread) as soon as its completion arrives and appended to ``samples.jsonl`` at
once; nothing waits for the whole run. A sample whose request fails after its retries is recorded
as an error: it is never scored as a wrong answer, and it is left out of every metric.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.backends import PROVIDERS, Backend, BackendOptions
from evalkit.engine.cache import ResponseCache, cache_key, default_cache_dir
from evalkit.config import ModelSpec, RunConfig, TaskRef
from evalkit.engine.display import Display, QuietDisplay
from evalkit.errors import ConfigError, ErrorRateExceeded, ResultsError, TransientBackendError
from evalkit.engine.limiter import AdaptiveLimiter
from evalkit.task.plan import TaskPlan, plan_task
from evalkit.engine.ranking import method as ranking_method
from evalkit.engine.ranking import rank_options
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
    write_samples_sorted,
)
from evalkit.records.resume import (
    check_resumable,
    latest_matching,
    locate,
    order_remaining,
    resume_expectation,
    split_done,
)
from evalkit.engine.retry import RetryPolicy, with_retries
from evalkit.scoring import SCORERS, Scorer
from evalkit.records.summary import finalize_record
from evalkit.task.spec import param_dict
from evalkit.types import Completion, Request, Sample, SampleResult


@dataclass(frozen=True, slots=True)
class RunContext:
    """What every sample of a task run shares."""

    backend: Backend
    scorer: Scorer
    policy: RetryPolicy
    rng: random.Random
    cache: ResponseCache | None
    limiter: AdaptiveLimiter
    mode: str = "generate"
    """``generate``, or ``loglikelihood:<letter|text>`` to rank options (see ranking.py)."""

    async def limited_call(self, sample: Sample, request: Request) -> Completion:
        """Make the call within the adaptive in-flight limit, telling it about rate limits."""
        async with self.limiter.slot() as generation:
            try:
                completion = await self.call(sample, request)
            except TransientBackendError as exc:
                if exc.rate_limited:
                    self.limiter.rate_limited(generation)
                raise
        self.limiter.succeeded()
        return completion

    def call(self, sample: Sample, request: Request) -> Awaitable[Completion]:
        """Start the model call that answers ``sample``."""
        if self.mode == "generate":
            return self.backend.generate(request)
        return rank_options(self.backend, self.mode.partition(":")[2], sample, request)


@dataclass(frozen=True, slots=True)
class TaskOutcome:
    """A finished task run: where it was written and its record."""

    run_dir: Path
    record: RunRecord


def make_backend(config: RunConfig) -> Backend:
    """Build the backend named by ``config.model``."""
    spec = ModelSpec.parse(config.model)
    factory = PROVIDERS.get(spec.provider)
    options = BackendOptions(
        base_url=config.base_url,
        api_key_env=config.api_key_env,
        timeout_s=config.timeout_s,
        model_args=dict(config.model_args),
    )
    return factory(spec.model, options)


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


def initial_record(run_id: str, plan: TaskPlan, backend: Backend, config: RunConfig) -> RunRecord:
    """Build the ``running`` record written before the first request."""
    spec = plan.task.definition.spec
    mode, ll_method = _mode(plan, backend)
    return RunRecord(
        run_id=run_id,
        status="running",
        created_at=utc_now(),
        task={
            "name": spec.name,
            "variant": plan.task.variant,
            "label": plan.task.label,
            "version": spec.version,
            "scorer": spec.scorer,
            "primary_metric": spec.primary_metric,
            "params": param_dict(plan.task.params),
            "group_by": list(spec.group_by),
            "mode": mode,
            "ll_method": ll_method,
        },
        dataset={
            "source": plan.data.source,
            "revision": plan.data.revision,
            "split": plan.split,
            "sha256": plan.data.sha256,
            "rows": len(plan.data.rows),
            "selected": len(plan.samples),
            "selection_sha256": plan.selection_sha256,
            "fewshot_source": plan.fewshot_source,
            "fewshot_ids": list(plan.fewshot_ids),
        },
        model={
            "spec": config.model,
            "name": config.model_name or config.model,
            **backend.identity.to_dict(),
        },
        generation=plan.requests[0].params.to_dict(),
        config=recorded_config(config),
        provenance=provenance(),
    )


async def process_sample(sample: Sample, request: Request, ctx: RunContext) -> SampleResult:
    """Generate (from the cache, or the backend with retries) and score one sample.

    A request that fails after its retries becomes a recorded error, never a wrong answer.
    """
    key = (
        cache_key(ctx.backend.identity, request, ctx.mode, sample.choices)
        if ctx.cache is not None
        else ""
    )
    cached = ctx.cache.get(key) if ctx.cache is not None else None
    if cached is not None:
        completion, attempts = cached, 0
    else:
        attempted = await with_retries(
            lambda: ctx.limited_call(sample, request), ctx.policy, ctx.rng
        )
        if attempted.value is None:
            error = f"{type(attempted.error).__name__}: {attempted.error}"
            return SampleResult(
                sample, request, None, None, error=error, attempts=attempted.attempts
            )
        completion, attempts = attempted.value, attempted.attempts
        if ctx.cache is not None:
            ctx.cache.put(key, completion)
    try:
        score = await asyncio.to_thread(ctx.scorer.score, sample, completion)
    except Exception as exc:  # a scorer crash on odd output must not lose the run
        error = f"scorer failed: {type(exc).__name__}: {exc}"
        return SampleResult(sample, request, completion, None, error=error, attempts=attempts)
    return SampleResult(sample, request, completion, score, attempts=attempts)


async def pipeline(
    items: Sequence[tuple[Sample, Request]],
    ctx: RunContext,
    concurrency: int,
    on_result: Callable[[SampleResult], None],
) -> list[SampleResult]:
    """Run every (sample, request) with at most ``concurrency`` requests in flight."""
    work = iter(items)
    results: list[SampleResult] = []

    async def worker() -> None:
        for sample, request in work:  # workers share one iterator: each item is taken once
            result = await process_sample(sample, request, ctx)
            results.append(result)
            on_result(result)

    limit = min(concurrency, ctx.backend.capabilities.max_concurrency or concurrency)
    tasks = [asyncio.ensure_future(worker()) for _ in range(min(limit, len(items)))]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        # One worker failed (e.g. the disk is full) or the run was interrupted: stop the others
        # before the backend closes, so no request is left in flight and no line half-written.
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return results


def _summary_line(record: RunRecord, run_dir: Path) -> str:
    primary = record.primary()
    name = record.task.get("primary_metric")
    shown = (
        f"{name} {primary['mean']:.4f} [{primary['ci_low']:.4f}, {primary['ci_high']:.4f}]"
        if primary and primary.get("mean") is not None
        else f"{name} n/a"
    )
    c = record.counts
    counts = f"n={c['scored']}  errors={c['errors']}  no-answer={c['no_answer']}"
    return f"{shown}  {counts}  truncated={c['truncated']}  → {run_dir}"


def open_run(
    plan: TaskPlan, backend: Backend, config: RunConfig, resume: str | None
) -> tuple[Path, RunRecord, list[dict[str, Any]]]:
    """Return the run folder, its record and the lines already in it (new or resumed run)."""
    expected = resume_expectation(plan, config, backend)
    run_dir: Path | None = None
    if resume == "latest":
        run_dir = latest_matching(config.output_dir, expected)
    elif resume is not None:
        run_dir = locate(config.output_dir, resume)
    if run_dir is not None:
        record = read_record(run_dir)
        check_resumable(record, expected)
        discard_temp_files(run_dir)
        return run_dir, record, read_samples(run_dir)
    run_dir = new_run_dir(config.output_dir, make_run_id(plan, config))
    record = initial_record(run_dir.name, plan, backend, config)
    try:
        write_record(run_dir, record)
    except ResultsError:
        run_dir.rmdir()  # leave no empty run folder behind (e.g. on a full disk)
        raise
    return run_dir, record, []


async def execute(
    plan: TaskPlan, ctx: RunContext, config: RunConfig, display: Display, resume: str | None
) -> TaskOutcome:
    """Run (or continue) one planned task and write its run folder."""
    run_dir, record, old_lines = open_run(plan, ctx.backend, config, resume)
    done, errored = split_done(old_lines)
    keys = [(r.sample_id, r.epoch) for r in plan.requests]
    todo = order_remaining(keys, done, errored)
    writer = SamplesWriter(run_dir / SAMPLES_FILE)
    display.start(plan.task.label, len(todo))
    started = time.monotonic()

    def on_result(result: SampleResult) -> None:
        writer.append(sample_line(result))
        display.advance(result.score.value if result.score else None, result.error is not None)

    try:
        items = [(plan.samples[i], plan.requests[i]) for i in todo]
        results = await pipeline(items, ctx, config.concurrency, on_result)
    finally:
        writer.close()
    merged = {(str(ln["id"]), int(ln["epoch"])): ln for ln in old_lines}
    merged.update({(r.sample.id, r.request.epoch): sample_line(r) for r in results})
    lines = list(merged.values())
    write_samples_sorted(run_dir, lines)
    wall = float(record.timings.get("wall_s", 0.0)) + time.monotonic() - started
    final = finalize_record(record, lines, wall)
    write_record(run_dir, final)
    display.finish(plan.task.label, _summary_line(final, run_dir))
    return TaskOutcome(run_dir, final)


def check_error_rates(outcomes: Sequence[TaskOutcome], max_rate: float) -> None:
    """Raise :class:`ErrorRateExceeded` when a task's failed share is above ``max_rate``."""
    for out in outcomes:
        c = out.record.counts
        if c["samples"] and c["errors"] / c["samples"] > max_rate:
            first = next((ln["error"] for ln in read_samples(out.run_dir) if ln["error"]), "")
            raise ErrorRateExceeded(
                f"{out.record.task['label']}: {c['errors']} of {c['samples']} samples failed "
                f"(allowed: {max_rate:.0%}); results written to {out.run_dir}; "
                f"first error: {first}"
            )


def _mode(plan: TaskPlan, backend: Backend) -> tuple[str, str | None]:
    """Return the scoring mode and, for option ranking, the backend's method."""
    mode = str(plan.task.params.get("mode", "generate"))
    if mode == "generate":
        return mode, None
    if mode != "loglikelihood":
        raise ConfigError(
            f"task '{plan.task.label}': invalid mode '{mode}' (generate or loglikelihood)"
        )
    target = str(plan.task.params.get("ll_target", "letter"))
    return f"loglikelihood:{target}", ranking_method(backend, plan.requests[0], target)


def _context(backend: Backend, plan: TaskPlan, config: RunConfig) -> RunContext:
    mode, _ = _mode(plan, backend)
    cache = None
    if config.cache and backend.capabilities.cacheable:
        cache = ResponseCache(config.cache_dir or default_cache_dir())
    return RunContext(
        backend=backend,
        scorer=SCORERS.get(plan.task.definition.spec.scorer)(plan.task.params),
        policy=RetryPolicy(max_attempts=config.max_attempts, max_total_s=config.max_retry_time_s),
        rng=random.Random(config.seed),
        cache=cache,
        limiter=AdaptiveLimiter(config.concurrency),
        mode=mode,
    )


async def run_async(
    config: RunConfig,
    backend: Backend | None = None,
    display: Display | None = None,
    resume: str | None = None,
) -> list[TaskOutcome]:
    """Plan every task (failing fast on bad input), then run them one after another."""
    if resume not in (None, "latest") and len(config.tasks) > 1:
        raise ConfigError(
            "--resume RUN resumes one task's run; use --resume latest for several tasks"
        )
    plans = [plan_task(TaskRef.parse(t), config) for t in config.tasks]
    backend = backend or make_backend(config)
    display = display or QuietDisplay()
    outcomes: list[TaskOutcome] = []
    try:
        for plan in plans:
            _mode(plan, backend)  # refuse an unsupported scoring mode before any request
        await backend.preflight()
        for plan in plans:
            ctx = _context(backend, plan, config)
            try:
                outcomes.append(await execute(plan, ctx, config, display, resume))
            finally:
                if ctx.cache is not None:
                    ctx.cache.close()
    finally:
        await backend.aclose()
        display.close()
    check_error_rates(outcomes, config.max_error_rate)
    return outcomes


def run(
    config: RunConfig,
    backend: Backend | None = None,
    display: Display | None = None,
    resume: str | None = None,
) -> list[TaskOutcome]:
    """Run an evaluation: the one synchronous entry point (calls ``asyncio.run`` once).

    Args:
        config: What to run.
        backend: A ready backend (tests); default: built from ``config.model``.
        display: Where progress goes; default: nowhere.
        resume: ``None`` for a new run, ``"latest"`` to continue the newest matching run of each
            task (or start one), or a run id / folder to continue.
    """
    return asyncio.run(run_async(config, backend, display, resume))
