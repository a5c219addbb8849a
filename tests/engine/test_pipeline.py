"""The worker pool itself: a solved sample is scored while its worker sends the next request.

The solver and scorers here are stand-ins whose steps the tests hold and release with events,
so what is asserted is which step waits for which, never how long anything takes (the only
timeout turns a hang into a failure).
"""

import asyncio
import contextlib
import threading

import pytest

from evalkit.engine.pipeline import Engine, pipeline
from evalkit.engine.solvers import Solved, SolveEnv
from evalkit.scoring import ScoringResources
from evalkit.types import Completion, GenerateParams, Message, Request, Sample, SampleResult, Score

GUARD_S = 60
"""How long a test waits for a state before failing (instead of hanging)."""


def items(n: int, engine: Engine) -> list[tuple[str, Engine, Sample, Request]]:
    out = []
    for i in range(n):
        sample = Sample(id=f"s{i}", index=i, data={}, target=str(i))
        request = Request(sample_id=sample.id, params=GenerateParams(), prompt=str(i))
        out.append((f"tag{i}", engine, sample, request))
    return out


class CountingSolver:
    """Answers every sample with its prompt and counts the solves; ``fail_on`` raises."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.solved: list[str] = []
        self.fail_on = fail_on

    async def solve(self, sample: Sample, request: Request, env: SolveEnv) -> Solved:
        self.solved.append(sample.id)
        await asyncio.sleep(0)  # a model call yields to the loop
        if sample.id == self.fail_on:
            raise RuntimeError(f"solver bug on {sample.id}")
        return Solved(Completion(text=request.prompt or ""))


class Gate:
    """Scorings held until :meth:`open`; counts how many wait at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.waiting = self.most_waiting = 0

    def enter(self) -> None:
        with self.lock:
            self.waiting += 1
            self.most_waiting = max(self.most_waiting, self.waiting)

    def leave(self) -> None:
        with self.lock:
            self.waiting -= 1


class PureScorer(Gate):
    """A plain scorer (the engine runs it on a thread) held at a threading event."""

    def __init__(self, opened: bool = False) -> None:
        super().__init__()
        self.gate = threading.Event()
        if opened:
            self.gate.set()

    def open(self) -> None:
        self.gate.set()

    def score(self, sample: Sample, completion: Completion) -> Score:
        self.enter()
        self.gate.wait(GUARD_S)
        self.leave()
        return Score(value=float(completion.text == sample.target), answer=completion.text)


class JudgeLikeScorer(Gate):
    """A resource scorer (it would call a judge) held at an asyncio event."""

    needs = frozenset({"judge"})

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()

    def open(self) -> None:
        self.gate.set()

    async def ascore(
        self,
        sample: Sample,
        completion: Completion,
        transcript: tuple[Message, ...],
        resources: ScoringResources,
    ) -> Score:
        self.enter()
        await self.gate.wait()
        self.leave()
        return Score(value=float(completion.text == sample.target), answer=completion.text)


async def no_call(sample: Sample, request: Request) -> object:
    raise AssertionError("the stand-in solver makes no model calls")


def engine_of(solver: CountingSolver, scorer: object) -> Engine:
    return Engine(solver=solver, scorer=scorer, env=SolveEnv(no_call))  # type: ignore[arg-type]


async def reach(state, what: str) -> None:
    """Wait until ``state()`` holds (scoring threads move on their own), or fail."""

    async def poll() -> None:
        while not state():
            await asyncio.sleep(0.001)

    try:
        await asyncio.wait_for(poll(), GUARD_S)
    except TimeoutError:
        pytest.fail(f"never reached: {what}")


async def drain() -> None:
    """Let every ready callback of the loop run (the stand-ins do no I/O)."""
    for _ in range(50):
        await asyncio.sleep(0)


def test_the_next_sample_is_solved_while_the_last_one_is_still_being_scored():
    async def main() -> list[tuple[str, SampleResult]]:
        solver, scorer = CountingSolver(), PureScorer()
        got: list[tuple[str, SampleResult]] = []
        run = asyncio.ensure_future(
            pipeline(items(3, engine_of(solver, scorer)), 1, lambda t, r: got.append((t, r)))
        )
        # One worker: with s0 held in scoring, s1 is solved (its request went out); a worker
        # that scored before moving on would never get there.
        await reach(lambda: len(solver.solved) == 2 and scorer.waiting == 1, "s1 solved")
        await drain()
        assert solver.solved == ["s0", "s1"] and got == []
        scorer.open()
        await run
        return got

    got = asyncio.run(main())
    assert [(tag, r.sample.id, r.score.value if r.score else None) for tag, r in got] == [
        ("tag0", "s0", 1.0),
        ("tag1", "s1", 1.0),
        ("tag2", "s2", 1.0),
    ]


