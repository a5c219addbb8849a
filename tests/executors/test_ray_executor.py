"""The Ray executor on a real local Ray cluster (2 CPUs, started once for this module).

Every run here is compared with the same run on the local executor: the per-sample lines
(latency aside), the metrics and the counts must be identical. Failures are real: a worker's
process is SIGKILLed while it holds requests, and so is the ``evalkit run`` driver process.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from executor_runs import (
    FIXTURES,
    REPO,
    assert_same_results,
    lines_of,
    make_sums_task,
    question_number,
    record,
    sums_answer,
    verdicts,
)
from support.scripted_server import first_user, reply, scripted_server
from support.smollm2 import require_smollm2

from evalkit.cli import main
from evalkit.config import RunConfig
from evalkit.engine.rescore import rescore
from evalkit.engine.run import run
from evalkit.errors import BackendError, ConfigError
from evalkit.executors.ray import WORKER_NAME

ray = pytest.importorskip(
    "ray", reason="Ray is not installed: pip install 'evalkit[ray]' (python3 scripts/dev.py test)"
)

ROWS = 24
HOLD_FROM = 12  # questions 12.. wait at the server until released
SLOTS = 4  # two workers, two requests in flight each (--concurrency 4)
RAY_ARGS = {"workers": "2", "shard_size": "3"}


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A local Ray cluster for this module; yields its address for other drivers."""
    temp = tempfile.mkdtemp(prefix="evalkit-ray-")
    saved = os.environ.get("RAY_AUTH_MODE")
    context = ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        logging_level=logging.WARNING,
        _temp_dir=temp,
    )
    try:
        yield str(context.address_info["gcs_address"])
    finally:
        ray.shutdown()
        if saved is None:
            os.environ.pop("RAY_AUTH_MODE", None)
        else:
            os.environ["RAY_AUTH_MODE"] = saved
        shutil.rmtree(temp, ignore_errors=True)


class HeldServer:
    """A scripted model for the sums task that holds questions ``HOLD_FROM..`` until released."""

    def __init__(self) -> None:
        self.released = threading.Event()
        self.held = 0
        self._lock = threading.Lock()

    def script(self, body: dict[str, Any]) -> dict[str, Any]:
        i = question_number(first_user(body))
        if i >= HOLD_FROM and not self.released.is_set():
            with self._lock:
                self.held += 1
            self.released.wait()
        return reply(sums_answer(i))


def wait_for(condition: Callable[[], bool], what: str, limit_s: float = 300.0) -> None:
    """Poll until ``condition`` holds (the limit only turns a hang into a failure)."""
    end = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def line_count(output: Path) -> int:
    folders = list(output.glob("*/samples.jsonl")) if output.is_dir() else []
    return sum(len(lines_of(f.parent)) for f in folders)


def worker_pids() -> dict[str, int]:
    """Live evalkit workers by name (any driver's), with their process ids."""
    pids = {}
    for actor in ray.util.list_named_actors(all_namespaces=True):
        if actor["name"].startswith(WORKER_NAME):
            handle = ray.get_actor(actor["name"], namespace=actor["namespace"])
            try:
                pids[actor["name"]] = ray.get(handle.pid.remote(), timeout=60)
            except (ray.exceptions.RayActorError, ray.exceptions.GetTimeoutError):
                continue  # an earlier run's worker on its way out
    return pids


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def sums_config(root: Path, url: str | None = None, **extra: Any) -> RunConfig:
    tasks, data = make_sums_task(root, ROWS)
    fields: dict[str, Any] = {
        "model": "openai-compatible/scripted" if url else "mock/echo",
        "base_url": url,
        "tasks": ("sums",),
        "data_dir": data,
        "tasks_dir": (tasks,),
        "output_dir": root / "runs",
        "cache": False,
        "concurrency": 4,
        **extra,
    }
    return RunConfig(**fields)


def on_ray(config: RunConfig, output: Path, **args: str) -> RunConfig:
    return config.model_copy(
        update={
            "executor": "ray",
            "executor_args": {**RAY_ARGS, **args},
            "output_dir": output,
        }
    )


