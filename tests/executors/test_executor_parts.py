"""The executor parts that need no cluster: shards, budgets, options, the shard worker run in
process, the local executor's refusals, and the install hint when Ray is missing."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from executor_runs import (
    assert_same_results,
    make_sums_task,
    question_number,
    record,
    sums_answer,
    verdicts,
)

from evalkit.backends.mock import MockBackend
from evalkit.cli import main
from evalkit.config import RunConfig, TaskRef
from evalkit.engine.run import run
from evalkit.errors import ConfigError, UnknownNameError
from evalkit.executors import EXECUTORS
from evalkit.executors.options import RayOptions, parse_ray_options
from evalkit.executors.shards import (
    cut_shards,
    default_shard_size,
    shards_in_flight,
    split_budget,
)
from evalkit.executors.worker import ShardWorker, worker_plan
from evalkit.records.lines import sample_line
from evalkit.task.plan import plan_task
from evalkit.types import Request

# --- shards and budgets -------------------------------------------------------------------------


def test_shards_keep_each_task_in_order_and_never_mix_tasks() -> None:
    items = [(t, None, f"{t}{i}", None) for i in range(5) for t in ("a", "b")][:9]  # a0 b0 a1 ...
    shards = cut_shards(items, 2)  # type: ignore[arg-type]
    assert [(s.tag, [p[0] for p in s.pairs]) for s in shards] == [
        ("a", ["a0", "a1"]),
        ("b", ["b0", "b1"]),
        ("a", ["a2", "a3"]),
        ("b", ["b2", "b3"]),
        ("a", ["a4"]),  # the partial shards come last
    ]
    assert sum(len(s.pairs) for s in cut_shards(items, 4)) == len(items)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        cut_shards(items, 0)  # type: ignore[arg-type]


@pytest.mark.parametrize(("total", "workers"), [(32, 2), (32, 3), (5, 5), (7, 4), (1, 1)])
def test_budget_shares_add_up_and_differ_by_at_most_one(total: int, workers: int) -> None:
    shares = split_budget(total, workers)
    assert len(shares) == workers and sum(shares) == total
    assert max(shares) - min(shares) <= 1 and min(shares) >= 1


def test_a_budget_smaller_than_the_workers_is_refused() -> None:
    with pytest.raises(ValueError):
        split_budget(2, 3)


def test_default_shards_are_small_and_a_worker_holds_about_four_times_its_share() -> None:
    assert [default_shard_size(c) for c in (1, 4, 16, 15)] == [1, 2, 8, 8]
    for capacity in (1, 2, 16, 32):
        size = default_shard_size(capacity)
        held = shards_in_flight(capacity, size) * size
        assert 4 * capacity <= held < 4 * capacity + size
    assert shards_in_flight(4, 100) == 2  # big shards: still one ready while one runs


# --- options --------------------------------------------------------------------------------------


def test_ray_options_parse_and_default() -> None:
    assert parse_ray_options({}) == RayOptions()
    opts = parse_ray_options({"workers": "8", "num_gpus_per_worker": "0.5", "max_restarts": "0"})
    assert (opts.workers, opts.num_gpus_per_worker, opts.max_restarts) == (8, 0.5, 0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"worker": "2"}, "Did you mean 'workers'?"),
        ({"workers": "two"}, "-X workers='two' is not an integer"),
        ({"workers": "0"}, "must be at least 1"),
        ({"shard_size": "0"}, "must be at least 1"),
        ({"num_gpus_per_worker": "-1"}, "must be a number >= 0"),
        ({"num_cpus_per_worker": "nan"}, "must be a number >= 0"),
        ({"max_restarts": "-1"}, "must be at least 0"),
    ],
)
def test_bad_ray_options_are_one_line_errors(args: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("?", r"\?")):
        parse_ray_options(args)


def test_executors_are_registered_and_unknown_ones_suggest() -> None:
    assert {"local", "ray"} <= set(EXECUTORS.names())
    with pytest.raises(UnknownNameError, match="Did you mean 'ray'"):
        EXECUTORS.get("rey")


# --- the local executor and the command line ------------------------------------------------------


def _sums_config(tmp_path: Path, rows: int, **extra: object) -> RunConfig:
    tasks, data = make_sums_task(tmp_path, rows)
    fields: dict[str, object] = {
        "model": "mock/echo",
        "tasks": ("sums",),
        "data_dir": data,
        "tasks_dir": (tasks,),
        "output_dir": tmp_path / "runs",
        "cache": False,
        **extra,
    }
    return RunConfig(**fields)  # type: ignore[arg-type]


def test_local_runs_record_no_executor_keys(tmp_path: Path) -> None:
    outcome = run(_sums_config(tmp_path, 3))[0]
    config = record(outcome.run_dir)["config"]
    assert not {"executor", "executor_args", "ray_address"} & set(config)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"executor_args": {"workers": "2"}}, "the local executor takes no options"),
        ({"ray_address": "auto"}, "--ray-address needs --executor ray"),
    ],
)
def test_local_executor_refuses_ray_settings(
    tmp_path: Path, extra: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        run(_sums_config(tmp_path, 3, **extra))


def test_ray_missing_is_a_one_line_install_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # what Python does for a package not installed
    tasks, data = make_sums_task(tmp_path, 3)
    code = main(
        [
            "run", "--model", "mock/echo", "--tasks", "sums", "--tasks-dir", str(tasks),
            "--data-dir", str(data), "--output-dir", str(tmp_path / "runs"), "--executor", "ray",
        ]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip() == "evalkit: error: the ray executor needs Ray: pip install 'evalkit[ray]'"
    assert not (tmp_path / "runs").exists()  # refused before any run folder


# --- the shard worker, in process -----------------------------------------------------------------


def test_shard_worker_gives_the_local_results(tmp_path: Path) -> None:
    """Shards run by a worker (its own backend, engine and budget share) give the local lines."""
    config = _sums_config(tmp_path, 12, model="mock/fixed", model_args={"text": "The answer is 8."})
    local = run(config)[0]
    plan = plan_task(TaskRef.parse("sums"), config)
    worker = ShardWorker(config.model_copy(update={"concurrency": 2}), str(tmp_path))

    async def go() -> list[object]:
        info = await worker.start()
        assert info.identity.provider == "mock" and info.capabilities.loglikelihood == ()
        pairs = list(zip(plan.samples, plan.requests, strict=True))
        shards = [tuple(pairs[i : i + 5]) for i in range(0, len(pairs), 5)]
        results = [
            r for s in shards for r in await worker.run_shard("0:sums", worker_plan(plan), s)
        ]
        await worker.close()
        return results

    results = asyncio.run(go())
    assert sorted(r.sample.id for r in results) == sorted(s.id for s in plan.samples)  # type: ignore[attr-defined]
    by_id = {(ln["id"], ln["epoch"]): ln for ln in map(sample_line, results)}  # type: ignore[arg-type]
    expected = verdicts(local.run_dir)
    assert {
        k: {f: v for f, v in ln.items() if f != "latency_s"} for k, ln in by_id.items()
    } == expected
    assert sum(1 for v in expected.values() if v["score"] == 1.0) == 1  # only "What is 4 plus 4?"


def test_an_injected_backend_and_the_local_executor_agree(tmp_path: Path) -> None:
    """The seam: run_async hands the planned runs to the executor; results are today's."""
    config = _sums_config(tmp_path, 9)

    def answer(request: Request) -> str:
        return sums_answer(question_number(str(request.messages[-1].content)))  # type: ignore[index]

    first = run(config, backend=MockBackend(answer))[0]
    second = run(config.model_copy(update={"concurrency": 1}), backend=MockBackend(answer))[0]
    assert_same_results(first.run_dir, second.run_dir)
    assert 0 < first_score(first.run_dir) < 1


def first_score(run_dir: Path) -> float:
    return float(record(run_dir)["metrics"]["flexible"]["mean"])
