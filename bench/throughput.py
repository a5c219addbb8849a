"""Throughput of the whole CLI against a local OpenAI-compatible server.

Runs ``evalkit run`` (process start to exit) over 500 GSM8K rows with ``--concurrency 32`` against
the test server answering after a fixed 200 ms, then after 0 ms, and prints wall time,
requests/s, peak in-flight requests seen by the server, and the harness's CPU seconds.

    python bench/throughput.py [--rows 500] [--concurrency 32] [--data-dir ../shared/data]

Targets (issue 2): 200 ms case <= 5.0 s wall with peak in-flight = 32; 0 ms case <= 3.0 s wall.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from support.server_process import start_server_process  # noqa: E402
from support.server_responders import write_gsm8k_answers  # noqa: E402


def run_cli(args: list[str]) -> tuple[float, float, int]:
    """Run the CLI; return wall seconds, CPU seconds (user+sys) of that process, exit code."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0 and proc.stderr is not None:
        sys.stderr.write(proc.stderr.read().decode())
    return wall, usage.ru_utime + usage.ru_stime, proc.returncode


def one_case(
    latency_ms: float, rows: int, concurrency: int, data_dir: Path, sheet: Path, tmp: Path
) -> None:
    server = start_server_process(responder="gsm8k", answers=sheet, latency_ms=latency_ms)
    try:
        args = [
            sys.executable,
            "-m",
            "evalkit.cli",
            "run",
            "--model",
            "openai-compatible/fake-model",
            "--base-url",
            server.base_url,
            "--tasks",
            "gsm8k",
            "--limit",
            str(rows),
            "--concurrency",
            str(concurrency),
            "--data-dir",
            str(data_dir),
            "--no-cache",
            "--quiet",
            "--output-dir",
            str(tmp / f"runs-{latency_ms:g}"),
        ]
        wall, cpu, code = run_cli(args)
        stats = server.stats()
    finally:
        server.stop()
    completions = stats["requests"] - 1  # minus the preflight GET /models
    print(
        f"latency {latency_ms:>5g} ms: wall {wall:6.2f} s  requests/s {completions / wall:7.1f}  "
        f"peak in-flight {stats['peak_in_flight']:3d}  harness CPU {cpu:5.2f} s  "
        f"requests {completions}  exit {code}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--latency", type=float, action="append", help="ms; repeatable (default 200 and 0)"
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("EVALKIT_DATA_DIR", REPO.parent / "shared" / "data")),
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        sheet = write_gsm8k_answers(
            args.data_dir / "gsm8k" / "test.jsonl", tmp / "answers.jsonl"
        ).path
        for latency in args.latency or [200.0, 0.0]:
            one_case(latency, args.rows, args.concurrency, args.data_dir, sheet, tmp)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "evalkit.cli", "--help"], stdout=subprocess.DEVNULL, check=True
    )
    print(f"evalkit --help: {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
