"""Math with a code interpreter at scale: 500 MATH-500 samples x 3 model turns, one sandboxed
execution on each of the first two turns, against a scripted server answering after 200 ms.

Runs, through ``evalkit.run`` with ``--concurrency 32``: the single-turn task (``math500``), the
same loop with the ``calculator`` tool (no sandbox), and ``math500:code_interpreter`` (python in
a sandbox session per sample). The difference between the last two is the sandbox's share.

    python bench/code_interpreter.py [--rows 500] [--latency-ms 200] [--concurrency 32]

Target (issue 14): code-interpreter wall <= 3.5 x the single-turn wall.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from support.scripted_server import reply, scripted_server, turn  # noqa: E402
from support.timing import timed_run  # noqa: E402

from evalkit.config import RunConfig  # noqa: E402


def script(body: dict) -> dict:
    """Two executions, then an answer; single-turn requests (no tool protocol) answer at once."""
    tools = [t["function"]["name"] for t in body.get("tools", [])]
    if tools and turn(body) < 2:
        code = "x = 6 * 7\nprint(x)" if tools == ["python"] else "6 * 7"
        arg = "code" if tools == ["python"] else "expression"
        return reply(None, [(tools[0], json.dumps({arg: code}))])
    return reply("The answer is $\\boxed{42}$.")


def timed(task: str, url: str, args: argparse.Namespace, data: Path, out: Path, **params: str) -> float:
    config = RunConfig(
        model="openai-compatible/scripted", base_url=url, tasks=(task,), data_dir=data,
        output_dir=out, cache=False, concurrency=args.concurrency, limit=args.rows,
        task_args=params,
    )
    return timed_run(config)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, scripted_server(script, args.latency_ms / 1000) as s:
        out = Path(tmp)
        single = timed("math500", s.url, args, args.data_dir, out)
        calc = timed("math500:code_interpreter", s.url, args, args.data_dir, out, tools="calculator")
        code = timed("math500:code_interpreter", s.url, args, args.data_dir, out)
    print(f"rows={args.rows} latency={args.latency_ms:g} ms concurrency={args.concurrency}")
    print(f"single turn:                     {single:6.2f} s")
    print(f"3 turns, calculator (no sandbox): {calc:6.2f} s")
    print(f"3 turns, python in the sandbox:   {code:6.2f} s  ({code / single:.2f} x single; target <= 3.5)")
    print(f"sandbox share of the code run:    {max(0.0, code - calc) / code:.0%}")


if __name__ == "__main__":
    main()
