"""A GSM8K run against a faulty server: completion, duplicates and cost in wall time.

Runs ``evalkit run`` (whole CLI process) over 500 GSM8K questions at ``--concurrency 32`` against
the local test server answering after 200 ms, first cleanly, then with seeded faults on 27 % of
attempts: 20 % an HTTP 429/500/503 (``Retry-After: 0.5`` on 429/503), 5 % a hang (no answer
within the 2 s ``--timeout``) and 2 % a malformed JSON body. The server never stops failing a
request body (no cap on faulty attempts), so the harness's own retries must get every answer;
at a 27 % fault rate 6 attempts leave a sample unanswered with probability 0.27^6 (0.2 of 500
expected), so the run allows ``--max-attempts 10``.

Prints completion (samples answered, must be 100 %), duplicates (sample ids recorded more than
once, must be 0), whether the metrics equal the clean run's, the faults injected, the attempts
per sample, and the wall time relative to the clean run. ``--no-429`` injects 500s instead of
429s, to separate the cost of adaptive concurrency (which halves the in-flight limit on a 429)
from the cost of retrying.

    python bench/faults.py [--rows 500] [--concurrency 32] [--no-429] [--data-dir ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from support.server_process import start_server_process  # noqa: E402
from support.server_responders import write_gsm8k_answers  # noqa: E402

# Fault kinds are drawn uniformly from this list: 20 parts 429/5xx, 5 hang, 2 malformed.
FAULTS = ("429",) * 7 + ("500",) * 7 + ("503",) * 6 + ("hang",) * 5 + ("malformed",) * 2
FAULT_RATE = 0.27
TIMEOUT_S = 2.0
HANG_S = 3.0
MAX_ATTEMPTS = 10


def one_run(
    name: str, rows: int, concurrency: int, data_dir: Path, sheet: Path, tmp: Path, **faults: Any
) -> dict[str, Any]:
    server = start_server_process(responder="gsm8k", answers=sheet, latency_ms=200, **faults)
    out = tmp / name
    try:
        args = [
            sys.executable, "-m", "evalkit.cli", "run", "--model", "openai-compatible/fake-model",
            "--base-url", server.base_url, "--tasks", "gsm8k", "--limit", str(rows),
            "--concurrency", str(concurrency), "--timeout", str(TIMEOUT_S), "--data-dir", str(data_dir),
            "--max-attempts", str(MAX_ATTEMPTS), "--no-cache", "--quiet", "--output-dir", str(out),
        ]  # fmt: skip
        start = time.perf_counter()
        proc = subprocess.run(args, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if faults:
            time.sleep(HANG_S)  # let hung requests end before the server stops
        stats = server.stats()
    finally:
        server.stop()
    (run_dir,) = out.iterdir()
    lines = [json.loads(x) for x in (run_dir / "samples.jsonl").read_text().splitlines()]
    record = json.loads((run_dir / "run.json").read_text())
    return {"wall": wall, "code": proc.returncode, "stderr": proc.stderr.strip(), "stats": stats,
            "lines": lines, "metrics": record["metrics"]}  # fmt: skip


def report(rows: int, clean: dict[str, Any], faulty: dict[str, Any]) -> bool:
    lines = faulty["lines"]
    answered = sum(1 for ln in lines if ln["error"] is None)
    ids = Counter(ln["id"] for ln in lines)
    doubled = sum(n - 1 for n in ids.values() if n > 1)
    attempts = Counter(ln["attempts"] for ln in lines)
    ratio = faulty["wall"] / clean["wall"]
    same = faulty["metrics"] == clean["metrics"]
    print(
        f"clean : wall {clean['wall']:5.2f} s  exit {clean['code']}  requests {clean['stats']['requests'] - 1}"
    )
    print(f"faulty: wall {faulty['wall']:5.2f} s  exit {faulty['code']}  requests {faulty['stats']['requests'] - 1}  "
          f"faults {faulty['stats']['faults_by_kind']}")  # fmt: skip
    print(f"attempts per sample: {dict(sorted(attempts.items()))}")
    print(f"completion {answered}/{rows} = {answered / rows:.1%}  duplicates {doubled}  "
          f"lines {len(lines)}  metrics {'identical' if same else 'DIFFER'} to the clean run")  # fmt: skip
    print(f"wall time relative to the clean run: {ratio:.2f}x")
    if faulty["code"] != 0:
        print(f"evalkit: {faulty['stderr']}")
    return answered == rows == len(lines) and doubled == 0 and same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-429", action="store_true", help="inject 500s instead of 429s")
    default_data = os.environ.get("EVALKIT_DATA_DIR", REPO.parent / "shared" / "data")
    parser.add_argument("--data-dir", type=Path, default=Path(default_data))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        sheet = write_gsm8k_answers(
            args.data_dir / "gsm8k" / "test.jsonl", tmp / "answers.jsonl"
        ).path
        common = (args.rows, args.concurrency, args.data_dir, sheet, tmp)
        clean = one_run("clean", *common)
        faulty = one_run(
            "faulty", *common, fault_rate=FAULT_RATE, fault_seed=args.seed,
            faults=tuple("500" if args.no_429 and f == "429" else f for f in FAULTS),
            max_faulty_attempts=10**6, hang_s=HANG_S, retry_after_s=0.5,
        )  # fmt: skip
    if not report(args.rows, clean, faulty):
        sys.exit(1)


if __name__ == "__main__":
    main()