# --- the same results as the local executor ---------------------------------------------------


def test_mock_runs_of_several_tasks_match_the_local_executor(cluster: str, tmp_path: Path) -> None:
    tasks, data = make_sums_task(tmp_path, 10)
    shutil.copytree(FIXTURES / "data" / "echo", data / "echo")
    local = RunConfig(
        model="mock/echo",
        tasks=("sums", "echo_exact"),
        data_dir=data,
        tasks_dir=(tasks, FIXTURES / "tasks"),
        output_dir=tmp_path / "local",
        cache=False,
    )
    expected = run(local)
    got = run(on_ray(local, tmp_path / "ray"))
    assert [o.record.task["label"] for o in got] == ["sums", "echo_exact"]
    for a, b in zip(expected, got, strict=True):
        assert_same_results(a.run_dir, b.run_dir)
        assert record(b.run_dir)["model"] == record(a.run_dir)["model"]  # the workers' identity
        assert record(b.run_dir)["config"]["executor"] == "ray"
        assert record(b.run_dir)["config"]["executor_args"] == RAY_ARGS


def test_scripted_server_runs_match_the_local_executor(cluster: str, tmp_path: Path) -> None:
    with scripted_server(lambda body: reply(sums_answer(question_number(first_user(body))))) as s:
        config = sums_config(tmp_path, s.url)
        local = run(config)[0]
        asked = len(s.bodies)
        remote = run(on_ray(config, tmp_path / "ray"))[0]
        assert len(s.bodies) - asked == ROWS  # each sample asked once
    assert_same_results(local.run_dir, remote.run_dir)
    assert 0 < record(local.run_dir)["metrics"]["flexible"]["mean"] < 1


def test_judged_runs_match_and_the_workers_fill_the_one_cache(cluster: str, tmp_path: Path) -> None:
    answers = {"17 times 23": "391", "1234 plus 4321": "5555", "2 to the power 12": "4000"}

    def model(body: dict[str, Any]) -> dict[str, Any]:
        question = first_user(body)
        return reply(next((f"It is {v}." for k, v in answers.items() if k in question), "No idea."))

    def judge(body: dict[str, Any]) -> dict[str, Any]:
        prompt = body["messages"][0]["content"]
        reference = re.search(r"\[Reference answer\]\n(.*?)\n", prompt)
        assert reference is not None
        return reply("GRADE: " + ("C" if f"It is {reference.group(1)}." in prompt else "I"))

    with scripted_server(model) as m, scripted_server(judge) as j:
        config = RunConfig(
            model="openai-compatible/m",
            base_url=m.url,
            judge="openai-compatible/judge",
            judge_args={"base_url": j.url},
            tasks=("judged_toy",),
            data_dir=FIXTURES / "data",
            tasks_dir=(FIXTURES / "tasks",),
            output_dir=tmp_path / "local",
            cache_dir=tmp_path / "local-cache",
        )
        local = run(config)[0]
        remote = run(
            on_ray(config, tmp_path / "ray").model_copy(update={"cache_dir": tmp_path / "c"})
        )[0]
        asked = (len(m.bodies), len(j.bodies))
        again = run(
            config.model_copy(
                update={"output_dir": tmp_path / "again", "cache_dir": tmp_path / "c"}
            )
        )[0]
        rescore(remote.run_dir)
        assert (len(m.bodies), len(j.bodies)) == asked  # all from the cache the workers wrote
    assert_same_results(local.run_dir, remote.run_dir)
    cached = verdicts(again.run_dir)
    assert {line["attempts"] for line in cached.values()} == {0}  # answered by the cache
    assert {k: {**v, "attempts": 1} for k, v in cached.items()} == verdicts(local.run_dir)
    assert record(remote.run_dir)["judge"] == record(local.run_dir)["judge"]
    assert record(remote.run_dir)["metrics"]["accuracy"]["mean"] == 0.5


