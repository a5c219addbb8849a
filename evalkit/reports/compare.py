"""Paired comparison of two runs: matched items, flips, and the paired difference per task.

A *side* of a comparison is one run folder or a folder holding several run folders (one per
task); runs are matched across sides by task label (``gsm8k``, ``gsm8k:cot_8shot``). Within a
task, items are matched by ``(sample id, epoch)`` and scored by the task's primary metric; samples
that failed (``error``) or lack the metric are left out, and counted.

The statistics treat each sample id as one item: with several epochs, an item's value is its mean
over the epochs both runs scored (weighted by the metric's weights), so repeated draws of one
question are not mistaken for independent evidence. Flips are listed per ``(id, epoch)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.errors import ResultsError
from evalkit.records.io import dumps, read_samples
from evalkit.records.runs import Run, incomparabilities, runs_by_label
from evalkit.records.schema import SampleLine
from evalkit.reports.table import markdown_table
from evalkit.stats.metrics import json_float
from evalkit.stats.paired import PairedDiff, mcnemar_exact, paired_bootstrap

ItemKey = tuple[str, int]
"""``(sample id, epoch)``."""


@dataclass(frozen=True, slots=True)
class Flip:
    """An item scored differently by the two runs.

    Attributes:
        id: Sample id.
        epoch: Epoch of the sample.
        gold: The gold answer.
        base_answer: The answer the baseline's scorer extracted (``None``: none found).
        cand_answer: The candidate's extracted answer.
        base_score: The baseline's value of the primary metric.
        cand_score: The candidate's value.
    """

    id: str
    epoch: int
    gold: str
    base_answer: str | None
    cand_answer: str | None
    base_score: float
    cand_score: float

    @property
    def lost(self) -> bool:
        """True when the candidate scored lower than the baseline on this item."""
        return self.cand_score < self.base_score


@dataclass(frozen=True, slots=True)
class Pairing:
    """Two runs' samples matched by ``(id, epoch)``, in the baseline's dataset order.

    Attributes:
        keys: The matched ``(id, epoch)`` keys.
        base: Baseline values of the metric, one per key.
        cand: Candidate values, one per key.
        weights: The baseline's weight of the metric for each key (1 when none).
        base_only: Scored samples only the baseline has.
        cand_only: Scored samples only the candidate has.
        flips: The matched items whose values differ.
    """

    keys: tuple[ItemKey, ...]
    base: tuple[float, ...]
    cand: tuple[float, ...]
    weights: tuple[float, ...]
    base_only: int
    cand_only: int
    flips: tuple[Flip, ...]


def _scored(lines: Sequence[SampleLine], metric: str) -> dict[ItemKey, SampleLine]:
    """The samples that produced a value of ``metric``, by ``(id, epoch)``."""
    out: dict[ItemKey, SampleLine] = {}
    for line in lines:
        if line.get("error") is None and metric in (line.get("metrics") or {}):
            out[(str(line["id"]), int(line.get("epoch", 0)))] = line
    return out


def _value(line: SampleLine, metric: str) -> float:
    """The line's value of ``metric`` (present: :func:`_scored` kept only such lines)."""
    return float((line.get("metrics") or {})[metric])


def _flip(key: ItemKey, b: SampleLine, c: SampleLine, metric: str) -> Flip:
    return Flip(
        key[0],
        key[1],
        str(b.get("target", "")),
        b.get("answer"),
        c.get("answer"),
        _value(b, metric),
        _value(c, metric),
    )


