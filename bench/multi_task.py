"""Several tasks in one invocation share one scheduler: 6 tasks x 100 samples against the same
600 samples as one task, at 200 ms per request with ``--concurrency 32``.

Before the shared scheduler each task ran alone, so every task's tail left most slots idle.

    python bench/multi_task.py [--tasks 6] [--rows 100] [--latency-ms 200] [--concurrency 32]

Target (issue 21): 6 tasks wall <= 1.2 x the one-task wall.
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

from support.scripted_server import reply, scripted_server  # noqa: E402
from support.timing import timed_run  # noqa: E402

from evalkit.config import RunConfig  # noqa: E402


def make_task(root: Path, name: str, rows: int) -> None:
    task = root / "tasks" / name
    shutil.copytree(REPO / "tests" / "fixtures" / "tasks" / "calc_loop", task)
    text = (task / "task.toml").read_text()
    text = text.replace('name = "calc_loop"', f'name = "{name}"').replace('solver = "tool_loop"\n', "")
    text = text.replace('"arith/test.jsonl"', f'"{name}/test.jsonl"')
    text = "\n".join(ln for ln in text.splitlines() if not ln.startswith(("tools", "protocol", "max_turns")))
    (task / "task.toml").write_text(text + "\n")
    (root / "data" / name).mkdir(parents=True)
    lines = [json.dumps({"key": f"{name}-{i}", "question": f"{name} {i}?", "answer": "2"}) for i in range(rows)]
    (root / "data" / name / "test.jsonl").write_text("\n".join(lines) + "\n")


def timed(root: Path, tasks: tuple[str, ...], url: str, concurrency: int) -> float:
    config = RunConfig(model="openai-compatible/scripted", base_url=url, tasks=tasks,
                       data_dir=root / "data", tasks_dir=(root / "tasks",), output_dir=root / "runs",
                       cache=False, concurrency=concurrency)
    return timed_run(config)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=6)
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        names = tuple(f"t{i}" for i in range(args.tasks))
        for name in names:
            make_task(root, name, args.rows)
        make_task(root, "all", args.rows * args.tasks)
        with scripted_server(lambda body: reply("The answer is 2."), args.latency_ms / 1000) as s:
            one = timed(root, ("all",), s.url, args.concurrency)
            many = timed(root, names, s.url, args.concurrency)
    print(f"{args.tasks} tasks x {args.rows} samples, latency {args.latency_ms:g} ms, concurrency {args.concurrency}")
    print(f"one task of {args.tasks * args.rows}: {one:.2f} s")
    print(f"{args.tasks} tasks together:  {many:.2f} s  ({many / one:.2f} x; target <= 1.20)")


if __name__ == "__main__":
    main()
