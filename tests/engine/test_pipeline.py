"""The worker pool itself: a solved sample is scored while its worker sends the next request.

The solver and scorer here are stand-ins whose steps the tests order with events, so what is
asserted is which step waits for which, never how long anything takes.
"""

import asyncio

import pytest

from evalkit.engine.pipeline import Engine, pipeline
from evalkit.engine.solvers import Solved, SolveEnv
from evalkit.scoring import ScoringResources
from evalkit.types import Completion, GenerateParams, Message, Request, Sample, SampleResult, Score


def items(n: int, engine: Engine) -> list[tuple[str, Engine, Sample, Request]]:
    out = []
    for i in range(n):
        sample = Sample(id=f"s{i}", index=i, data={}, target=str(i))
        request = Request(sample_id=sample.id, params=GenerateParams(), prompt=str(i))
        out.append((f"tag{i}", engine, sample, request))
    return out


class CountingSolver:
    """Answers every sample with its prompt; counts the solves and signals each one."""

    def __init__(self) -> None:
        self.solved: list[str] = []
        self.changed = asyncio.Event()

    async def solve(self, sample: Sample, request: Request, env: SolveEnv) -> Solved:
        self.solved.append(sample.id)
        self.changed.set()
        await asyncio.sleep(0)  # a model call yields to the loop
        return Solved(Completion(text=request.prompt or ""))


class GatedScorer:
    """A resource scorer that scores a sample only once ``gate`` lets it."""

    needs = frozenset[str]()

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.waiting = 0
        self.most_waiting = 0

    async def ascore(
        self,
        sample: Sample,
        completion: Completion,
        transcript: tuple[Message, ...],
        resources: ScoringResources,
    ) -> Score:
        self.waiting += 1
        self.most_waiting = max(self.most_waiting, self.waiting)
        await self.gate.wait()
        self.waiting -= 1
        return Score(value=float(completion.text == sample.target), answer=completion.text)


async def no_call(sample: Sample, request: Request) -> object:
    raise AssertionError("the stand-in solver makes no model calls")


def engine_of(solver: CountingSolver, scorer: GatedScorer) -> Engine:
    return Engine(solver=solver, scorer=scorer, env=SolveEnv(no_call))  # type: ignore[arg-type]


async def settle_loop() -> None:
    """Let every ready callback run (the stand-ins do no I/O, so a few rounds drain them)."""
    for _ in range(50):
        await asyncio.sleep(0)


def test_the_next_sample_is_solved_while_the_last_one_is_still_being_scored():
    async def main() -> list[tuple[str, SampleResult]]:
        solver, scorer = CountingSolver(), GatedScorer()
        got: list[tuple[str, SampleResult]] = []
        run = asyncio.ensure_future(
            pipeline(items(3, engine_of(solver, scorer)), 1, lambda t, r: got.append((t, r)))
        )
        # One worker: with sample s0 held in scoring, s1 is solved (its request is out). A
        # worker that scored before solving on would never get there: fail rather than hang.
        async def second_solve() -> None:
            while len(solver.solved) < 2:
                solver.changed.clear()
                await solver.changed.wait()

        await asyncio.wait_for(second_solve(), timeout=60)
        await settle_loop()
        assert solver.solved == ["s0", "s1"] and got == []
        assert scorer.most_waiting == 1  # one place to wait in: s1 waits for s0's place
        scorer.gate.set()
        await run
        return got

    got = asyncio.run(main())
    assert [(tag, r.sample.id, r.score.value if r.score else None) for tag, r in got] == [
        ("tag0", "s0", 1.0),
        ("tag1", "s1", 1.0),
        ("tag2", "s2", 1.0),
    ]


@pytest.mark.parametrize("concurrency", [1, 3])
def test_at_most_concurrency_samples_wait_to_be_scored(concurrency):
    async def main() -> tuple[int, int, int]:
        solver, scorer = CountingSolver(), GatedScorer()
        got: list[SampleResult] = []
        run = asyncio.ensure_future(
            pipeline(items(20, engine_of(solver, scorer)), concurrency, lambda t, r: got.append(r))
        )
        await settle_loop()
        held = (len(solver.solved), scorer.most_waiting)
        scorer.gate.set()
        await run
        return *held, len(got)

    solved_while_held, most_waiting, recorded = asyncio.run(main())
    # Each worker solved one sample that waits for scoring and one more that waits for a place.
    assert most_waiting == concurrency
    assert solved_while_held == 2 * concurrency
    assert recorded == 20


def test_a_sample_that_cannot_be_recorded_stops_the_run_with_its_error():
    async def main() -> tuple[list[str], BaseException | None]:
        solver, scorer = CountingSolver(), GatedScorer()
        scorer.gate.set()
        recorded: list[str] = []

        def on_result(tag: str, result: SampleResult) -> None:
            if result.sample.id == "s3":
                raise OSError(28, "No space left on device")
            recorded.append(result.sample.id)

        try:
            await pipeline(items(200, engine_of(solver, scorer)), 4, on_result)
        except OSError as exc:
            return solver.solved, exc
        return solver.solved, None

    solved, error = asyncio.run(main())
    assert isinstance(error, OSError) and error.errno == 28
    # The workers stopped taking samples: a few were in flight, not the other 190-odd.
    assert len(solved) <= 4 * 3 + 4
