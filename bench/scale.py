"""Scale: wall time and peak memory of large runs against a 0 ms server (whole CLI).

A synthetic task (the tests' ``rel_echo`` from tests/support/recording_server.py: ``exact``
scorer, one short prompt per row, a ``kind`` breakdown) is written with 10,000, 30,000 and
100,000 rows and run by ``evalkit run`` (process start to exit, ``--concurrency 32``) against the
local test server echoing each prompt at once; then the 14,042-question MMLU test set
(``--data-dir``) the same way. Prints wall time, time per sample, peak RSS of the evalkit
process, and the per-sample cost between the sizes (linear time shows as a flat per-sample cost).

    python bench/scale.py [--sizes 10000,30000,100000] [--no-mmlu] [--data-dir ../shared/data]

Targets (issue 20): time linear in the sample count, peak RSS <= 300 MiB at 100,000 samples.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from support.recording_server import write_task  # noqa: E402
from support.server_process import start_server_process  # noqa: E402


def run(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run the CLI; wall seconds, CPU seconds and peak RSS (MiB) of that process, exit code."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0 and proc.stderr is not None:
        sys.stderr.write(proc.stderr.read().decode()[-2000:])
    return {"wall": time.perf_counter() - start, "cpu": usage.ru_utime + usage.ru_stime,
            "rss": usage.ru_maxrss / 1024, "code": code}  # fmt: skip


def evalkit(
    url: str, task: str, data: Path, out: Path, env: dict[str, str], *extra: str
) -> dict[str, Any]:
    args = [sys.executable, "-m", "evalkit.cli", "run", "--model", "openai-compatible/fake-model",
            "--base-url", url, "--tasks", task, "--data-dir", str(data), "--concurrency", "32",
            "--no-cache", "--quiet", "--output-dir", str(out), *extra]  # fmt: skip
    result = run(args, env)
    (run_dir,) = out.iterdir()
    with (run_dir / "samples.jsonl").open("rb") as fh:
        result["lines"] = sum(1 for _ in fh)
    return result


def show(name: str, n: int, r: dict[str, Any]) -> None:
    print(f"{name:>16} {n:>7,} samples: wall {r['wall']:7.2f} s  {r['wall'] / n * 1e6:6.0f} us/sample"
          f"  CPU {r['cpu']:7.2f} s  peak RSS {r['rss']:6.1f} MiB  lines {r['lines']:,}  exit {r['code']}",
          flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,30000,100000")
    parser.add_argument("--no-mmlu", action="store_true")
    default_data = os.environ.get("EVALKIT_DATA_DIR", REPO.parent / "shared" / "data")
    parser.add_argument("--data-dir", type=Path, default=Path(default_data))
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
        server = start_server_process(responder="echo", latency_ms=0)
        try:
            done: list[tuple[int, dict[str, Any]]] = []
            for n in sizes:
                tasks, data = write_task(tmp / f"t{n}", n, seed=n)
                r = evalkit(server.base_url, "rel_echo", data, tmp / f"out{n}", env,
                            "--tasks-dir", str(tasks))  # fmt: skip
                show("synthetic", n, r)
                done.append((n, r))
            for (n0, r0), (n1, r1) in zip(done, done[1:], strict=False):
                marginal = (r1["wall"] - r0["wall"]) / (n1 - n0) * 1e6
                print(f"  marginal cost {n0:,} -> {n1:,}: {marginal:.0f} us/sample")
            if not args.no_mmlu:
                r = evalkit(server.base_url, "mmlu", args.data_dir, tmp / "mmlu", env)
                show("mmlu (echo)", r["lines"], r)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