def pair_samples(
    base_lines: Sequence[SampleLine], cand_lines: Sequence[SampleLine], metric: str
) -> Pairing:
    """Match two runs' ``samples.jsonl`` lines by ``(id, epoch)`` on one metric.

    Args:
        base_lines: The baseline's sample lines.
        cand_lines: The candidate's sample lines.
        metric: The per-sample metric to compare (the task's primary metric).

    Returns:
        The pairing, in the baseline's dataset order (index, then epoch).
    """
    base, cand = _scored(base_lines, metric), _scored(cand_lines, metric)
    keys = sorted(base.keys() & cand.keys(), key=lambda k: (int(base[k].get("index", 0)), k))
    b = tuple(_value(base[k], metric) for k in keys)
    c = tuple(_value(cand[k], metric) for k in keys)
    w = tuple(float((base[k].get("weights") or {}).get(metric, 1.0)) for k in keys)
    flips = tuple(
        _flip(k, base[k], cand[k], metric) for k, x, y in zip(keys, b, c, strict=True) if x != y
    )
    return Pairing(
        tuple(keys), b, c, w, len(base.keys() - cand.keys()), len(cand.keys() - base.keys()), flips
    )


def item_values(pairing: Pairing) -> tuple[list[float], list[float], list[float] | None]:
    """Return per-item ``(base, cand, weights)`` for the statistics, epochs folded into items.

    Weights are ``None`` when every item weighs the same single sample, which lets the drop test
    use its exact-size score test on 0/1 scores.
    """
    ids = [k[0] for k in pairing.keys]
    if len(set(ids)) == len(ids):
        unit = all(w == 1.0 for w in pairing.weights)
        return list(pairing.base), list(pairing.cand), None if unit else list(pairing.weights)
    sums: dict[str, list[float]] = {}  # id -> [sum w*base, sum w*cand, sum w]
    for key, b, c, w in zip(pairing.keys, pairing.base, pairing.cand, pairing.weights, strict=True):
        acc = sums.setdefault(key[0], [0.0, 0.0, 0.0])
        acc[0], acc[1], acc[2] = acc[0] + w * b, acc[1] + w * c, acc[2] + w
    kept = [s for s in sums.values() if s[2] > 0]
    return [s[0] / s[2] for s in kept], [s[1] / s[2] for s in kept], [s[2] for s in kept]


def weighted_mean(values: Sequence[float], weights: Sequence[float] | None) -> float:
    """``sum(w * v) / sum(w)`` (unit weights for ``None``); NaN when the total weight is 0."""
    w = [1.0] * len(values) if weights is None else list(weights)
    total = math.fsum(w)
    return math.fsum(v * x for v, x in zip(values, w, strict=True)) / total if total else math.nan


@dataclass(frozen=True, slots=True)
class TaskComparison:
    """One task compared between a baseline run and a candidate run.

    Attributes:
        label: The task label.
        metric: The primary metric compared.
        base: The baseline run.
        cand: The candidate run.
        pairing: The matched samples and flips.
        base_mean: The baseline's mean over the matched items.
        cand_mean: The candidate's mean over the matched items.
        diff: ``cand - base`` with its paired 95% bootstrap CI.
        mcnemar_p: Exact McNemar p-value (0/1 unweighted scores, one epoch), else ``None``.
        notes: Why the runs may not be comparable (empty when they are).
    """

    label: str
    metric: str
    base: Run
    cand: Run
    pairing: Pairing
    base_mean: float
    cand_mean: float
    diff: PairedDiff
    mcnemar_p: float | None
    notes: tuple[str, ...]

    @property
    def pairing_n(self) -> int:
        """Number of matched samples (``(id, epoch)`` pairs)."""
        return len(self.pairing.keys)

    @property
    def lost(self) -> int:
        """Matched items the candidate scored lower on."""
        return sum(1 for f in self.pairing.flips if f.lost)

    @property
    def gained(self) -> int:
        """Matched items the candidate scored higher on."""
        return len(self.pairing.flips) - self.lost


def variant_note(base: Run, cand: Run) -> list[str]:
    """A note when two runs of one task ran different variants."""
    if base.label == cand.label:
        return []
    return [f"variant differs: baseline {base.label}, candidate {cand.label}"]


