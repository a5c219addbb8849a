"""The tool loop's cost: 500 samples × 3 model turns at 200 ms per call, against one turn.

Both runs go through ``evalkit.run`` against the scripted server (tests/support/scripted_server.py)
with ``--concurrency 32``. The tool-loop task calls the calculator on turns 1 and 2 and answers on
turn 3; the single-turn task answers at once. Prints both wall times and the ratio to
3 × the single-turn time.

    python bench/tool_loop.py [--rows 500] [--latency-ms 200] [--concurrency 32]

Target (issue 11): tool loop wall <= 1.3 × (3 × single-turn wall).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from support.scripted_server import reply, scripted_server, turn  # noqa: E402
from support.timing import timed_run  # noqa: E402

from evalkit.config import RunConfig  # noqa: E402


def script(body: dict) -> dict:
    """Two calculator calls, then the answer; a single-turn task (no tools) answers at once."""
    if "tools" in body and turn(body) < 2:
        return reply(None, [("calculator", json.dumps({"expression": f"{turn(body)} + 1"}))])
    return reply("The answer is 2.")


def make_task(root: Path, name: str, solver: str) -> None:
    task = root / "tasks" / name
    shutil.copytree(REPO / "tests" / "fixtures" / "tasks" / "calc_loop", task)
    text = (task / "task.toml").read_text()
    text = text.replace('name = "calc_loop"', f'name = "{name}"')
    text = text.replace('solver = "tool_loop"', f'solver = "{solver}"')
    (task / "task.toml").write_text(text.replace('"arith/test.jsonl"', '"bench/test.jsonl"'))


def timed(root: Path, task: str, url: str, concurrency: int) -> float:
    config = RunConfig(
        model="openai-compatible/scripted", base_url=url, tasks=(task,), data_dir=root / "data",
        tasks_dir=(root / "tasks",), output_dir=root / "runs", cache=False, concurrency=concurrency,
    )
    return timed_run(config)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "data" / "bench").mkdir(parents=True)
        rows = [{"key": f"q{i}", "question": f"What is {i} plus 1?", "answer": "2"} for i in range(args.rows)]
        (root / "data" / "bench" / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        make_task(root, "bench_loop", "tool_loop")
        make_task(root, "bench_single", "generate")
        with scripted_server(script, latency_s=args.latency_ms / 1000) as server:
            single = timed(root, "bench_single", server.url, args.concurrency)
            calls = len(server.bodies)
            loop = timed(root, "bench_loop", server.url, args.concurrency)
            loop_calls = len(server.bodies) - calls
    ratio = loop / (3 * single)
    print(f"rows={args.rows} latency={args.latency_ms:g} ms concurrency={args.concurrency}")
    print(f"single turn: {single:.2f} s ({calls} calls)")
    print(f"tool loop:   {loop:.2f} s ({loop_calls} calls, 3 turns each)")
    print(f"tool loop / (3 x single) = {ratio:.2f}  (target <= 1.30)")


if __name__ == "__main__":
    main()