@pytest.mark.slow
def test_llamacpp_workers_give_the_local_answers(cluster: str, tmp_path: Path) -> None:
    require_smollm2()
    config = RunConfig(
        model="llamacpp/smollm2-135m",
        model_args={"n_threads": "1"},
        tasks=("arith",),
        data_dir=FIXTURES / "data",
        tasks_dir=(FIXTURES / "tasks",),
        output_dir=tmp_path / "local",
        cache=False,
    )
    local = run(config)[0]
    remote = run(on_ray(config, tmp_path / "ray", shard_size="1"))[0]
    assert_same_results(local.run_dir, remote.run_dir)
    assert all(line["completion"] for line in lines_of(remote.run_dir))


# --- failures -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"workers": "3"}, r"3 ray worker\(s\) need 3 CPUs; the Ray cluster has 2"),
        ({"num_gpus_per_worker": "1"}, r"1 ray worker\(s\) need 1 GPUs; the Ray cluster has 0"),
        ({"workers": "4", "num_cpus_per_worker": "0.5"}, "needs --concurrency 4 or more"),
    ],
)
def test_workers_the_cluster_cannot_hold_are_refused(
    cluster: str, tmp_path: Path, args: dict[str, str], message: str
) -> None:
    config = on_ray(sums_config(tmp_path, concurrency=2), tmp_path / "ray")
    with pytest.raises(ConfigError, match=message):
        run(config.model_copy(update={"executor_args": args}))
    assert not (tmp_path / "ray").exists()


def test_a_model_the_workers_cannot_build_is_a_one_line_error(
    cluster: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks, data = make_sums_task(tmp_path, 3)
    code = main(
        [
            "run", "--model", "mock/nothing", "--tasks", "sums", "--tasks-dir", str(tasks),
            "--data-dir", str(data), "--output-dir", str(tmp_path / "runs"), "--quiet",
            "--executor", "ray", "-X", "workers=2",
        ]
    )  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1] == (
        "evalkit: error: unknown mock model 'nothing': use mock/echo or mock/fixed -M text=..."
    )
    assert not (tmp_path / "runs").exists()  # refused before any run folder


def _in_background(fn: Callable[[], Any]) -> Future[Any]:
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(fn)
    pool.shutdown(wait=False)
    return future


def all_slots_held(held: HeldServer) -> bool:
    """Every request slot of both workers waits at the server, so no shard can finish.

    Which shards finished before is up to the workers (Ray runs an async actor's calls in no
    fixed order); the tests count what was recorded instead of assuming it.
    """
    return held.held >= SLOTS


def _kill_a_worker_once_held(held: HeldServer) -> dict[str, int]:
    wait_for(lambda: all_slots_held(held), "the held requests")
    pids = worker_pids()
    assert len(pids) == 2, pids
    os.kill(min(pids.values()), signal.SIGKILL)
    return pids


def test_a_killed_worker_is_restarted_and_nothing_is_lost_or_doubled(
    cluster: str, tmp_path: Path
) -> None:
    held = HeldServer()
    with scripted_server(held.script) as s:
        held.released.set()
        local = run(sums_config(tmp_path, s.url))[0]
        held.released.clear()
        asked = len(s.bodies)
        config = on_ray(sums_config(tmp_path, s.url), tmp_path / "ray")
        future = _in_background(lambda: run(config))
        try:
            pids = _kill_a_worker_once_held(held)
        finally:
            held.released.set()
        remote = future.result(timeout=600)[0]
        assert len(s.bodies) - asked > ROWS  # the killed worker's shards were asked again
    assert_same_results(local.run_dir, remote.run_dir)
    assert len(lines_of(remote.run_dir)) == ROWS
    assert len(pids) == 2


