"""Generating a long-context grid: 10 lengths (1K..200K tokens) x 11 depths, sized exactly.

Plans the ``niah`` task (rows, haystacks, exact sizing in the model's tokens, rendered requests)
the way ``evalkit run`` does before its first request, once per tokenizer, each in a fresh
process so that peak memory (max RSS) is that tokenizer's alone. Prints wall time, peak memory,
tokenize calls and the largest gap between a prompt and its budget. Targets: < 10 s, < 1 GiB.

    python bench/longctx.py [--tokenizers tiktoken,llamacpp]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

LENGTHS = "1k,2k,4k,8k,16k,32k,64k,100k,128k,200k"
MODELS = {
    # tiktoken o200k_base is the OpenAI model's own encoding: exact sizing, no server needed
    "tiktoken": ("openai/gpt-4o", {}),
    # SmolLM2's GGUF tokenizer through llama.cpp (vocab only); n_ctx raised so 200K passes the check
    "llamacpp": ("llamacpp/smollm2-135m", {"n_ctx": "262144"}),
}


def measure(name: str) -> dict[str, float]:
    from evalkit.config import RunConfig, TaskRef
    from evalkit.task.plan import plan_task

    model, model_args = MODELS[name]
    config = RunConfig(
        model=model,
        tasks=["niah"],
        model_args=model_args,
        task_args={"lengths": LENGTHS, "depths": "11"},
    )
    calls = 0
    start = time.perf_counter()
    plan = plan_task(TaskRef.parse("niah"), config)
    wall = time.perf_counter() - start
    gaps = [
        (s.metadata["budget"] - s.metadata["tokens"]) / s.metadata["budget"] for s in plan.samples
    ]
    calls = sum(int(s.metadata["tokenize_calls"]) for s in plan.samples)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "samples": len(plan.samples),
        "calls": calls,
        "wall_s": wall,
        "peak_mib": peak_kib / 1024,
        "max_gap_pct": 100 * max(gaps),
        "min_gap_pct": 100 * min(gaps),
        "prompt_tokens": sum(int(s.metadata["tokens"]) for s in plan.samples),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokenizers", default="tiktoken,llamacpp")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return
    print(f"niah grid: lengths {LENGTHS} x 11 depths (110 prompts)")
    for name in args.tokenizers.split(","):
        out = subprocess.run(
            [sys.executable, __file__, "--child", name], capture_output=True, text=True
        )
        if out.returncode != 0:
            print(f"{name:9s} failed: {out.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{name:9s} {r['samples']:.0f} prompts, {r['prompt_tokens'] / 1e6:.1f}M tokens, "
            f"{r['calls'] / r['samples']:.2f} tokenize calls/prompt  "
            f"wall {r['wall_s']:.2f} s (target < 10)  peak RSS {r['peak_mib']:.0f} MiB "
            f"(target < 1024)  budget unused: {r['min_gap_pct']:.3f}%..{r['max_gap_pct']:.3f}%"
        )


if __name__ == "__main__":
    main()
