"""Running an evaluation: plan every task, build what the engine needs, run, record.

:func:`run` is the one synchronous entry point (``asyncio.run`` exactly once). Everything that can
be refused is refused before the first request: unknown tasks, solvers, tools and judges, a
scoring mode or tool protocol the backend cannot serve, a sandbox that cannot be created.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalkit.backends import PROVIDERS, Backend, BackendOptions
from evalkit.config import ModelSpec, RunConfig, TaskRef
from evalkit.engine.cache import ResponseCache, default_cache_dir
from evalkit.engine.calls import CallResult, ModelCaller
from evalkit.engine.display import Display, QuietDisplay
from evalkit.engine.limiter import AdaptiveLimiter
from evalkit.engine.pipeline import Engine
from evalkit.engine.ranking import method as ranking_method
from evalkit.engine.retry import RetryPolicy
from evalkit.engine.schedule import TaskOutcome, TaskRun
from evalkit.engine.solvers import SOLVERS, SolveEnv
from evalkit.engine.tools import TOOLS, Tool
from evalkit.errors import BackendUnavailable, ConfigError
from evalkit.executors import EXECUTORS, Executor
from evalkit.records.io import recorded_judge
from evalkit.records.lifecycle import RunFolder, check_error_rates, initial_record
from evalkit.records.provenance import gather_provenance
from evalkit.scoring import SCORERS, ResourceScorer, Scorer, ScoringResources, judge_settings
from evalkit.task.plan import TaskPlan, plan_task
from evalkit.types import Request, Sample

if TYPE_CHECKING:
    from evalkit.scoring.judge.baseline import BaselineRun


def make_backend(spec: str, config: RunConfig, args: dict[str, str] | None = None) -> Backend:
    """Build the backend of a model spec (the evaluated model's, or the judge's with ``args``)."""
    parsed = ModelSpec.parse(spec)
    factory = PROVIDERS.get(parsed.provider)
    if args is None:
        options = BackendOptions(
            base_url=config.base_url,
            api_key_env=config.api_key_env,
            timeout_s=config.timeout_s,
            model_args=dict(config.model_args),
        )
    else:
        rest = {k: v for k, v in args.items() if k not in ("base_url", "api_key_env")}
        options = BackendOptions(
            base_url=args.get("base_url"),
            api_key_env=args.get("api_key_env", "OPENAI_API_KEY"),
            timeout_s=config.timeout_s,
            model_args=rest,
        )
    return factory(parsed.model, options)


@dataclass(slots=True)
class Shared:
    """What all tasks of one invocation share: backends, cache, limiter, sandbox."""

    config: RunConfig
    backend: Backend
    cache: ResponseCache | None
    limiter: AdaptiveLimiter
    judge: ModelCaller | None = None
    sandbox: Any = None

    def caller(self, plan: TaskPlan) -> ModelCaller:
        """The evaluated model's calls for one task."""
        return ModelCaller(
            self.backend,
            RetryPolicy(self.config.max_attempts, max_total_s=self.config.max_retry_time_s),
            random.Random(self.config.seed),
            self.limiter,
            self.cache if self.backend.capabilities.cacheable else None,
            plan.task.typed.mode,
        )


def open_shared(
    config: RunConfig, backend: Backend, cache_dir: Path | None
) -> tuple[Shared, list[Backend]]:
    """What a run's tasks share, built once (by the driver, or by each Ray worker).

    The judge's backend (``--judge``), the response cache in ``cache_dir`` when caching is on
    and a backend's answers can be cached, the adaptive limiter. Returns it with the backends
    to close when the run ends (the evaluated model's, then the judge's).
    """
    judge = make_backend(config.judge, config, dict(config.judge_args)) if config.judge else None
    backends = [b for b in (backend, judge) if b is not None]
    cache = None
    if config.cache and cache_dir is not None and any(b.capabilities.cacheable for b in backends):
        cache = ResponseCache(cache_dir)
    shared = Shared(config, backend, cache, AdaptiveLimiter(config.concurrency))
    shared.judge = judge_caller(config, judge, cache)
    return shared, backends


def task_baseline(config: RunConfig, plan: TaskPlan) -> BaselineRun:
    """The ``--baseline-run`` of a task whose scorer compares with one (pairwise judging).

    Raises:
        ConfigError: none was given, or it is not a readable run of the same task.
    """
    if config.baseline_run is None:
        raise ConfigError(
            f"task '{plan.task.label}' compares with a baseline run: pass --baseline-run RUN"
        )
    from evalkit.scoring.judge.baseline import load_baseline

    return load_baseline(config.baseline_run, plan.task.name)


