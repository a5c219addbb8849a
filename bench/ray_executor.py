"""The Ray executor against the local one: speed-up with local models, overhead with an API.

1. Speed-up: SmolLM2-135M (llama.cpp, ``-M n_threads=1``) on the first GSM8K questions, one
   local run with one thread vs the Ray executor with two workers of one thread each (each loads
   the model once). Target (issue 19): >= 1.7 x.
2. Overhead: 500 samples against a scripted OpenAI-compatible server answering after 200 ms,
   ``--concurrency 32``, local vs Ray with two workers (16 requests in flight each).
   Target: Ray wall <= 1.15 x local wall.

A local Ray cluster (2 CPUs) is started first, outside the timings, as a sweep or a long-lived
cluster would be; the Ray walls include starting the workers and loading their models. The
time the workers took to start is printed too.

    python bench/ray_executor.py [--samples 12] [--max-tokens 48] [--rows 500] [--latency-ms 200]
    python bench/ray_executor.py --only overhead
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from support.scripted_server import reply, scripted_server  # noqa: E402

from evalkit.config import RunConfig  # noqa: E402
from evalkit.engine.run import run  # noqa: E402
from evalkit.executors.ray import RayExecutor  # noqa: E402

STARTS: list[float] = []
"""How long each Ray run took to start its workers (they build their backends, load models)."""


def _timed_start(backend):  # type: ignore[no-untyped-def]
    async def wrapper(self):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        result = await backend(self)
        STARTS.append(time.perf_counter() - start)
        return result

    return wrapper


RayExecutor.backend = _timed_start(RayExecutor.backend)  # type: ignore[method-assign]

DATA = REPO.parent / "shared" / "data"


def timed(config: RunConfig) -> tuple[float, list[dict]]:
    start = time.perf_counter()
    outcome = run(config)[0]
    wall = time.perf_counter() - start
    lines = [json.loads(ln) for ln in (outcome.run_dir / "samples.jsonl").read_text().splitlines()]
    assert all(ln["error"] is None for ln in lines), "a sample failed"
    return wall, sorted(lines, key=lambda ln: ln["id"])


def on_ray(config: RunConfig, output: Path, workers: int) -> RunConfig:
    return config.model_copy(
        update={"executor": "ray", "executor_args": {"workers": str(workers)}, "output_dir": output}
    )


def same(a: list[dict], b: list[dict]) -> bool:
    strip = lambda ln: {k: v for k, v in ln.items() if k != "latency_s"}  # noqa: E731
    return [strip(x) for x in a] == [strip(y) for y in b]


def _local_half(config: RunConfig) -> float:
    return timed(config)[0]


def two_plain_processes(config: RunConfig, root: Path) -> float:
    """The same amount of work as two independent local processes (no Ray): what the machine
    gives two one-thread llama.cpp processes side by side."""
    half = config.model_copy(update={"limit": max(1, (config.limit or 2) // 2)})
    halves = [half.model_copy(update={"output_dir": root / f"plain-{i}"}) for i in range(2)]
    start = time.perf_counter()
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(_local_half, halves))
    return time.perf_counter() - start


def speedup(root: Path, samples: int, max_tokens: int) -> None:
    config = RunConfig(
        model="llamacpp/smollm2-135m",
        model_args={"n_threads": "1"},
        tasks=("gsm8k",),
        data_dir=DATA,
        limit=samples,
        max_tokens=max_tokens,
        cache=False,
        output_dir=root / "local-llama",
    )
    local, a = timed(config)
    remote, b = timed(on_ray(config, root / "ray-llama", 2))
    start = STARTS[-1]
    plain = two_plain_processes(config, root)
    print(f"llama.cpp SmolLM2-135M, gsm8k x {samples}, max_tokens {max_tokens}, 1 thread each")
    print(f"  local, 1 thread:             {local:6.2f} s")
    print(
        f"  ray, 2 workers x 1 thread:   {remote:6.2f} s   speed-up {local / remote:.2f} x (target >= 1.70)"
    )
    print(f"    of which starting the workers (each loads the model): {start:.2f} s")
    print(
        f"  control, 2 plain processes with half the samples each, no Ray: {plain:.2f} s ({local / plain:.2f} x)"
    )
    print(f"  identical lines: {same(a, b)}")


def make_task(root: Path, rows: int) -> tuple[Path, Path]:
    tasks, data = root / "tasks", root / "data"
    shutil.copytree(REPO / "tests" / "fixtures" / "tasks" / "arith", tasks / "many")
    toml = (tasks / "many" / "task.toml").read_text().replace('name = "arith"', 'name = "many"')
    (tasks / "many" / "task.toml").write_text(toml.replace("arith/", "many/"))
    (data / "many").mkdir(parents=True)
    lines = [json.dumps({"key": f"k{i}", "question": f"q{i}?", "answer": "2"}) for i in range(rows)]
    (data / "many" / "test.jsonl").write_text("\n".join(lines) + "\n")
    return tasks, data


def overhead(root: Path, rows: int, latency_ms: float, concurrency: int, repeat: int) -> None:
    tasks, data = make_task(root, rows)
    locals_, remotes, starts, identical = [], [], [], True
    with scripted_server(lambda body: reply("The answer is 2."), latency_ms / 1000) as s:
        for i in range(repeat):  # alternated, medians: the machine is shared
            config = RunConfig(
                model="openai-compatible/scripted",
                base_url=s.url,
                tasks=("many",),
                data_dir=data,
                tasks_dir=(tasks,),
                output_dir=root / f"local-api-{i}",
                cache=False,
                concurrency=concurrency,
            )
            local, a = timed(config)
            remote, b = timed(on_ray(config, root / f"ray-api-{i}", 2))
            locals_.append(local)
            remotes.append(remote)
            starts.append(STARTS[-1])
            identical = identical and same(a, b)
    local, remote, start = (statistics.median(x) for x in (locals_, remotes, starts))
    ideal = rows / concurrency * latency_ms / 1000
    print(
        f"scripted server, {rows} samples at {latency_ms:g} ms, concurrency {concurrency} (ideal {ideal:.2f} s), median of {repeat}"
    )
    print(f"  local:            {local:6.2f} s   (all: {', '.join(f'{x:.2f}' for x in locals_)})")
    print(f"  ray, 2 workers:   {remote:6.2f} s   (all: {', '.join(f'{x:.2f}' for x in remotes)})")
    print(
        f"    overhead {100 * (remote / local - 1):+.0f}% (target <= 15%); of which starting the workers {start:.2f} s"
    )
    print(
        f"    without the worker start: {remote - start:.2f} s, {100 * ((remote - start) / local - 1):+.0f}%"
    )
    print(f"  identical lines: {identical}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=12)
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3, help="overhead runs (medians)")
    parser.add_argument("--only", choices=("speedup", "overhead"))
    args = parser.parse_args()
    import ray

    start = time.perf_counter()
    ray.init(
        num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING
    )
    print(f"local Ray cluster started in {time.perf_counter() - start:.1f} s (not counted below)")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            if args.only != "overhead":
                speedup(Path(tmp), args.samples, args.max_tokens)
            if args.only != "speedup":
                overhead(Path(tmp), args.rows, args.latency_ms, args.concurrency, args.repeat)
    finally:
        ray.shutdown()


if __name__ == "__main__":
    main()
