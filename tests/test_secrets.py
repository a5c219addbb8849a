"""Secrets never leave the process: API keys and URL credentials are in no file evalkit writes.

Runs go through the CLI in a subprocess against the real local server (which checks the key),
with and without ``--quiet``; then every file under the results and cache folders (the SQLite
WAL files included), stdout and stderr are searched for each secret, in plain text and in the
base64 of HTTP basic auth. Error paths are searched too: a wrong key, a server that is down,
and keys passed where a flag expects something else.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from support.recording_server import write_task

from evalkit.records.io import read_record, read_samples

KEY = "sk-live-7Hq2Zx9Wv4Lp0Ab3Cd5Ef"
URL_PASSWORD = "urlpass-Gh8Jk1Mn"
QUERY_SECRET = "qs-Rt6Yu2Io"
SECRETS = (KEY, URL_PASSWORD, QUERY_SECRET)


def leaks(blob: bytes) -> list[str]:
    """The secrets found in ``blob``, plain or as the base64 of basic-auth credentials."""
    found = [s for s in SECRETS if s.encode() in blob]
    basic = base64.b64encode(f"user:{URL_PASSWORD}".encode())
    return found + (["basic-auth"] if basic in blob else [])


def evalkit(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "evalkit.cli", *argv], capture_output=True, env=env, timeout=120
    )


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    write_task(tmp_path, 30)
    env = {k: v for k, v in os.environ.items() if not k.endswith("API_KEY")}
    env["EVALKIT_CACHE_DIR"] = str(tmp_path / "cache-env")
    return tmp_path, env


def run_args(root: Path, url: str, *extra: str) -> list[str]:
    return [
        "run", "--model", "openai-compatible/fake-model", "--base-url", url,
        "--tasks", "rel_echo", "--tasks-dir", str(root / "tasks"), "--data-dir", str(root / "data"),
        "--output-dir", str(root / "runs"), "--cache-dir", str(root / "cache"), *extra,
    ]  # fmt: skip


def local(root: Path) -> list[str]:
    return ["--tasks-dir", str(root / "tasks"), "--data-dir", str(root / "data")]


def assert_nothing_leaked(root: Path, *outputs: subprocess.CompletedProcess[bytes]) -> int:
    """Search every file under ``root`` and every output; return how many files were read."""
    files = [p for p in root.rglob("*") if p.is_file() and p.parent.name != "data"]
    for path in files:
        assert not leaks(path.read_bytes()), (path, leaks(path.read_bytes()))
    for proc in outputs:
        assert not leaks(proc.stdout + proc.stderr), proc.args
    return len(files)


def test_keys_from_env_and_url_credentials_are_never_written(setup, openai_server_factory):
    root, env = setup
    keyed = openai_server_factory(api_key=KEY, latency_ms=2)
    open_server = openai_server_factory(latency_ms=2)
    host = open_server.base_url.removeprefix("http://")
    url_with_secrets = f"http://user:{URL_PASSWORD}@{host}?key={QUERY_SECRET}"
    outputs = [
        evalkit(*run_args(root, keyed.base_url), env={**env, "OPENAI_API_KEY": KEY}),
        evalkit(
            *run_args(root, keyed.base_url, "--api-key-env", "MY_KEY", "--quiet"),
            env={**env, "MY_KEY": KEY},
        ),
        evalkit(*run_args(root, url_with_secrets), env=env),
        evalkit(*run_args(root, url_with_secrets, "--quiet", "--no-cache"), env=env),
    ]
    for proc in outputs:
        assert proc.returncode == 0, proc.stderr.decode()
    runs = sorted((root / "runs").iterdir())
    assert len(runs) == 4 and keyed.stats()["status_counts"].get("401") is None  # key was sent
    recorded = [read_record(r) for r in runs]
    assert all(r.model["base_url"] == r.config["base_url"] for r in recorded)
    assert sorted(r.config["base_url"] for r in recorded) == sorted(
        [keyed.base_url] * 2 + [open_server.base_url] * 2
    )  # bare: no user:password@, no ?key=
    outputs.append(evalkit("table", *map(str, runs), "--format", "json", env=env))
    outputs.append(evalkit("cache", "stats", "--cache-dir", str(root / "cache"), env=env))
    assert all(p.returncode == 0 for p in outputs)
    assert len(json.loads(outputs[-2].stdout)) == 4
    cache_files = {p.name for p in (root / "cache").iterdir()}
    assert "responses.sqlite" in cache_files
    assert assert_nothing_leaked(root, *outputs) >= 9  # 4 x (run.json, samples.jsonl) + cache


def test_error_messages_never_carry_secrets(setup, openai_server_factory):
    root, env = setup
    keyed = openai_server_factory(api_key="the-right-key")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        down = f"http://user:{URL_PASSWORD}@127.0.0.1:{s.getsockname()[1]}/v1?key={QUERY_SECRET}"
    cases = [
        (run_args(root, keyed.base_url), {"OPENAI_API_KEY": KEY}, 3, "authentication failed"),
        (run_args(root, down), {"OPENAI_API_KEY": KEY}, 3, "cannot reach http://127.0.0.1:"),
        (run_args(root, keyed.base_url, "--api-key-env", KEY), {}, 2, "takes the NAME"),
        (run_args(root, keyed.base_url, "-M", f"api_key={KEY}"), {}, 2, "take no -M"),
        (["run", "--model", "openai/gpt-4o-mini", "--base-url", f"http://[{KEY}/v1", "--tasks",
          "rel_echo", *local(root)], {"OPENAI_API_KEY": KEY}, 2,
         "invalid --base-url"),
        (["run", "--model", "openai-compatible/m", "--base-url", f"ftp://u:{URL_PASSWORD}@h/v1",
          "--tasks", "rel_echo", *local(root)], {}, 2, "'ftp://h/v1'"),
    ]  # fmt: skip
    outputs = []
    for argv, extra_env, code, message in cases:
        proc = evalkit(*argv, "--quiet", env={**env, **extra_env})
        err = proc.stderr.decode()
        assert proc.returncode == code and message in err, (argv, err)
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
        outputs.append(proc)
    assert not (root / "runs").exists()  # refused before anything was written
    assert_nothing_leaked(root, *outputs)


def test_failed_requests_record_the_status_never_the_key(setup, openai_server_factory):
    """A refused key fails the preflight; per-sample HTTP errors keep status and message only."""
    root, env = setup
    server = openai_server_factory(api_key="server-key")
    proc = evalkit(*run_args(root, server.base_url), env={**env, "OPENAI_API_KEY": KEY})
    assert proc.returncode == 3
    assert_nothing_leaked(root, proc)
    assert not (root / "runs").exists()  # the preflight caught it: no run folder at all
    faulty = openai_server_factory(api_key=KEY, fault_rate=1.0, faults=("500",),
                                   max_faulty_attempts=10**6)  # fmt: skip
    proc = evalkit(*run_args(root, faulty.base_url, "--max-attempts", "1", "--quiet"),
                   env={**env, "OPENAI_API_KEY": KEY})  # fmt: skip
    assert proc.returncode == 3 and b"HTTP 500" in proc.stderr
    (run_dir,) = (root / "runs").iterdir()
    assert all(
        ln["error"].startswith("TransientBackendError: HTTP 500") for ln in read_samples(run_dir)
    )
    assert_nothing_leaked(root, proc)