def compare_runs(base: Run, cand: Run, *, n_boot: int = 2000, seed: int = 0) -> TaskComparison:
    """Compare two runs of one task item by item on the baseline's primary metric.

    Args:
        base: The baseline run.
        cand: The candidate run.
        n_boot: Bootstrap replicates of the CI.
        seed: Bootstrap seed (the same inputs and seed give the same interval).

    Returns:
        The comparison; with no matched items its means and interval are NaN.

    Raises:
        ResultsError: A ``samples.jsonl`` is unreadable.
    """
    metric = str(base.record.task.get("primary_metric", ""))
    pairing = pair_samples(
        read_samples(base.path, complete=True), read_samples(cand.path, complete=True), metric
    )
    b, c, w = item_values(pairing)
    binary = w is None and all(v in (0.0, 1.0) for v in (*b, *c))
    lost = sum(1 for f in pairing.flips if f.lost)
    return TaskComparison(
        label=base.label if base.label == cand.label else f"{base.label} vs {cand.label}",
        metric=metric,
        base=base,
        cand=cand,
        pairing=pairing,
        base_mean=weighted_mean(b, w),
        cand_mean=weighted_mean(c, w),
        diff=paired_bootstrap(b, c, weights=w, n_boot=n_boot, seed=seed),
        mcnemar_p=mcnemar_exact(lost, len(pairing.flips) - lost) if binary else None,
        notes=tuple(variant_note(base, cand) + incomparabilities(base.record, cand.record)),
    )


@dataclass(frozen=True, slots=True)
class Comparison:
    """Every task two sides have in common, compared.

    Attributes:
        base: The baseline side as given.
        cand: The candidate side as given.
        tasks: One comparison per common task label, labels sorted.
        base_only: Task labels only the baseline side has.
        cand_only: Task labels only the candidate side has.
    """

    base: Path
    cand: Path
    tasks: tuple[TaskComparison, ...]
    base_only: tuple[str, ...]
    cand_only: tuple[str, ...]


def compare(base: Path, cand: Path, *, n_boot: int = 2000, seed: int = 0) -> Comparison:
    """Compare two sides (run folders, or folders of runs) task by task.

    Two single runs of the same task in different variants are compared with each other (the
    gain from a tool, a prompt or a few-shot set), with a note naming the variants.

    Raises:
        ResultsError: A side has no complete run, the sides share no task, or a file is
            unreadable.
    """
    b, c = runs_by_label(base), runs_by_label(cand)
    common = sorted(b.keys() & c.keys())
    if not common and len(b) == len(c) == 1:
        # Two single runs of one task in different variants (gsm8k against
        # gsm8k:code_interpreter): the same items, paired; the notes say what differs.
        br, cr = next(iter(b.values())), next(iter(c.values()))
        if br.record.task.get("name") == cr.record.task.get("name"):
            pair = (compare_runs(br, cr, n_boot=n_boot, seed=seed),)
            return Comparison(base, cand, pair, (), ())
    if not common:
        raise ResultsError(
            f"no task in common: baseline has {', '.join(b)}; candidate has {', '.join(c)}"
        )
    return Comparison(
        base,
        cand,
        tuple(compare_runs(b[t], c[t], n_boot=n_boot, seed=seed) for t in common),
        tuple(sorted(b.keys() - c.keys())),
        tuple(sorted(c.keys() - b.keys())),
    )


def cell(text: str | None, limit: int = 60) -> str:
    """Make untrusted text (model answers) safe for one markdown table cell.

    Whitespace runs become one space, long text is cut to ``limit`` characters, and ``& < >``
    are escaped so an answer cannot inject HTML into a rendered job summary or comment
    (``markdown_table`` escapes the ``|``).
    """
    if text is None:
        return "(none)"
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def points(x: float, signed: bool = False) -> str:
    """Format a 0-1 score as percentage points with 2 decimals (``n/a`` for NaN)."""
    if math.isnan(x):
        return "n/a"
    return f"{100 * x:+.2f}" if signed else f"{100 * x:.2f}"


