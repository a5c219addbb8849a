"""The harness's own overhead: start-up, CPU per request, against a bare client, under faults.

Runs the whole CLI (``evalkit run``, process start to exit) over GSM8K rows at ``--concurrency
32`` against the local test server, interleaved ``--repeats`` times with the other cases so
that load from other processes hits every case alike, and prints medians:

* 0 ms server: wall time; time to first request (the server records when the first POST
  arrives; the bench notes when it started the process); CPU per request of the evalkit process
  ((CPU of the N-row run - CPU of a 1-row run) / (N - 1): start-up excluded);
* the bare client (``--bare``: plain asyncio streams, keep-alive, same server, same rows, same
  concurrency, no harness) at 0 and 200 ms, and evalkit's wall time over it;
* ``python -c pass``: the interpreter's own start-up in the same conditions (a floor under the
  time to first request);
* 200 ms with 10 % HTTP 500s (seeded, a body may fail again on its retry): wall time over the
  clean run's, and every sample recorded exactly once with no error.

Child processes run with bytecode caching on (``PYTHONPYCACHEPREFIX`` in a temp folder, one
warm-up run first), as an installed package runs; a checkout under
``PYTHONDONTWRITEBYTECODE=1`` compiles every module on every start instead (+0.3-0.5 s).

Targets (issue 20): 0 ms wall <= 1.0 s, first request <= 0.25 s after start, <= 1 ms CPU per
request; 200 ms <= 1.08x the bare client; 10 % 500s <= 1.2x the clean run.

    python bench/overhead.py [--rows 500] [--repeats 3] [--before OLD_CHECKOUT] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

CONCURRENCY = 32


def bare_client(url: str, rows_file: Path, rows: int, concurrency: int) -> None:
    """The physical limit: ``rows`` chat requests over keep-alive asyncio streams, no harness."""
    host, port = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    with rows_file.open() as fh:
        questions = [json.loads(line)["question"] for _, line in zip(range(rows), fh, strict=False)]

    async def one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, q: str) -> None:
        body = json.dumps({"model": "fake-model", "temperature": 0.0,
                           "messages": [{"role": "user", "content": q}]}).encode()  # fmt: skip
        head = f"POST /v1/chat/completions HTTP/1.1\r\nHost: {host}:{port}\r\n"
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        writer.write(head.encode() + body)
        lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower().split("\r\n")
        length = next(int(h.split(":")[1]) for h in lines if h.startswith("content-length:"))
        json.loads(await reader.readexactly(length))

    async def main() -> None:
        work = iter(questions)

        async def worker() -> None:
            reader, writer = await asyncio.open_connection(host, int(port))
            for q in work:
                await one(reader, writer, q)
            writer.close()

        await asyncio.gather(*(worker() for _ in range(concurrency)))

    asyncio.run(main())


def timed(args: list[str], env: dict[str, str], cwd: Path | None = None) -> dict[str, Any]:
    """Run a process; wall seconds, CPU seconds of that process, start time, exit code."""
    started = time.time()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code != 0 and proc.stderr is not None:
        sys.stderr.write(proc.stderr.read().decode())
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "start": started, "code": code}


class Bench:
    """Servers, data and the child environment shared by every case."""

    def __init__(self, data_dir: Path, tmp: Path, checkout: Path | None = None) -> None:
        from support.server_responders import write_gsm8k_answers

        self.data_dir, self.tmp, self.checkout = data_dir, tmp, checkout
        self.sheet = write_gsm8k_answers(data_dir / "gsm8k" / "test.jsonl", tmp / "ans.jsonl").path
        self.env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        self.env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
        self.runs = 0

    def evalkit(self, rows: int, **server: Any) -> dict[str, Any]:
        from support.server_process import start_server_process

        handle = start_server_process(responder="gsm8k", answers=self.sheet, **server)
        self.runs += 1
        out = self.tmp / f"run{self.runs}"
        try:
            result = timed([sys.executable, "-m", "evalkit.cli", "run",
                            "--model", "openai-compatible/fake-model", "--base-url", handle.base_url,
                            "--tasks", "gsm8k", "--limit", str(rows), "--concurrency", str(CONCURRENCY),
                            "--data-dir", str(self.data_dir), "--no-cache", "--quiet",
                            "--max-attempts", "12", "--output-dir", str(out)], self.env,
                           self.checkout)  # fmt: skip
            stats = handle.stats()
        finally:
            handle.stop()
        result.update(phases(result, stats))
        (run_dir,) = out.iterdir()
        lines = [json.loads(x) for x in (run_dir / "samples.jsonl").read_text().splitlines()]
        ids = Counter(ln["id"] for ln in lines)
        result["once"] = len(ids) == rows and set(ids.values()) == {1}
        result["errors"] = sum(1 for ln in lines if ln["error"] is not None)
        return result

    def bare(self, rows: int, latency_ms: float) -> dict[str, Any]:
        from support.server_process import start_server_process

        handle = start_server_process(responder="gsm8k", answers=self.sheet, latency_ms=latency_ms)
        try:
            result = timed([sys.executable, __file__, "--bare", handle.base_url, "--rows", str(rows),
                            "--data-dir", str(self.data_dir)], self.env)  # fmt: skip
            return {**result, **phases(result, handle.stats())}
        finally:
            handle.stop()


def phases(result: dict[str, Any], stats: dict[str, Any]) -> dict[str, float]:
    """Time to the first POST, and from it to the last answer (the requests' own span)."""
    first, last = stats["first_post_at"] or math.nan, stats["last_end_at"] or math.nan
    return {"ttfr": first - result["start"], "span": last - first}


def one_round(bench: Bench, rows: int, got: dict[str, list[dict[str, Any]]]) -> None:
    faults = {"fault_rate": 0.1, "faults": ("500",), "max_faulty_attempts": 10**6}
    got["python"].append(timed([sys.executable, "-c", "pass"], bench.env))
    got["0ms"].append(bench.evalkit(rows))
    got["0ms-1row"].append(bench.evalkit(1))
    got["bare-0ms"].append(bench.bare(rows, 0))
    got["200ms"].append(bench.evalkit(rows, latency_ms=200))
    got["bare-200ms"].append(bench.bare(rows, 200))
    got["200ms-500s"].append(
        bench.evalkit(rows, latency_ms=200, fault_seed=len(got["0ms"]), **faults)
    )


def med(results: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in results)


def report(got: dict[str, list[dict[str, Any]]], rows: int) -> None:
    cpu_req = (med(got["0ms"], "cpu") - med(got["0ms-1row"], "cpu")) / (rows - 1) * 1000
    print(
        f"medians of {len(got['0ms'])} interleaved rounds, {rows} rows, concurrency {CONCURRENCY}"
    )
    print(f"0 ms   evalkit wall {med(got['0ms'], 'wall'):5.2f} s   CPU {med(got['0ms'], 'cpu'):4.2f} s"
          f"   first request {med(got['0ms'], 'ttfr'):5.3f} s after start   "
          f"CPU/request {cpu_req:4.2f} ms   (1-row run: wall {med(got['0ms-1row'], 'wall'):4.2f} s, "
          f"CPU {med(got['0ms-1row'], 'cpu'):4.2f} s)")  # fmt: skip
    floor = med(got["python"], "wall")
    print(f"       python -c pass here: {floor:5.3f} s (the interpreter's own start-up)")
    print(
        f"0 ms   bare    wall {med(got['bare-0ms'], 'wall'):5.2f} s   CPU {med(got['bare-0ms'], 'cpu'):4.2f} s"
    )
    ratio = med(got["200ms"], "wall") / med(got["bare-200ms"], "wall")
    print(
        f"200 ms evalkit wall {med(got['200ms'], 'wall'):5.2f} s   bare {med(got['bare-200ms'], 'wall'):5.2f} s"
        f"   ratio {ratio:4.2f}x (per round: "
        + ", ".join(
            f"{a['wall'] / b['wall']:.2f}"
            for a, b in zip(got["200ms"], got["bare-200ms"], strict=True)
        )
        + ")"
    )
    print(f"       first request after start: evalkit {med(got['200ms'], 'ttfr'):5.3f} s, bare "
          f"{med(got['bare-200ms'], 'ttfr'):5.3f} s; first request to last answer: evalkit "
          f"{med(got['200ms'], 'span'):5.2f} s, bare {med(got['bare-200ms'], 'span'):5.2f} s")  # fmt: skip
    fault = med(got["200ms-500s"], "wall") / med(got["200ms"], "wall")
    once = all(r["once"] and r["errors"] == 0 and r["code"] == 0 for r in got["200ms-500s"])
    print(f"200 ms + 10% HTTP 500: wall {med(got['200ms-500s'], 'wall'):5.2f} s   {fault:4.2f}x the clean run"
          f"   every sample exactly once, no error: {once}")  # fmt: skip
    print("       per round (each round's faults are seeded differently): " + ", ".join(
        f"{a['wall'] / b['wall']:.2f}" for a, b in zip(got["200ms-500s"], got["200ms"], strict=True)
    ))  # fmt: skip
    bad = [k for k, rs in got.items() for r in rs if r["code"] != 0]
    if bad:
        print(f"non-zero exit in: {sorted(set(bad))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--before",
        type=Path,
        help="another checkout (e.g. a git worktree of an older commit): its evalkit runs every "
        "case too, interleaved with this one's, and is reported first",
    )
    parser.add_argument("--bare", metavar="BASE_URL", help=argparse.SUPPRESS)
    default_data = os.environ.get("EVALKIT_DATA_DIR", REPO.parent / "shared" / "data")
    parser.add_argument("--data-dir", type=Path, default=Path(default_data))
    args = parser.parse_args()
    if args.bare:
        bare_client(args.bare, args.data_dir / "gsm8k" / "test.jsonl", args.rows, CONCURRENCY)
        return
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "this").mkdir()
        benches = {"this checkout": Bench(args.data_dir, tmp / "this")}
        if args.before is not None:
            (tmp / "before").mkdir()
            before = Bench(args.data_dir, tmp / "before", args.before.resolve())
            benches = {f"before ({args.before})": before, **benches}
        for bench in benches.values():
            bench.evalkit(1)  # warm-up: bytecode written, files in the page cache
        got: dict[str, dict[str, list[dict[str, Any]]]] = {k: defaultdict(list) for k in benches}
        for _ in range(args.repeats):
            for name, bench in benches.items():
                one_round(bench, args.rows, got[name])
        for name in benches:
            print(f"== {name}")
            report(got[name], args.rows)


if __name__ == "__main__":
    main()
