"""Metrics over repeated samples (``--epochs N``): majority vote, pass@k, spread over epochs.

With every sample asked N times, three figures join the per-draw means:

- ``maj@N`` (self-consistency, Wang et al. 2023; Minerva's maj1@k): each item's answers are
  voted on — the extracted answers, ``None`` abstaining — and the item scores the primary
  metric of its most frequent answer. Ties go to the answer given in the earliest epoch, so the
  vote is deterministic. An item with no extracted answer scores 0.
- ``pass@k`` for k = 1, 2, 4, ... and N (binary primary metrics only): the unbiased estimator of
  Chen et al. 2021 (:mod:`evalkit.stats.passk`) from each item's n draws and c correct ones.
- ``<metric>:epochs``: the primary metric's mean in each epoch, their mean and standard
  deviation (``per_epoch``, ``mean``, ``std``), the spread a reader needs to judge one number.

Items are sample ids; ``maj`` and ``pass`` values get the usual CI over items.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from evalkit.records.schema import SampleLine
from evalkit.stats.metrics import aggregate
from evalkit.stats.passk import pass_at_k


def _value(line: SampleLine, metric: str) -> float:
    return float((line.get("metrics") or {})[metric])


def _by_item(lines: Sequence[SampleLine], metric: str) -> dict[str, list[SampleLine]]:
    items: dict[str, list[SampleLine]] = defaultdict(list)
    for ln in sorted(lines, key=lambda x: (x["index"], str(x["id"]), x["epoch"])):
        if ln["error"] is None and metric in (ln.get("metrics") or {}):
            items[str(ln["id"])].append(ln)
    return items


def majority(draws: Sequence[SampleLine], metric: str) -> float:
    """The primary metric of the item's most frequent answer (earliest epoch breaks ties)."""
    votes: dict[str, tuple[int, int, float]] = {}
    for ln in draws:
        answer = ln.get("answer")
        if answer is None:
            continue
        count, first, value = votes.get(answer, (0, ln["epoch"], _value(ln, metric)))
        votes[answer] = (count + 1, first, value)
    if not votes:
        return 0.0
    _, _, value = max(votes.values(), key=lambda v: (v[0], -v[1]))
    return float(value)


def _ks(n: int) -> list[int]:
    ks = [k for k in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512) if k < n]
    return [*ks, n]


def epoch_metrics(lines: Sequence[SampleLine], metric: str, seed: int) -> dict[str, Any]:
    """The figures above, or nothing when no sample was asked more than once."""
    items = _by_item(lines, metric)
    n = max((len(d) for d in items.values()), default=0)
    if n < 2:
        return {}
    rows: list[dict[str, float]] = []
    values = [_value(ln, metric) for draws in items.values() for ln in draws]
    binary = all(v in (0.0, 1.0) for v in values)
    for draws in items.values():
        row = {f"maj@{n}": majority(draws, metric)}
        if binary and len(draws) == n:
            c = sum(1 for ln in draws if _value(ln, metric) == 1.0)
            row.update({f"pass@{k}": pass_at_k(n, c, k) for k in _ks(n)})
        rows.append(row)
    summaries = aggregate(rows, [{}] * len(rows), seed=seed)
    out: dict[str, Any] = {k: v.to_dict() for k, v in summaries.items()}
    out[f"{metric}:epochs"] = _spread(lines, metric, n)
    return out


def _spread(lines: Sequence[SampleLine], metric: str, n: int) -> dict[str, Any]:
    sums, counts = [0.0] * n, [0] * n
    for ln in lines:
        value = (ln.get("metrics") or {}).get(metric)
        if ln["error"] is None and value is not None and ln["epoch"] < n:
            sums[ln["epoch"]] += float(value)
            counts[ln["epoch"]] += 1
    means = [s / c for s, c in zip(sums, counts, strict=True) if c]
    mean = sum(means) / len(means)
    spread = sum((m - mean) ** 2 for m in means)
    std = math.sqrt(spread / (len(means) - 1)) if len(means) > 1 else 0.0
    return {
        "per_epoch": [round(m, 6) for m in means],
        "mean": round(mean, 6),
        "std": round(std, 6),
        "n": len(means),
    }
