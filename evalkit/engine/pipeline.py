"""The async pipeline: solve → score → record, per sample, at most ``concurrency`` at a time.

A fixed number of workers pull samples from one shared iterator. Each sample is solved (one
model call, or a tool loop), scored as soon as its final answer arrives and handed to the run
folder at once; nothing waits for the whole run. A sample whose model call fails after its
retries is recorded as an error: it is never scored as a wrong answer and is left out of every
metric. The same holds for a judge call that fails.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar, cast

from evalkit.engine.solvers import Solved, SolveEnv, Solver
from evalkit.errors import BackendError
from evalkit.scoring import ResourceScorer, Scorer, ScoringResources
from evalkit.types import Completion, Message, Request, Sample, SampleResult, Score

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Engine:
    """What every sample of a task run shares: how to solve it and how to score it."""

    solver: Solver
    scorer: Scorer | ResourceScorer
    env: SolveEnv
    resources: ScoringResources = ScoringResources()
    max_concurrency: int | None = None
    scorer_uses_resources: bool = field(init=False)
    """Whether the scorer is a resource scorer (judge, sandbox): decided once, not per sample."""

    def __post_init__(self) -> None:
        uses = isinstance(self.scorer, ResourceScorer)
        object.__setattr__(self, "scorer_uses_resources", uses)


def with_solver_stats(score: Score, solved: Solved) -> Score:
    """Add the solver's per-sample counts to the score; a turn-limit stop scores 0.

    A model that was still calling tools when its turns ran out gave no final answer: every
    metric of the task is 0 for it, whatever the scorer read from its last reply. A final
    answer after tool use also gets ``agrees_with_tool``: whether it is what the last tool
    output said (see :func:`~evalkit.engine.solvers.tool_loop.agrees`).
    """
    metrics: Mapping[str, float] = score.metrics
    value, reason = score.value, score.reason
    if solved.stop == "turn_limit":
        metrics = {k: 0.0 for k in metrics}
        value, reason = 0.0, "turn_limit"
    if not solved.stats:
        return replace(score, value=value, reason=reason, metrics=metrics)
    from evalkit.engine.solvers.tool_loop import agrees, last_tool_output  # tool runs only

    output = last_tool_output(solved.transcript)
    if output is not None and score.answer is not None and solved.stop == "answer":
        metrics = {**metrics, "agrees_with_tool": 1.0 if agrees(score.answer, output) else 0.0}
    weights = dict(score.weights)
    if "tool_error_rate" in solved.stats:
        weights["tool_error_rate"] = solved.stats["tool_calls"]
    return replace(
        score,
        value=value,
        reason=reason,
        metrics={**metrics, **solved.stats},
        weights=weights,
    )


async def score_answer(
    engine: Engine, sample: Sample, completion: Completion, transcript: tuple[Message, ...]
) -> Score:
    """Score a final answer: pure scorers off the event loop, resource scorers with resources."""
    if engine.scorer_uses_resources:
        scorer = cast(ResourceScorer, engine.scorer)
        return await scorer.ascore(sample, completion, transcript, engine.resources)
    return await asyncio.to_thread(cast(Scorer, engine.scorer).score, sample, completion)


async def process_sample(sample: Sample, request: Request, engine: Engine) -> SampleResult:
    """Solve and score one sample; failures become the sample's recorded error."""
    return await settle(sample, request, engine, await solve(sample, request, engine))


async def solve(sample: Sample, request: Request, engine: Engine) -> Solved:
    """Run the task's solver on one sample (its model calls, or its tool loop)."""
    return await engine.solver.solve(sample, request, engine.env)


async def settle(sample: Sample, request: Request, engine: Engine, solved: Solved) -> SampleResult:
    """Score a solved sample; a failed solve, judge or scorer becomes the sample's error."""
    request = solved.request or request  # the record shows the prompt as the model saw it
    if solved.completion is None:
        error = solved.error or "no completion"
        return SampleResult(sample, request, None, None, error, solved.attempts, solved.transcript)
    try:
        raw = await score_answer(engine, sample, solved.completion, solved.transcript)
        score = with_solver_stats(raw, solved)
    except BackendError as exc:  # a judge that failed after its retries: an error, not a 0
        error = f"{type(exc).__name__}: {exc}"
        return SampleResult(
            sample, request, solved.completion, None, error, solved.attempts, solved.transcript
        )
    except Exception as exc:  # a scorer crash on odd output must not lose the run
        error = f"scorer failed: {type(exc).__name__}: {exc}"
        return SampleResult(
            sample, request, solved.completion, None, error, solved.attempts, solved.transcript
        )
    return SampleResult(
        sample, request, solved.completion, score, None, solved.attempts, solved.transcript
    )


async def pipeline(
    items: Sequence[tuple[T, Engine, Sample, Request]],
    concurrency: int,
    on_result: Callable[[T, SampleResult], None],
) -> None:
    """Run every item with at most ``concurrency`` samples being solved at a time.

    Items of several tasks share the workers (and so the concurrency budget): each item carries
    its task's engine and a tag handed back with its result. A worker that has solved a sample
    whose scorer makes no calls of its own (not a resource scorer: no judge, no sandbox) hands
    its scoring and recording to a task of its own and takes its next sample at once, so the
    next request goes out before the last answer is scored; at most ``concurrency`` such
    samples are being scored at a time (a worker holding the next one waits for a place). A
    resource scorer's judge calls and sandbox jails stay within the worker's own place.
    """
    work = iter(items)
    caps = [e.max_concurrency for _, e, _, _ in items if e.max_concurrency]
    limit = min([concurrency, *caps])
    places = asyncio.Semaphore(limit)
    settling: set[asyncio.Task[None]] = set()
    failures: list[BaseException] = []

    async def record(
        tag: T, sample: Sample, request: Request, engine: Engine, solved: Solved
    ) -> None:
        try:
            on_result(tag, await settle(sample, request, engine, solved))
        finally:
            places.release()

    def settled(task: asyncio.Task[None]) -> None:
        settling.discard(task)
        error = None if task.cancelled() else task.exception()
        if error is not None:  # e.g. the disk is full: stop taking samples
            failures.append(error)
            for other in workers:
                other.cancel()

    async def worker() -> None:
        for tag, engine, sample, request in work:  # one shared iterator: each item taken once
            solved = await solve(sample, request, engine)
            if engine.scorer_uses_resources:  # its calls stay within this worker's place
                on_result(tag, await settle(sample, request, engine, solved))
                continue
            await places.acquire()
            task = asyncio.ensure_future(record(tag, sample, request, engine, solved))
            settling.add(task)
            task.add_done_callback(settled)

    workers = [asyncio.ensure_future(worker()) for _ in range(min(limit, len(items)))]
    try:
        await asyncio.gather(*workers)
        while settling:
            await asyncio.gather(*settling)
        if failures:  # one that ended (and left ``settling``) before it was awaited here
            raise failures[0]
    except BaseException as exc:
        # A worker failed, a sample could not be recorded (e.g. the disk is full) or the run
        # was interrupted: stop the workers before the backend closes, so no request is left
        # in flight and no line half-written. Samples already solved are still scored and
        # recorded after a worker's failure, as they were before its next request; after an
        # interruption or a failed recording they are dropped (a resumed run redoes them).
        stopping = isinstance(exc, asyncio.CancelledError) or bool(failures)
        rest = [*workers, *settling] if stopping else workers
        for task in rest:
            task.cancel()
        await asyncio.gather(*workers, *settling, return_exceptions=True)
        if failures and isinstance(exc, asyncio.CancelledError):
            raise failures[0] from None
        raise
