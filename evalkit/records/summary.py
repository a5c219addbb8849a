"""Run summaries: metrics, breakdowns, counts and usage computed from a run's sample lines.

A pure function of ``samples.jsonl``: the same lines always give byte-identical metrics, whatever
order the samples finished in, so a resumed or re-scored run reports exactly what an
uninterrupted one would.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from evalkit.records.epochs import epoch_metrics
from evalkit.records.io import RunRecord, utc_now
from evalkit.records.schema import SampleLine
from evalkit.stats.metrics import aggregate, grouped, macro_mean

NO_ANSWER_REASONS = ("no_answer_found", "truncated")
"""Reasons a scorer gives when it could not extract any answer."""


_NO_WEIGHTS: Mapping[str, float] = {}


class SummaryColumns:
    """What the summary needs of each line, gathered in one pass over lines in dataset order.

    Only numbers and labels are kept (never prompts or completions), so a run's lines can be
    summarized as they stream from ``samples.jsonl``.
    """

    def __init__(self, group_by: Sequence[str], fold_epochs: bool = False) -> None:
        self.group_by = list(group_by)
        self.fold_epochs = fold_epochs
        """Several epochs: each item's draws are folded into one row (see :meth:`folded`)."""
        self._items: dict[str, tuple[dict[str, float], dict[str, float], list[str]]] = {}
        self._draws: dict[str, int] = {}
        self.samples = self.truncated = self.no_answer = 0
        self.rows: list[Mapping[str, float]] = []
        self.weights: list[Mapping[str, float]] = []
        self.labels: dict[str, list[str]] = {key: [] for key in self.group_by}
        self.circular: list[tuple[str, float, int]] = []
        self.usage = {"input_tokens": 0, "output_tokens": 0}
        self._interned: dict[str, str] = {}

    def add(self, ln: SampleLine) -> None:
        """Take one line (lines must come in dataset order: the bootstrap sees that order)."""
        self.samples += 1
        self.truncated += ln["finish_reason"] == "length"
        for k, v in (ln.get("usage") or {}).items():
            if k in self.usage:
                self.usage[k] += int(v)
        if ln["error"] is not None or ln["metrics"] is None:
            return
        self.no_answer += ln["answer"] is None and ln["reason"] in NO_ANSWER_REASONS
        metadata = ln["metadata"]
        labels = [str(metadata.get(key)) for key in self.group_by]
        if self.fold_epochs:
            self._fold(str(ln["id"]), ln.get("metrics") or {}, ln.get("weights") or {}, labels)
        else:
            self.rows.append(ln.get("metrics") or {})
            self.weights.append(ln.get("weights") or _NO_WEIGHTS)
            for key, label in zip(self.group_by, labels, strict=True):
                self.labels[key].append(self._interned.setdefault(label, label))
        origin = metadata.get("circular_of")
        if origin is not None:
            n = int(metadata.get("circular_n", 0))
            self.circular.append((str(origin), float(ln["score"] or 0.0), n))

    def _fold(
        self,
        item: str,
        metrics: Mapping[str, float],
        weights: Mapping[str, float],
        labels: list[str],
    ) -> None:
        sums, totals, _ = self._items.setdefault(item, ({}, {}, labels))
        self._draws[item] = self._draws.get(item, 0) + 1
        for key, value in metrics.items():
            w = float(weights.get(key, 1.0))
            sums[key] = sums.get(key, 0.0) + value * w
            totals[key] = totals.get(key, 0.0) + w

    def folded(self) -> None:
        """Turn the folded items into rows: each item's mean over its draws.

        Each row is weighted by its draws' total weight, so the means equal the per-draw
        means; the intervals and ``n`` are over items, since repeated draws of one question
        are not independent evidence.
        """
        for sums, totals, labels in self._items.values():
            self.rows.append({k: sums[k] / totals[k] if totals[k] else 0.0 for k in sums})
            self.weights.append(totals)
            for key, label in zip(self.group_by, labels, strict=True):
                self.labels[key].append(self._interned.setdefault(label, label))
        self._items.clear()
        self._draws.clear()

    def summary(self, seed: int) -> dict[str, Any]:
        """Metrics, per-group metrics, macro averages and counts (see :func:`summarize_lines`)."""
        scored = len(self.rows) + sum(self._draws.values())
        self.folded()
        rows, weights = self.rows, self.weights
        metrics = {k: v.to_dict() for k, v in aggregate(rows, weights, seed=seed).items()}
        metrics.update(circular_metric(self.circular, seed))
        groups: dict[str, Any] = {}
        macro: dict[str, Any] = {}
        for key in self.group_by:
            per = grouped(rows, weights, self.labels[key], seed=seed)
            groups[key] = {g: {k: v.to_dict() for k, v in m.items()} for g, m in per.items()}
            names = sorted({k for m in per.values() for k in m if "/" not in k})
            macro[key] = {
                k: _rounded(macro_mean({g: m[k] for g, m in per.items() if k in m})) for k in names
            }
        macro.update(nested_macros(self.labels, self.group_by, groups))
        counts = {
            "samples": self.samples,
            "scored": scored,
            "errors": self.samples - scored,
            "truncated": self.truncated,
            "no_answer": self.no_answer,
        }
        return {"metrics": metrics, "groups": groups, "macro": macro, "counts": counts}


