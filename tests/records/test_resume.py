"""Resume: continue an interrupted run without repeating or losing samples; refuse mismatches."""

import json

import pytest

from evalkit.backends.mock import MockBackend, echo
from evalkit.config import RunConfig
from evalkit.engine.run import run
from evalkit.errors import ResumeMismatchError
from evalkit.records.io import RUN_FILE, SAMPLES_FILE, read_record, read_samples
from evalkit.types import Request


class Crash(Exception):
    pass


def config(tmp_path, fixture_data, fixture_tasks, **kw):
    return RunConfig(
        model="mock/echo",
        tasks=("echo_exact",),
        data_dir=fixture_data,
        tasks_dir=(fixture_tasks,),
        output_dir=tmp_path / "runs",
        concurrency=1,
        **kw,
    )


def crash_after(n):
    calls = []

    def responder(request: Request) -> str:
        if len(calls) >= n:
            raise Crash("process died")
        calls.append(request.sample_id)
        return echo(request)

    return responder


def test_resume_completes_without_repeats(tmp_path, fixture_data, fixture_tasks):
    cfg = config(tmp_path, fixture_data, fixture_tasks)
    with pytest.raises(Crash):
        run(cfg, backend=MockBackend(crash_after(4)))
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert read_record(run_dir).status == "running"
    # A crash in the middle of a write leaves a torn last line.
    with (run_dir / SAMPLES_FILE).open("a") as fh:
        fh.write('{"id": "k4", "index": 4, "epo')
    assert len(read_samples(run_dir)) == 4
    backend = MockBackend(echo)
    (out,) = run(cfg, backend=backend, resume=run_dir.name)
    assert out.run_dir == run_dir
    assert sorted(r.sample_id for r in backend.calls) == [f"k{i}" for i in range(4, 10)]
    lines = read_samples(run_dir)
    assert [ln["id"] for ln in lines] == [f"k{i}" for i in range(10)]
    assert out.record.status == "complete" and out.record.metrics["accuracy"]["mean"] == 1.0
    # The final metrics equal an uninterrupted run's, byte for byte.
    (clean,) = run(
        config(tmp_path / "clean", fixture_data, fixture_tasks), backend=MockBackend(echo)
    )
    assert json.dumps(clean.record.metrics) == json.dumps(out.record.metrics)


def test_errored_samples_are_retried_first_on_resume(tmp_path, fixture_data, fixture_tasks):
    from evalkit.errors import FatalBackendError

    def fail_k2(request: Request) -> str:
        if request.sample_id == "k2":
            raise FatalBackendError("down")
        return echo(request)

    cfg = config(tmp_path, fixture_data, fixture_tasks, max_error_rate=0.5)
    (first,) = run(cfg, backend=MockBackend(fail_k2))
    assert first.record.counts["errors"] == 1
    backend = MockBackend(echo)
    (out,) = run(cfg, backend=backend, resume="latest")
    assert out.run_dir == first.run_dir
    assert [r.sample_id for r in backend.calls] == ["k2"]
    assert out.record.counts["errors"] == 0 and len(read_samples(out.run_dir)) == 10


def test_resume_refuses_a_different_config(tmp_path, fixture_data, fixture_tasks):
    cfg = config(tmp_path, fixture_data, fixture_tasks)
    with pytest.raises(Crash):
        run(cfg, backend=MockBackend(crash_after(3)))
    (run_dir,) = (tmp_path / "runs").iterdir()
    before = (run_dir / SAMPLES_FILE).read_bytes(), (run_dir / RUN_FILE).read_bytes()
    changed = cfg.model_copy(update={"task_args": {"ignore_case": "false"}})
    with pytest.raises(
        ResumeMismatchError, match="task_args: run has {}, now {.ignore_case.: .false.}"
    ):
        run(changed, backend=MockBackend(echo), resume=run_dir.name)
    with pytest.raises(ResumeMismatchError, match="config.seed"):
        run(cfg.model_copy(update={"seed": 9}), backend=MockBackend(echo), resume=run_dir.name)
    assert ((run_dir / SAMPLES_FILE).read_bytes(), (run_dir / RUN_FILE).read_bytes()) == before


def test_resume_latest_starts_fresh_when_nothing_matches(tmp_path, fixture_data, fixture_tasks):
    (out,) = run(
        config(tmp_path, fixture_data, fixture_tasks), backend=MockBackend(echo), resume="latest"
    )
    assert out.record.counts["scored"] == 10
