"""Run summaries: metrics, breakdowns, counts and usage computed from a run's sample lines.

A pure function of ``samples.jsonl``: the same lines always give byte-identical metrics, whatever
order the samples finished in, so a resumed or re-scored run reports exactly what an
uninterrupted one would.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from evalkit.records.epochs import epoch_metrics
from evalkit.records.io import RunRecord, utc_now
from evalkit.records.schema import SampleLine
from evalkit.stats.metrics import aggregate, grouped, macro_mean

NO_ANSWER_REASONS = ("no_answer_found", "truncated")
"""Reasons a scorer gives when it could not extract any answer."""


def circular_metric(scored: Sequence[SampleLine], seed: int) -> dict[str, Any]:
    """Circular evaluation: a question counts only if every rotation of its options is right.

    Rotated copies share ``metadata.circular_of``; a question with an errored copy is left out.
    """
    groups: dict[str, list[float]] = {}
    expected: dict[str, int] = {}
    for ln in scored:
        origin = ln["metadata"].get("circular_of")
        if origin is not None:
            groups.setdefault(str(origin), []).append(float(ln["score"] or 0.0))
            expected[str(origin)] = int(ln["metadata"].get("circular_n", 0))
    if not groups:
        return {}
    # A question counts only when every rotation was scored (none errored).
    values = [float(min(v) == 1.0) for k, v in sorted(groups.items()) if len(v) == expected[k]]
    return {
        "circular": aggregate([{"circular": v} for v in values], [{}] * len(values), seed=seed)[
            "circular"
        ].to_dict()
    }


def summarize_lines(
    lines: Sequence[SampleLine], group_by: Sequence[str], seed: int
) -> dict[str, Any]:
    """Compute metrics, per-group metrics, macro averages over groups, and counts.

    ``macro[key][metric]`` is the unweighted mean of the group means (e.g. MMLU's average over
    subjects); ``metrics`` are micro averages over all samples.
    """
    # Dataset order, not completion order: the bootstrap must see the same sequence every time.
    lines = sorted(lines, key=lambda ln: (ln["index"], ln["epoch"], str(ln["id"])))
    scored = [ln for ln in lines if ln["error"] is None and ln["metrics"] is not None]
    rows = [ln.get("metrics") or {} for ln in scored]
    weights = [ln.get("weights") or {} for ln in scored]
    metrics = {k: v.to_dict() for k, v in aggregate(rows, weights, seed=seed).items()}
    metrics.update(circular_metric(scored, seed))
    groups: dict[str, Any] = {}
    macro: dict[str, Any] = {}
    for key in group_by:
        labels = [str(ln["metadata"].get(key)) for ln in scored]
        per = grouped(rows, weights, labels, seed=seed)
        groups[key] = {g: {k: v.to_dict() for k, v in m.items()} for g, m in per.items()}
        names = sorted({k for m in per.values() for k in m if "/" not in k})
        macro[key] = {
            k: _rounded(macro_mean({g: m[k] for g, m in per.items() if k in m})) for k in names
        }
    macro.update(nested_macros(scored, group_by, groups))
    counts = {
        "samples": len(lines),
        "scored": len(scored),
        "errors": len(lines) - len(scored),
        "truncated": sum(1 for ln in lines if ln["finish_reason"] == "length"),
        "no_answer": sum(
            1 for ln in scored if ln["answer"] is None and ln["reason"] in NO_ANSWER_REASONS
        ),
    }
    return {"metrics": metrics, "groups": groups, "macro": macro, "counts": counts}


def nested_macros(
    scored: Sequence[SampleLine], group_by: Sequence[str], groups: Mapping[str, Any]
) -> dict[str, Any]:
    """Means of inner-group means within each outer group, e.g. a category's mean over subjects.

    For every pair of breakdown fields where each ``inner`` value belongs to exactly one
    ``outer`` value (every subject has one category), ``macro["<outer>/<inner>"][outer value]``
    is the unweighted mean over its inner groups: how C-Eval and CMMLU report category scores.
    """
    out: dict[str, Any] = {}
    for outer in group_by:
        for inner in group_by:
            owner: dict[str, set[str]] = {}
            for ln in scored:
                owner.setdefault(str(ln["metadata"].get(inner)), set()).add(
                    str(ln["metadata"].get(outer))
                )
            if inner == outer or any(len(v) != 1 for v in owner.values()):
                continue
            table: dict[str, dict[str, list[float]]] = {}
            for inner_value, (outer_value,) in sorted(owner.items()):
                for metric, summary in groups[inner][inner_value].items():
                    if "/" not in metric and summary.get("mean") is not None:
                        table.setdefault(outer_value, {}).setdefault(metric, []).append(
                            summary["mean"]
                        )
            out[f"{outer}/{inner}"] = {
                o: {m: _rounded(math.fsum(v) / len(v)) for m, v in sorted(ms.items())}
                for o, ms in sorted(table.items())
            }
    return out


def _rounded(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 6)


def scorer_metrics(record: RunRecord, lines: Sequence[SampleLine], seed: int) -> dict[str, Any]:
    """Metrics the task's scorer computes over the whole run (its optional ``summarize``).

    E.g. a length-controlled win rate, a regression over every pair; still a pure function of
    the lines. See :class:`evalkit.scoring.RunSummarizer`.
    """
    from evalkit.scoring import run_metrics  # scorers are imported only when a run ends

    name = str(record.task.get("scorer", ""))
    return run_metrics(name, record.task.get("params") or {}, lines, seed)


def finalize_record(
    record: RunRecord, lines: Sequence[SampleLine], wall_s: float
) -> RunRecord:
    """Return the ``complete`` record with metrics, counts, usage and timings."""
    seed = int(record.config.get("seed", 0))
    summary = summarize_lines(lines, record.task.get("group_by", []), seed)
    summary["metrics"].update(epoch_metrics(lines, record.task["primary_metric"], seed))
    summary["metrics"].update(scorer_metrics(record, lines, seed))
    usage = {"input_tokens": 0, "output_tokens": 0}
    for ln in lines:
        for k in usage:
            usage[k] += int((ln.get("usage") or {}).get(k, 0))
    return record.model_copy(
        update={
            **summary,
            "usage": usage,
            "status": "complete",
            "finished_at": utc_now(),
            "timings": {"wall_s": round(wall_s, 3)},
        }
    )