def test_a_worker_dying_for_good_fails_cleanly_and_resumes(cluster: str, tmp_path: Path) -> None:
    held = HeldServer()
    with scripted_server(held.script) as s:
        held.released.set()
        local = run(sums_config(tmp_path, s.url))[0]
        held.released.clear()
        config = on_ray(sums_config(tmp_path, s.url), tmp_path / "ray", max_restarts="0")
        future = _in_background(lambda: run(config))
        try:
            _kill_a_worker_once_held(held)
            with pytest.raises(BackendError, match="died more than 0 times.*--resume latest"):
                future.result(timeout=600)
        finally:
            held.released.set()
        (folder,) = (tmp_path / "ray").iterdir()
        assert record(folder)["status"] == "running"
        kept = len(lines_of(folder))  # the shards that finished (only questions below 12)
        assert kept <= HOLD_FROM and all(int(ln["id"][1:]) < HOLD_FROM for ln in lines_of(folder))
        asked = len(s.bodies)
        resumed = run(on_ray(config, tmp_path / "ray"), resume="latest")[0]
        assert len(s.bodies) - asked == ROWS - kept  # only the missing samples
    assert resumed.run_dir == folder
    assert_same_results(local.run_dir, folder)


def test_a_killed_driver_is_resumed_with_resume_latest(cluster: str, tmp_path: Path) -> None:
    held = HeldServer()
    output = tmp_path / "ray"
    with scripted_server(held.script) as s:
        held.released.set()
        local = run(sums_config(tmp_path, s.url))[0]
        held.released.clear()
        tasks, data = tmp_path / "tasks", tmp_path / "data"
        command = [
            sys.executable, "-m", "evalkit.cli", "run", "--model", "openai-compatible/scripted",
            "--base-url", s.url, "--tasks", "sums", "--tasks-dir", str(tasks), "--data-dir",
            str(data), "--output-dir", str(output), "--no-cache", "--concurrency", "4", "--quiet",
            "--executor", "ray", "--ray-address", cluster, "-X", "workers=2", "-X", "shard_size=3",
        ]  # fmt: skip
        driver = subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, text=True)
        try:
            wait_for(lambda: driver.poll() is not None or all_slots_held(held), "holds")
            assert driver.poll() is None, driver.communicate()[1]
            pids = worker_pids()
            driver.send_signal(signal.SIGKILL)
            driver.wait()
            # The driver's workers go with it: only then may the held requests be answered.
            wait_for(lambda: not any(alive(p) for p in pids.values()), "its workers to end")
        finally:
            driver.kill()
            driver.communicate()  # reaps it and closes its pipe
            held.released.set()
        kept = line_count(output)
        asked = len(s.bodies)
        done = subprocess.run(
            [*command, "--resume", "latest"], cwd=REPO, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert len(s.bodies) - asked == ROWS - kept  # only the missing samples
    (folder,) = output.iterdir()
    assert done.stdout.strip() == str(folder)
    assert_same_results(local.run_dir, folder)


# --- sweeps ------------------------------------------------------------------------------------


def test_a_sweep_on_ray_matches_the_local_sweep(cluster: str, tmp_path: Path) -> None:
    tasks, data = make_sums_task(tmp_path, 9)
    shutil.copytree(FIXTURES / "data" / "arith", data / "arith")
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(
        f"""
tasks = ["sums", "arith"]
data_dir = "{data}"
tasks_dir = ["{tasks}", "{FIXTURES / "tasks"}"]
cache = false
leaderboard = "board.md"

[[models]]
model = "mock/echo"

[[models]]
model = "mock/fixed"
model_name = "eights"
model_args = {{ text = "The answer is 8." }}
""",
        encoding="utf-8",
    )
    outputs = []
    for name, flags in (("local", []), ("ray", ["--executor", "ray", "-X", "workers=2"])):
        file = tmp_path / f"{name}.toml"
        text = sweep.read_text(encoding="utf-8")
        file.write_text(f'output_dir = "{tmp_path / name}"\n{text}', encoding="utf-8")
        assert main(["sweep", str(file), "--quiet", *flags]) == 0
        outputs.append(tmp_path / name)
    runs = [
        sorted(o.iterdir(), key=lambda p: (record(p)["model"]["name"], record(p)["task"]["label"]))
        for o in outputs
    ]
    assert len(runs[0]) == len(runs[1]) == 4
    for a, b in zip(*runs, strict=True):
        assert record(a)["task"]["label"] == record(b)["task"]["label"]
        assert_same_results(a, b)
    board = (tmp_path / "board.md").read_text(encoding="utf-8")
    assert "eights" in board and "mock/echo" in board