def circular_metric(copies: Sequence[tuple[str, float, int]], seed: int) -> dict[str, Any]:
    """Circular evaluation: a question counts only if every rotation of its options is right.

    ``copies`` holds each scored rotated copy's ``metadata.circular_of``, score and
    ``metadata.circular_n``; a question with an errored copy is left out.
    """
    groups: dict[str, list[float]] = {}
    expected: dict[str, int] = {}
    for origin, score, n in copies:
        groups.setdefault(origin, []).append(score)
        expected[origin] = n
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
    columns = SummaryColumns(group_by)
    # Dataset order, not completion order: the bootstrap must see the same sequence every time.
    for ln in sorted(lines, key=line_order):
        columns.add(ln)
    return columns.summary(seed)


def nested_macros(
    labels: Mapping[str, Sequence[str]], group_by: Sequence[str], groups: Mapping[str, Any]
) -> dict[str, Any]:
    """Means of inner-group means within each outer group, e.g. a category's mean over subjects.

    For every pair of breakdown fields where each ``inner`` value belongs to exactly one
    ``outer`` value (every subject has one category), ``macro["<outer>/<inner>"][outer value]``
    is the unweighted mean over its inner groups: how C-Eval and CMMLU report category scores.
    ``labels[field]`` holds each scored line's value of that field.
    """
    out: dict[str, Any] = {}
    for outer in group_by:
        for inner in group_by:
            owner: dict[str, set[str]] = {}
            for inner_value, outer_value in zip(labels[inner], labels[outer], strict=True):
                owner.setdefault(inner_value, set()).add(outer_value)
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


def line_order(line: SampleLine) -> tuple[int, int, str]:
    """Dataset order: index, epoch, then id (rotated copies of a question share an index)."""
    return (line["index"], line["epoch"], str(line["id"]))


def needs_every_line(record: RunRecord) -> bool:
    """Whether run-level metrics read whole lines: several epochs, or a scorer's ``summarize``."""
    if int(record.config.get("epochs", 1) or 1) > 1:
        return True
    from evalkit.scoring import SCORERS, RunSummarizer

    name = str(record.task.get("scorer", ""))
    if not SCORERS.has(name):
        return False
    return isinstance(SCORERS.get(name)(record.task.get("params") or {}), RunSummarizer)


def finalize_record(record: RunRecord, lines: Sequence[SampleLine], wall_s: float) -> RunRecord:
    """Return the ``complete`` record with metrics, counts, usage and timings."""
    return finalize_ordered(record, sorted(lines, key=line_order), wall_s)


def finalize_ordered(record: RunRecord, ordered: Iterable[SampleLine], wall_s: float) -> RunRecord:
    """:func:`finalize_record` of lines that come in dataset order, read once.

    Only the summary's numbers and labels are kept from each line, unless run-level metrics
    need every line (:func:`needs_every_line`): a 100,000-sample run is summarized as it
    streams from its file.
    """
    seed = int(record.config.get("seed", 0))
    epochs = int(record.config.get("epochs", 1) or 1)
    columns = SummaryColumns(record.task.get("group_by", []), fold_epochs=epochs > 1)
    kept: list[SampleLine] | None = [] if needs_every_line(record) else None
    for ln in ordered:
        columns.add(ln)
        if kept is not None:
            kept.append(ln)
    summary = columns.summary(seed)
    if kept is not None:
        summary["metrics"].update(epoch_metrics(kept, record.task["primary_metric"], seed))
        summary["metrics"].update(scorer_metrics(record, kept, seed))
    return record.model_copy(
        update={
            **summary,
            "usage": columns.usage,
            "status": "complete",
            "finished_at": utc_now(),
            "timings": {"wall_s": round(wall_s, 3)},
        }
    )
