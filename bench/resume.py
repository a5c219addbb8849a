"""Re-running a finished GSM8K run with the response cache warm: no backend requests, under 2 s.

Runs ``evalkit run`` over all 1,319 GSM8K test questions against the local test server to fill a
fresh cache, then (each as a whole CLI process, start to exit):

* re-runs the same command (a new run, every answer from the cache);
* resumes the finished run with ``--resume <run_id>`` (nothing left to do);

and prints wall time and the requests the server saw (completion requests, and the one
``GET /v1/models`` preflight each run makes), and whether the metrics are identical.

    python bench/resume.py [--data-dir ../shared/data] [--rows 1319]

Target (issue 6): the warm re-run makes 0 completion requests and finishes in under 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from support.server_process import ServerHandle, start_server_process  # noqa: E402
from support.server_responders import write_gsm8k_answers  # noqa: E402

TARGET_S = 2.0


def timed_run(args: list[str], server: ServerHandle) -> tuple[float, int, int, Path]:
    """Run the CLI; return wall seconds, completion requests, preflight requests, run folder."""
    before = server.stats()
    start = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"evalkit failed ({proc.returncode}): {proc.stderr}")
    requests = server.stats()["requests"] - before["requests"]
    completions = requests - 1  # every run makes one preflight GET /v1/models first
    return wall, completions, 1, Path(proc.stdout.strip().splitlines()[-1])


def metrics(run_dir: Path) -> dict[str, Any]:
    record = json.loads((run_dir / "run.json").read_text())
    return {k: record[k] for k in ("metrics", "counts", "usage")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_data = os.environ.get("EVALKIT_DATA_DIR", REPO.parent / "shared" / "data")
    parser.add_argument("--data-dir", type=Path, default=Path(default_data))
    parser.add_argument("--rows", type=int, default=1319)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        sheet = write_gsm8k_answers(args.data_dir / "gsm8k" / "test.jsonl", tmp / "answers.jsonl")
        server = start_server_process(responder="gsm8k", answers=sheet.path)
        try:
            cli = [
                sys.executable, "-m", "evalkit.cli", "run", "--model", "openai-compatible/fake-model",
                "--base-url", server.base_url, "--tasks", "gsm8k", "--limit", str(args.rows),
                "--data-dir", str(args.data_dir), "--output-dir", str(tmp / "runs"),
                "--cache-dir", str(tmp / "cache"), "--concurrency", "32", "--quiet",
            ]  # fmt: skip
            cold = timed_run(cli, server)
            warm = timed_run(cli, server)
            resumed = timed_run([*cli, "--resume", cold[3].name], server)
        finally:
            server.stop()
        report(args.rows, cold, warm, resumed)


def report(rows: int, *runs: tuple[float, int, int, Path]) -> None:
    cold, warm, resumed = runs
    for name, (wall, completions, other, run_dir) in zip(
        ("cold run (fills the cache)", "warm re-run (new run)", "--resume finished run"),
        runs,
        strict=True,
    ):
        same = "same metrics" if metrics(run_dir) == metrics(cold[3]) else "METRICS DIFFER"
        print(
            f"{name:28s} wall {wall:5.2f} s  completion requests {completions:5d}  "
            f"preflight GET {other}  {same}"
        )
    ok = warm[1] == 0 and resumed[1] == 0 and warm[0] < TARGET_S and resumed[0] < TARGET_S
    ok = ok and metrics(warm[3]) == metrics(cold[3]) == metrics(resumed[3])
    print(
        f"{rows} samples; target: 0 completion requests and < {TARGET_S:.0f} s: {'PASS' if ok else 'FAIL'}"
    )
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