@pytest.mark.parametrize("concurrency", [1, 3])
def test_at_most_concurrency_samples_are_scored_at_a_time(concurrency):
    async def main() -> tuple[list[str], int]:
        solver, scorer = CountingSolver(), PureScorer()
        got: list[SampleResult] = []
        engine = engine_of(solver, scorer)
        run = asyncio.ensure_future(pipeline(items(20, engine), concurrency, lambda t, r: got.append(r)))
        # Each worker has one sample in scoring and one more solved, waiting for a place.
        await reach(lambda: len(solver.solved) == 2 * concurrency and scorer.waiting == concurrency, "held")
        await drain()
        held = list(solver.solved)
        scorer.open()
        await run
        return held, len(got)

    held, recorded = asyncio.run(main())
    assert held == [f"s{i}" for i in range(2 * concurrency)]
    assert recorded == 20


def test_a_scorer_that_makes_calls_is_scored_within_its_workers_place():
    async def main() -> tuple[list[str], int, int]:
        solver, scorer = CountingSolver(), JudgeLikeScorer()
        got: list[SampleResult] = []
        run = asyncio.ensure_future(pipeline(items(10, engine_of(solver, scorer)), 2, lambda t, r: got.append(r)))
        await drain()
        held = list(solver.solved)  # judge calls + model calls stay within --concurrency
        scorer.open()
        await run
        return held, scorer.most_waiting, len(got)

    held, most_waiting, recorded = asyncio.run(main())
    assert held == ["s0", "s1"] and most_waiting == 2 and recorded == 10


def test_a_sample_that_cannot_be_recorded_stops_the_run_with_its_error():
    async def main() -> tuple[list[str], BaseException | None]:
        solver = CountingSolver()

        def on_result(tag: str, result: SampleResult) -> None:
            if result.sample.id == "s3":
                raise OSError(28, "No space left on device")

        try:
            await pipeline(items(200, engine_of(solver, PureScorer(opened=True))), 4, on_result)
        except OSError as exc:
            return solver.solved, exc
        return solver.solved, None

    solved, error = asyncio.run(main())
    assert isinstance(error, OSError) and error.errno == 28
    # The workers stopped taking samples: a few were in flight, not the other 190-odd.
    assert len(solved) <= 4 * 3 + 4


def test_the_last_sample_failing_to_be_recorded_fails_the_run():
    def on_result(tag: str, result: SampleResult) -> None:
        if result.sample.id == "s1":
            raise OSError(28, "No space left on device")

    engine = engine_of(CountingSolver(), PureScorer(opened=True))
    with pytest.raises(OSError, match="No space left"):
        asyncio.run(pipeline(items(2, engine), 2, on_result))


def test_a_solver_error_stops_the_run_with_that_error():
    engine = engine_of(CountingSolver(fail_on="s5"), PureScorer(opened=True))
    with pytest.raises(RuntimeError, match="solver bug on s5"):
        asyncio.run(pipeline(items(50, engine), 3, lambda t, r: None))


def test_an_interrupted_run_stops_its_workers_and_records_nothing_more():
    async def main() -> tuple[bool, list[str], list[str], int]:
        solver, scorer = CountingSolver(), PureScorer()
        got: list[str] = []
        run = asyncio.ensure_future(pipeline(items(30, engine_of(solver, scorer)), 2, lambda t, r: got.append(t)))
        await reach(lambda: scorer.waiting == 2, "two samples in scoring")
        run.cancel()  # what Ctrl-C does to the run
        with contextlib.suppress(asyncio.CancelledError):
            await run
        solved = list(solver.solved)
        scorer.open()  # the scoring threads end; their results go nowhere
        await drain()
        return run.cancelled(), solved, got, len(solver.solved)

    cancelled, solved_at_cancel, recorded, solved_after = asyncio.run(main())
    assert cancelled and recorded == []
    assert solved_after == len(solved_at_cancel) <= 4


def test_a_sample_solved_before_a_solver_error_is_still_recorded():
    got: list[str] = []
    scorer = PureScorer()

    class FailingSolver(CountingSolver):
        async def solve(self, sample: Sample, request: Request, env: SolveEnv) -> Solved:
            if sample.id == "s1":  # s0 is still being scored when this fails
                await reach(lambda: scorer.waiting == 1, "s0 in scoring")
                scorer.open()
                raise RuntimeError("solver bug on s1")
            return await super().solve(sample, request, env)

    engine = engine_of(FailingSolver(), scorer)
    with pytest.raises(RuntimeError, match="solver bug on s1"):
        asyncio.run(pipeline(items(5, engine), 1, lambda t, r: got.append(r.sample.id)))
    assert got == ["s0"]  # as when each sample was recorded before the next request
