"""The pipeline with mock backends: retries, recorded errors, concurrency, determinism."""

import asyncio
import json
from collections import Counter

import pytest

from evalkit.backends import BackendIdentity, Capabilities
from evalkit.backends.mock import MockBackend, echo
from evalkit.config import RunConfig
from evalkit.engine.run import run
from evalkit.errors import ErrorRateExceeded, FatalBackendError, TransientBackendError
from evalkit.records.io import read_record, read_samples
from evalkit.types import Completion, Request


def config(tmp_path, fixture_data, fixture_tasks, **kw):
    return RunConfig(
        model="mock/echo",
        tasks=("echo_exact",),
        data_dir=fixture_data,
        tasks_dir=(fixture_tasks,),
        output_dir=tmp_path / "runs",
        **kw,
    )


def test_transient_errors_are_retried_until_success(tmp_path, fixture_data, fixture_tasks):
    seen: Counter[str] = Counter()

    def flaky(request: Request) -> str:
        seen[request.sample_id] += 1
        if seen[request.sample_id] < 3:
            raise TransientBackendError("HTTP 503", retry_after=0.0)
        return echo(request)

    (out,) = run(config(tmp_path, fixture_data, fixture_tasks), backend=MockBackend(flaky))
    lines = read_samples(out.run_dir)
    assert len(lines) == 10 and all(ln["attempts"] == 3 for ln in lines)
    assert out.record.metrics["accuracy"]["mean"] == 1.0
    assert out.record.counts["errors"] == 0


def test_failed_samples_are_recorded_not_scored_and_exit_3(tmp_path, fixture_data, fixture_tasks):
    def half_broken(request: Request) -> str:
        if request.sample_index % 2:
            raise FatalBackendError("HTTP 400: bad request")
        return echo(request)

    with pytest.raises(ErrorRateExceeded, match="5 of 10 samples failed") as err:
        run(config(tmp_path, fixture_data, fixture_tasks), backend=MockBackend(half_broken))
    assert err.value.exit_code == 3
    (run_dir,) = (tmp_path / "runs").iterdir()
    record = read_record(run_dir)
    assert record.status == "complete"
    assert record.counts == {
        "samples": 10,
        "scored": 5,
        "errors": 5,
        "truncated": 0,
        "no_answer": 0,
    }
    # Errored samples are out of the denominator: the 5 answered ones are all right.
    assert record.metrics["accuracy"]["mean"] == 1.0 and record.metrics["accuracy"]["n"] == 5
    errored = [ln for ln in read_samples(run_dir) if ln["error"]]
    assert len(errored) == 5 and all(ln["score"] is None for ln in errored)


def test_error_rate_allowance(tmp_path, fixture_data, fixture_tasks):
    def one_broken(request: Request) -> str:
        if request.sample_index == 0:
            raise FatalBackendError("nope")
        return echo(request)

    (out,) = run(
        config(tmp_path, fixture_data, fixture_tasks, max_error_rate=0.1),
        backend=MockBackend(one_broken),
    )
    assert out.record.counts["errors"] == 1


def test_attempts_are_bounded(tmp_path, fixture_data, fixture_tasks):
    calls = Counter()

    def always_429(request: Request) -> str:
        calls[request.sample_id] += 1
        raise TransientBackendError("HTTP 429", retry_after=0.0)

    with pytest.raises(ErrorRateExceeded):
        run(
            config(tmp_path, fixture_data, fixture_tasks, max_attempts=4),
            backend=MockBackend(always_429),
        )
    assert set(calls.values()) == {4}


class SlowBackend:
    def __init__(self) -> None:
        self.in_flight = 0
        self.peak = 0

    @property
    def identity(self) -> BackendIdentity:
        return BackendIdentity("test", "slow")

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities()

    async def generate(self, request: Request) -> Completion:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        await asyncio.sleep(0.02)
        self.in_flight -= 1
        return Completion(echo(request))

    async def preflight(self) -> None:
        pass

    async def aclose(self) -> None:
        pass


@pytest.mark.parametrize("concurrency", [1, 3, 32])
def test_concurrency_is_bounded(tmp_path, fixture_data, fixture_tasks, concurrency):
    backend = SlowBackend()
    run(config(tmp_path, fixture_data, fixture_tasks, concurrency=concurrency), backend=backend)
    assert backend.peak == min(concurrency, 10)


def test_scorer_crash_is_a_recorded_error(tmp_path, fixture_data, fixture_tasks, monkeypatch):
    from evalkit.scoring import exact

    def boom(self, sample, completion):
        raise RuntimeError("bad")

    monkeypatch.setattr(exact.ExactScorer, "score", boom)
    with pytest.raises(ErrorRateExceeded):
        run(config(tmp_path, fixture_data, fixture_tasks), backend=MockBackend(echo))
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert all(
        ln["error"].startswith("scorer failed: RuntimeError") for ln in read_samples(run_dir)
    )


def test_same_outputs_give_byte_identical_metrics(tmp_path, fixture_data, fixture_tasks):
    def wrong_on_odd(request: Request) -> str:
        return echo(request) if request.sample_index % 3 else "nope"

    records = []
    for sub in ("a", "b"):
        (out,) = run(
            config(tmp_path / sub, fixture_data, fixture_tasks), backend=MockBackend(wrong_on_odd)
        )
        records.append(
            json.dumps([out.record.metrics, out.record.groups, out.record.counts], sort_keys=True)
        )
    assert records[0] == records[1]
    assert '"mean": 0.6' in records[0]


def test_samples_file_is_in_dataset_order(tmp_path, fixture_data, fixture_tasks):
    (out,) = run(config(tmp_path, fixture_data, fixture_tasks), backend=SlowBackend())
    assert [ln["index"] for ln in read_samples(out.run_dir)] == list(range(10))


def test_limit_and_seeded_sample(tmp_path, fixture_data, fixture_tasks):
    (a,) = run(
        config(tmp_path / "a", fixture_data, fixture_tasks, sample=4, seed=7),
        backend=MockBackend(echo),
    )
    (b,) = run(
        config(tmp_path / "b", fixture_data, fixture_tasks, sample=4, seed=7),
        backend=MockBackend(echo),
    )
    (c,) = run(
        config(tmp_path / "c", fixture_data, fixture_tasks, limit=3), backend=MockBackend(echo)
    )
    ids = lambda r: [ln["id"] for ln in read_samples(r.run_dir)]  # noqa: E731
    assert ids(a) == ids(b) and len(ids(a)) == 4
    assert ids(c) == ["k0", "k1", "k2"]
    assert a.record.dataset["selection_sha256"] != c.record.dataset["selection_sha256"]
