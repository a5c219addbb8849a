"""Time IFEval scoring (strict + loose) of the 541 published GPT-4 responses, from process start.

Usage: python bench/ifeval_score.py [--by-type]

Reads ``$EVALKIT_DATA_DIR/ifeval`` (default ``<repo>/../shared/data/ifeval``), builds the samples
with the ifeval task's own definition, pairs the GPT-4 responses with them by position, scores them in this one process, and prints the time of
each stage, the total since the script started (interpreter start-up before the first line, a
few tens of milliseconds, is not included), and the four IFEval metrics. Target: under 3 s on
2 cores.
"""

from __future__ import annotations

import time

T0 = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from evalkit.config import RunConfig, TaskRef  # noqa: E402
from evalkit.scoring.ifeval import make_ifeval_scorer  # noqa: E402
from evalkit.stats.metrics import aggregate  # noqa: E402
from evalkit.task.plan import plan_task  # noqa: E402
from evalkit.types import Completion, Sample  # noqa: E402

T_IMPORT = time.perf_counter()

METRICS = ("prompt_strict", "inst_strict", "prompt_loose", "inst_loose")
RESPONSES = "input_response_data_gpt4_20231107_145030.jsonl"


def load(data_dir: Path) -> list[tuple[Sample, Completion]]:
    """Samples as the ifeval task builds them, each paired with the response at its position."""
    plan = plan_task(
        TaskRef("ifeval"), RunConfig(model="mock/echo", tasks=("ifeval",), data_dir=data_dir)
    )
    lines = (data_dir / "ifeval" / RESPONSES).read_text(encoding="utf-8").splitlines()
    answers = [json.loads(line)["response"] for line in lines if line]
    return [(s, Completion(text=answers[s.index])) for s in plan.samples]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--by-type", action="store_true", help="also print per-type accuracy")
    args = parser.parse_args()
    pairs = load(Path(os.environ.get("EVALKIT_DATA_DIR", REPO.parent / "shared" / "data")))
    t_load = time.perf_counter()
    scorer = make_ifeval_scorer({})
    scores = [scorer.score(sample, completion) for sample, completion in pairs]
    t_score = time.perf_counter()
    print(f"responses scored      {len(scores)} (strict + loose)")
    print(f"imports               {T_IMPORT - T0:.3f} s")
    print(f"load data             {t_load - T_IMPORT:.3f} s")
    print(f"score                 {t_score - t_load:.3f} s")
    print(f"total from start      {t_score - T0:.3f} s   (target < 3 s on 2 cores)")
    summary = aggregate([s.metrics for s in scores], [s.weights for s in scores], n_boot=1)
    for key in METRICS:
        print(f"{key:<21} {100 * summary[key].mean:.2f}")
    if args.by_type:
        types = sorted({k.split("/", 1)[1] for k in summary if "/" in k})
        for name in types:
            strict = 100 * summary[f"inst_strict/{name}"].mean
            loose = 100 * summary[f"inst_loose/{name}"].mean
            print(f"  {name:<46} strict {strict:6.2f}  loose {loose:6.2f}")


if __name__ == "__main__":
    main()