def _tools(plan: TaskPlan) -> dict[str, Tool]:
    params = plan.task.typed.solver
    return {name: TOOLS.get(name)(params) for name in params.tools}


def _check_solver(plan: TaskPlan, backend: Backend, tools: dict[str, Tool]) -> None:
    SOLVERS.get(plan.task.solver)  # unknown solver: one line with "did you mean"
    if plan.task.solver != "tool_loop":
        return
    if not tools:
        raise ConfigError(f"task '{plan.task.label}': the tool loop needs tools (-T tools=...)")
    if plan.task.typed.solver.max_turns < 1:
        raise ConfigError(f"task '{plan.task.label}': max_turns must be at least 1")
    if not plan.requests[0].is_chat:
        raise ConfigError(f"task '{plan.task.label}': the tool loop needs chat prompts")
    if plan.task.typed.solver.protocol == "internlm" and "python" not in tools:
        raise ConfigError(
            f"task '{plan.task.label}': -T protocol=internlm calls only the python interpreter: "
            "add -T tools=python, or use -T protocol=fenced"
        )
    ident = backend.identity
    if plan.task.typed.solver.protocol == "native" and not backend.capabilities.tools:
        raise ConfigError(
            f"{ident.provider}/{ident.model} has no native tool calls: use -T protocol=fenced "
            "(tools called in fenced blocks) or a tools-capable backend"
        )


def _needs(plan: TaskPlan, scorer: Scorer | ResourceScorer, tools: dict[str, Tool]) -> set[str]:
    needs = set(scorer.needs) if isinstance(scorer, ResourceScorer) else set()
    if any(t.needs_sandbox for t in tools.values()):
        needs.add("sandbox")
    return needs


def build_engine(plan: TaskPlan, shared: Shared) -> tuple[Engine, str | None]:
    """Check and build one task's engine; return it with the option-ranking method.

    Raises:
        ConfigError, UnknownNameError, SandboxUnavailable: before any request.
    """
    tools = _tools(plan)
    _check_solver(plan, shared.backend, tools)
    mode = plan.task.typed.mode
    ll_method = (
        ranking_method(shared.backend, plan.requests[0], mode.target)
        if mode.kind == "rank"
        else None
    )
    scorer = SCORERS.get(plan.task.definition.spec.scorer)(plan.task.params)
    needs = _needs(plan, scorer, tools)
    if "judge" in needs and shared.judge is None:
        raise ConfigError(
            f"task '{plan.task.label}' is scored by a judge: pass --judge PROVIDER/MODEL"
        )
    if "sandbox" in needs and shared.sandbox is None:
        from evalkit.sandbox import Sandbox

        Sandbox.check_available()
        shared.sandbox = Sandbox(slots=max(shared.config.concurrency, os.cpu_count() or 1))
    baseline = task_baseline(shared.config, plan) if "baseline" in needs else None
    solver = SOLVERS.get(plan.task.solver)(plan.task.typed.solver)
    engine = Engine(
        solver=solver,
        scorer=scorer,
        env=SolveEnv(shared.caller(plan), tools, shared.sandbox),
        resources=ScoringResources(
            judge=shared.judge.complete if shared.judge else None,
            sandbox=shared.sandbox,
            baseline=baseline,
        ),
        max_concurrency=shared.backend.capabilities.max_concurrency,
    )
    return engine, ll_method


def open_task(
    plan: TaskPlan, engine: Engine, ll_method: str | None, shared: Shared, resume: str | None
) -> TaskRun:
    """Open (or reopen, to resume) one task's run folder and find what is left to run."""
    config = shared.config
    judge = judge_record(config, shared.judge.backend, engine) if shared.judge else None
    folder = RunFolder.open(
        plan,
        shared.backend,
        config,
        resume,
        lambda run_id: initial_record(run_id, plan, shared.backend, config, ll_method, judge),
    )
    return TaskRun(plan, engine, folder, folder.todo(plan))


def judge_record(config: RunConfig, backend: Backend, engine: Engine) -> dict[str, Any]:
    """The judge as run.json records it: model, the scorer's judge settings, the baseline run."""
    record = {**recorded_judge(config, backend), **judge_settings(engine.scorer)}
    if engine.resources.baseline is not None:
        record["baseline"] = engine.resources.baseline.describe()
    return record


