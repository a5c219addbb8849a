"""Time building all 14,042 five-shot MMLU prompts, data loading included, and print docs/s.

Usage: python bench/mmlu_prompts.py [--variant loglikelihood] [--repeat 3]

Reads ``$EVALKIT_DATA_DIR/mmlu`` (default ``<repo>/../shared/data``) and runs the whole planning
stage (:func:`evalkit.task.plan.plan_task`: read the 57 test and 57 dev CSVs, build samples, pick five
dev examples of the same subject, render every request). The first round includes importing the
task and compiling its templates; later rounds show the steady state. Target: at least
2,000 docs/s on 2 cores (the whole test set in under 10 s).
"""

from __future__ import annotations

import time

T0 = time.perf_counter()

import argparse  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from evalkit.config import RunConfig, TaskRef  # noqa: E402
from evalkit.task.plan import plan_task  # noqa: E402

TARGET_DOCS_PER_S = 2000.0


def data_dir() -> Path:
    """The benchmark data folder: ``$EVALKIT_DATA_DIR`` or ``<repo>/../shared/data``."""
    return Path(os.environ.get("EVALKIT_DATA_DIR") or REPO.parent / "shared" / "data")


def one_round(task: str, data: Path) -> tuple[int, float, int]:
    """Plan ``task`` once; return the number of prompts, the seconds taken and prompt chars."""
    config = RunConfig(model="mock/echo", tasks=(task,), data_dir=data)
    start = time.perf_counter()
    plan = plan_task(TaskRef.parse(task), config)
    elapsed = time.perf_counter() - start
    chars = sum(len(str(r.prompt_json())) for r in plan.requests)
    return len(plan.requests), elapsed, chars


def main() -> int:
    """Run the rounds and print their rates; exit 1 below the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", default="", help="e.g. loglikelihood (default: 5-shot chat)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds to time")
    args = parser.parse_args()
    data = data_dir()
    if not (data / "mmlu" / "test").is_dir():
        print(f"MMLU data not found under {data} (set EVALKIT_DATA_DIR)", file=sys.stderr)
        return 2
    task = f"mmlu:{args.variant}" if args.variant else "mmlu"
    print(f"{task}: imports {time.perf_counter() - T0:.2f} s")
    rates = []
    for index in range(args.repeat):
        docs, elapsed, chars = one_round(task, data)
        rates.append(docs / elapsed)
        print(
            f"round {index + 1}: {docs} prompts ({chars / docs:,.0f} chars each) in "
            f"{elapsed:.2f} s = {docs / elapsed:,.0f} docs/s"
        )
    first = rates[0]
    verdict = "ok" if first >= TARGET_DOCS_PER_S else "BELOW TARGET"
    print(f"first round (cold) {first:,.0f} docs/s, target {TARGET_DOCS_PER_S:,.0f}: {verdict}")
    print(f"total since process start {time.perf_counter() - T0:.2f} s")
    return 0 if first >= TARGET_DOCS_PER_S else 1


if __name__ == "__main__":
    sys.exit(main())
