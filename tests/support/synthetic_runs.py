"""Synthetic run folders for the tests of compare, gate and leaderboard.

A run folder is written the way the runner writes it (``run.json`` validated by ``RunRecord``,
``samples.jsonl`` one line per sample), with invented questions and simulated 0/1 scores.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evalkit.records.io import RunRecord, write_record, write_samples_sorted

DATA_SHA = "d" * 64
SELECTION_SHA = "5" * 64


def simulated_pair(seed: int, n: int = 1319, drop: float = 0.0) -> tuple[list[float], list[float]]:
    """A baseline and a re-run of the same model on ``n`` items, optionally with a real drop.

    The re-run flips about 2% of right answers to wrong and as many wrong ones to right (decoding
    noise, no change in expectation); a real regression also turns ``round(drop * n)`` of the
    still-right answers wrong.
    """
    rng = np.random.default_rng(seed)
    base = (rng.random(n) < 0.75).astype(float)
    u = rng.random(n)
    # P(right -> wrong) = 0.02 on 75% of items, P(wrong -> right) = 0.06 on 25%: equal counts.
    cand = np.where(base == 1, u >= 0.02, u < 0.06).astype(float)
    lost = rng.choice(np.flatnonzero(cand), size=round(drop * n), replace=False)
    cand[lost] = 0.0
    return base.tolist(), cand.tolist()


def sample_lines(
    scores: Sequence[float],
    *,
    answers: Sequence[str | None] | None = None,
    epoch: int = 0,
    weights: Sequence[float] | None = None,
    metric: str = "accuracy",
) -> list[dict[str, Any]]:
    """``samples.jsonl`` lines: ids ``q0000``..., gold ``str(i)``, answer right when score is 1."""
    lines = []
    for i, score in enumerate(scores):
        answer = answers[i] if answers is not None else (str(i) if score == 1 else f"{i}x")
        lines.append(
            {
                "id": f"q{i:04d}",
                "index": i,
                "epoch": epoch,
                "target": str(i),
                "answer": answer,
                "completion": f"The answer is {answer}",
                "score": score,
                "metrics": {metric: score},
                "weights": {metric: weights[i]} if weights is not None else None,
                "error": None,
            }
        )
    return lines


def summary(values: Sequence[float]) -> dict[str, Any]:
    """A metric summary with a normal-approximation interval (tests need no bootstrap)."""
    n = len(values)
    mean = math.fsum(values) / n
    se = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1) / n) if n > 1 else 0.0
    return {
        "mean": round(mean, 6),
        "stderr": round(se, 6),
        "ci_low": round(max(0.0, mean - 1.96 * se), 6),
        "ci_high": round(min(1.0, mean + 1.96 * se), 6),
        "n": n,
        "total_weight": float(n),
    }


def write_run(
    root: Path,
    name: str,
    lines: Sequence[Mapping[str, Any]],
    *,
    model: str = "mock/alpha",
    label: str = "gsm8k",
    version: str = "1",
    finished: str = "2026-01-02T03:04:05Z",
    metrics: Mapping[str, Any] | None = None,
    status: str = "complete",
    dataset: Mapping[str, Any] | None = None,
    config: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
) -> Path:
    """Write a run folder ``root/name`` and return its path."""
    values = [float(ln["metrics"]["accuracy"]) for ln in lines if ln.get("metrics")]
    record = RunRecord(
        run_id=name,
        status=status,  # type: ignore[arg-type]
        created_at=finished,
        finished_at=finished,
        task={
            "name": label.split(":")[0],
            "variant": label.split(":")[1] if ":" in label else None,
            "label": label,
            "version": version,
            "scorer": "numeric",
            "primary_metric": "accuracy",
            "params": dict(params or {}),
        },
        dataset={
            "source": "local:gsm8k/test.jsonl",
            "split": "test",
            "sha256": DATA_SHA,
            "selection_sha256": SELECTION_SHA,
            "rows": len(lines),
            "selected": len(lines),
            **(dataset or {}),
        },
        model={"spec": model},
        generation={"temperature": 0.0},
        config={"limit": None, "sample": None, "task_args": {}, **(config or {})},
        provenance={
            "evalkit_version": "0.1.0",
            "git_commit": "0123456789abcdef",
            "git_dirty": False,
        },
        metrics={"accuracy": dict(metrics) if metrics else summary(values)} if values else {},
        counts={"samples": len(lines), "scored": len(values), "errors": len(lines) - len(values)},
    )
    run_dir = root / name
    run_dir.mkdir(parents=True)
    write_record(run_dir, record)
    write_samples_sorted(run_dir, lines)
    return run_dir