def judge_caller(
    config: RunConfig, backend: Backend | None, cache: ResponseCache | None
) -> ModelCaller | None:
    """The judge's calls: its own backend and limit; the one response cache (keys name it)."""
    if backend is None:
        return None
    return ModelCaller(
        backend,
        RetryPolicy(config.max_attempts, max_total_s=config.max_retry_time_s),
        random.Random(config.seed),
        AdaptiveLimiter(config.concurrency),
        cache if backend.capabilities.cacheable else None,
    )


@asynccontextmanager
async def scoring_engine(
    plan: TaskPlan, config: RunConfig
) -> AsyncIterator[tuple[Engine, dict[str, Any] | None]]:
    """An engine that only scores (for rescore): the task's scorer and its resources.

    The judge (``config.judge``) is built only when the scorer needs one; its calls go through
    the response cache unless ``config.cache`` is off. Yields the engine and the judge's record.
    """
    scorer = SCORERS.get(plan.task.definition.spec.scorer)(plan.task.params)
    needs = _needs(plan, scorer, {})  # rescoring runs no tools
    judge = None
    if "judge" in needs:
        if config.judge is None:
            raise ConfigError(f"task '{plan.task.label}' is scored by a judge: pass --judge")
        judge = make_backend(config.judge, config, dict(config.judge_args))
    sandbox = None
    if "sandbox" in needs:
        from evalkit.sandbox import Sandbox

        Sandbox.check_available()
        sandbox = Sandbox(slots=os.cpu_count() or 1)
    baseline = task_baseline(config, plan) if "baseline" in needs else None
    cache = ResponseCache(config.cache_dir or default_cache_dir()) if config.cache else None
    try:
        caller = judge_caller(config, judge, cache)
        if judge is not None and cache is None:  # from the cache, a judge that is down is fine
            await _preflight_judge(judge)
        resources = ScoringResources(caller.complete if caller else None, sandbox, baseline)
        engine = Engine(
            solver=SOLVERS.get("generate")(plan.task.typed.solver),
            scorer=scorer,
            env=SolveEnv(_no_model),
            resources=resources,
        )
        yield engine, (judge_record(config, judge, engine) if judge is not None else None)
    finally:
        if judge is not None:
            await judge.aclose()
        if cache is not None:
            cache.close()


async def _no_model(sample: Sample, request: Request) -> CallResult:
    """Rescoring calls no evaluated model."""
    return CallResult(None, 0, "rescoring makes no model calls")


async def _preflight_judge(judge: Backend) -> None:
    """Check the judge answers; a judge that cannot be reached is a configuration mistake."""
    try:
        await judge.preflight()
    except BackendUnavailable as exc:
        hint = "check --judge and -J base_url="
        raise ConfigError(f"the judge cannot be reached ({hint}): {exc}") from None


async def run_async(
    config: RunConfig,
    backend: Backend | None = None,
    display: Display | None = None,
    resume: str | None = None,
) -> list[TaskOutcome]:
    """Plan every task (failing fast on bad input), then run them together on the executor."""
    if resume not in (None, "latest") and len(config.tasks) > 1:
        raise ConfigError(
            "--resume RUN resumes one task's run; use --resume latest for several tasks"
        )
    executor = EXECUTORS.get(config.executor)(config)  # a missing extra fails before planning
    gather_provenance()
    plans = [plan_task(TaskRef.parse(t), config) for t in config.tasks]
    try:
        backend = backend or await executor.backend()
        outcomes = await _run_planned(
            config, plans, executor, backend, display or QuietDisplay(), resume
        )
    finally:
        await executor.aclose()
    check_error_rates([(o.run_dir, o.record) for o in outcomes], config.max_error_rate)
    return outcomes


async def _run_planned(
    config: RunConfig,
    plans: list[TaskPlan],
    executor: Executor,
    backend: Backend,
    display: Display,
    resume: str | None,
) -> list[TaskOutcome]:
    """Build the engines, open the run folders and hand what is left to the executor."""
    shared, backends = open_shared(config, backend, config.cache_dir or default_cache_dir())
    cache = shared.cache
    try:
        engines = [build_engine(plan, shared) for plan in plans]
        await backend.preflight()
        if shared.judge is not None:
            await _preflight_judge(shared.judge.backend)
        runs = [
            open_task(plan, engine, ll_method, shared, resume)
            for plan, (engine, ll_method) in zip(plans, engines, strict=True)
        ]
        return await executor.run(runs, shared, display)
    finally:
        for b in backends:
            await b.aclose()
        if cache is not None:
            cache.close()
        display.close()


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
