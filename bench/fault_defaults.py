"""Do evalkit's DEFAULT retry settings finish runs against a badly faulty server?

Starts the test server (``tests/support/``) answering 500 GSM8K questions after 200 ms, with
seeded faults on 27 % of attempts that never stop for a request body (no cap on faulty
attempts): 20 % HTTP 429/500/503 (``Retry-After: 0.1`` on 429/503), 5 % hangs that outlast the
default 120 s ``--timeout`` (the server answers after ``--hang-s``, 125 s by default) and 2 %
malformed JSON bodies. Then runs ``evalkit run`` (the whole CLI, in its own process) with no
retry, timeout or concurrency flag, once per seed, several runs at a time.

Prints, per seed: exit status, errored samples, samples answered, the most attempts one sample
needed, wall time. Then the bounds: a dead server (nothing listening, or a socket that accepts
and never answers) must fail in one line in under 5 s, process start included; a request
failing every time (HTTP 500 forever) must stop within the retry policy's
worst case (12 attempts, at most 111.75 s of backoff). Exits 1 if any run had an errored sample
or a bound was missed.

    python bench/fault_defaults.py [--seeds 20] [--parallel 10] [--rows 500] [--hang-s 125]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from support.server_process import start_server_process  # noqa: E402
from support.server_responders import write_gsm8k_answers  # noqa: E402

# Fault kinds are drawn uniformly from this list: 20 parts 429/5xx, 5 hang, 2 malformed.
FAULTS = ("429",) * 7 + ("500",) * 7 + ("503",) * 6 + ("hang",) * 5 + ("malformed",) * 2
FAULT_RATE = 0.27
WORST_BACKOFF_S = 111.75  # engine/retry.py: 0.25 + 0.5 + ... + 16 + 4 x 20


def evalkit(args: list[str], out: Path) -> tuple[int, str, float]:
    """Run ``evalkit run ARGS --output-dir OUT``; return exit status, stderr, wall time."""
    cmd = [sys.executable, "-m", "evalkit.cli", "run", *args, "--output-dir", str(out)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    return proc.returncode, proc.stderr.strip(), time.perf_counter() - start


def task_args(base_url: str, rows: int, data_dir: Path) -> list[str]:
    return [
        "--model", "openai-compatible/fake-model", "--base-url", base_url, "--tasks", "gsm8k",
        "--limit", str(rows), "--data-dir", str(data_dir), "--no-cache", "--quiet",
    ]  # fmt: skip


def one_seed(seed: int, opts: argparse.Namespace, sheet: Path, tmp: Path) -> dict[str, Any]:
    server = start_server_process(
        responder="gsm8k", answers=sheet, latency_ms=200, fault_rate=FAULT_RATE,
        fault_seed=seed, faults=FAULTS, max_faulty_attempts=10**6, hang_s=opts.hang_s,
        retry_after_s=0.1,
    )  # fmt: skip
    try:
        out = tmp / f"seed{seed}"
        code, err, wall = evalkit(task_args(server.base_url, opts.rows, opts.data_dir), out)
        faults = server.stats()["faults_by_kind"]
    finally:
        server.stop(timeout_s=1.0)
    lines = []
    for run_dir in out.iterdir():
        text = (run_dir / "samples.jsonl").read_text(encoding="utf-8")
        lines = [json.loads(x) for x in text.splitlines()]
    errored = sum(1 for ln in lines if ln["error"])
    attempts = max((ln["attempts"] for ln in lines), default=0)
    return {"seed": seed, "code": code, "errored": errored, "answered": len(lines) - errored,
            "attempts": attempts, "wall": wall, "faults": faults, "stderr": err}  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bounds(opts: argparse.Namespace, sheet: Path, tmp: Path) -> bool:
    dead_ok = True
    with socket.socket() as mute:  # accepts connections (the kernel's backlog), never answers
        mute.bind(("127.0.0.1", 0))
        mute.listen(64)
        for what, port in (
            ("nothing listening", free_port()),
            ("never answers", mute.getsockname()[1]),
        ):
            url = f"http://127.0.0.1:{port}/v1"
            code, err, wall = evalkit(task_args(url, 5, opts.data_dir), tmp / f"dead{port}")
            dead_ok &= code == 3 and wall < 5.0 and len(err.splitlines()) == 1
            print(
                f"dead server ({what}): exit {code} in {wall:.2f} s (must be 3, < 5 s, one line): {err}"
            )
    server = start_server_process(
        responder="gsm8k", answers=sheet, fault_rate=1.0, faults=("500",),
        max_faulty_attempts=10**6,
    )  # fmt: skip
    try:
        code, err, wall = evalkit(task_args(server.base_url, 4, opts.data_dir), tmp / "always500")
        asked = server.stats()["per_body_counts_max"]
    finally:
        server.stop(timeout_s=1.0)
    stuck_ok = code == 3 and wall < WORST_BACKOFF_S + 10
    print(f"HTTP 500 forever: exit {code} after {wall:.1f} s, {asked} attempts per request "
          f"(worst case {WORST_BACKOFF_S} s of waiting)")  # fmt: skip
    return dead_ok and stuck_ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--parallel", type=int, default=10, help="runs at a time")
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--hang-s", type=float, default=125.0, help="a hang answers after this")
    parser.add_argument("--no-bounds", action="store_true", help="skip the dead/stuck checks")
    default_data = os.environ.get("EVALKIT_DATA_DIR", REPO.parent / "shared" / "data")
    parser.add_argument("--data-dir", type=Path, default=Path(default_data))
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        sheet = write_gsm8k_answers(opts.data_dir / "gsm8k" / "test.jsonl", tmp / "a.jsonl").path
        started = time.perf_counter()
        with ThreadPoolExecutor(opts.parallel) as pool:
            runs = list(pool.map(lambda s: one_seed(s, opts, sheet, tmp), range(1, opts.seeds + 1)))
        total = time.perf_counter() - started
        for r in runs:
            print(f"seed {r['seed']:2d}: exit {r['code']}  errored {r['errored']}  answered "
                  f"{r['answered']}/{opts.rows}  max attempts {r['attempts']:2d}  wall "
                  f"{r['wall']:6.1f} s  faults {r['faults']}")  # fmt: skip
            if r["code"] != 0:
                print(f"         evalkit: {r['stderr']}")
        bad = [r["seed"] for r in runs if r["errored"] or r["code"] != 0]
        print(f"{len(runs)} runs of {opts.rows} samples in {total:.0f} s: "
              f"{len(bad)} with an errored sample {bad}")  # fmt: skip
        ok = not bad and (opts.no_bounds or bounds(opts, sheet, tmp))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