def change(d: PairedDiff) -> str:
    """Format a paired difference as ``-3.03 [-4.17, -1.90]`` points."""
    return f"{points(d.diff, True)} [{points(d.ci_low, True)}, {points(d.ci_high, True)}]"


def flip_table(flips: Sequence[Flip], limit: int | None = None) -> str:
    """Render flipped items as a markdown table, the first ``limit`` only when given."""
    shown = flips if limit is None else flips[:limit]
    rows = [
        [cell(f.id), str(f.epoch), "lost" if f.lost else "gained", cell(f.gold)]
        + [cell(f.base_answer), cell(f.cand_answer)]
        for f in shown
    ]
    headers = ["id", "epoch", "flip", "gold", "baseline answer", "candidate answer"]
    more = len(flips) - len(shown)
    return markdown_table(headers, rows) + (f"\n… and {more} more.\n" if more > 0 else "")


def to_markdown(comparison: Comparison, max_flips: int | None = None) -> str:
    """Render a comparison: a summary table, then each task's flipped items."""
    headers = ["task", "metric", "n", "baseline", "candidate", "change [95% CI]"]
    headers += ["lost", "gained", "McNemar p"]
    rows = [
        [cell(t.label), cell(t.metric), str(t.pairing_n), points(t.base_mean)]
        + [points(t.cand_mean), change(t.diff), str(t.lost), str(t.gained)]
        + ["—" if t.mcnemar_p is None else f"{t.mcnemar_p:.3g}"]
        for t in comparison.tasks
    ]
    out = [f"# Comparison\n\nBaseline `{comparison.base}`, candidate `{comparison.cand}`.\n"]
    out.append("Scores in points; the change is candidate − baseline over the matched items.\n")
    out.append(markdown_table(headers, rows))
    for side, labels in (("baseline", comparison.base_only), ("candidate", comparison.cand_only)):
        if labels:
            out.append(f"Only in the {side}: {', '.join(cell(x) for x in labels)}.\n")
    for t in comparison.tasks:
        out.append(f"## {cell(t.label)}: {t.lost} lost, {t.gained} gained\n")
        out.extend(f"- Note: {cell(n, 200)}\n" for n in t.notes)
        unmatched = t.pairing.base_only + t.pairing.cand_only
        if unmatched:
            out.append(f"- {unmatched} scored samples are in one run only and were left out.\n")
        out.append(flip_table(t.pairing.flips, max_flips) if t.pairing.flips else "No flips.\n")
    return "\n".join(out)


def _task_json(t: TaskComparison) -> dict[str, Any]:
    return {
        "task": t.label,
        "metric": t.metric,
        "baseline_run": t.base.record.run_id,
        "candidate_run": t.cand.record.run_id,
        "n": t.pairing_n,
        "baseline_only": t.pairing.base_only,
        "candidate_only": t.pairing.cand_only,
        "baseline_mean": json_float(t.base_mean),
        "candidate_mean": json_float(t.cand_mean),
        "diff": t.diff.to_dict(),
        "mcnemar_p": None if t.mcnemar_p is None else json_float(t.mcnemar_p),
        "lost": t.lost,
        "gained": t.gained,
        "notes": list(t.notes),
        "flips": [
            {**{k: getattr(f, k) for k in Flip.__slots__}, "flip": "lost" if f.lost else "gained"}
            for f in t.pairing.flips
        ],
    }


def to_json(comparison: Comparison) -> str:
    """Render a comparison as JSON (sorted keys, floats rounded to 6 decimals)."""
    return dumps(
        {
            "baseline": str(comparison.base),
            "candidate": str(comparison.cand),
            "baseline_only": list(comparison.base_only),
            "candidate_only": list(comparison.cand_only),
            "tasks": [_task_json(t) for t in comparison.tasks],
        }
    )
