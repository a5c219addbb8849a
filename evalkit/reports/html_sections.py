"""The server-side sections of an HTML run report: run card, metrics, pass@k, groups, heatmap.

Each function is a pure function of a run record (and, for the heatmap, its sample lines) that
returns template variables: plain strings and numbers. The templates autoescape every string,
so a model name or a group label from a dataset can never become markup; bar widths and cell
colours are numbers formatted here.

Scores are shown in points (a 0-1 metric times 100) with one decimal, like the leaderboard.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from evalkit.records.io import RunRecord
from evalkit.reports.html_payload import sample_value

PASS_AT_K = re.compile(r"^(?P<prefix>.*?)pass@(?P<k>\d+)$")
"""A pass@k metric name, with an optional prefix (``strict/pass@5``)."""

_CARD: tuple[tuple[str, str, bool], ...] = (
    # (section title, record attribute, shown open)
    ("Model", "model", True),
    ("Task", "task", True),
    ("Data", "dataset", True),
    ("Generation", "generation", True),
    ("Counts", "counts", True),
    ("Config", "config", False),
    ("Provenance", "provenance", False),
)


RATING_SCALE = "1-10"
"""``run.json``'s ``judge.scale`` of judge-rated runs (MT-Bench): their scores are ratings."""

SHARE_METRICS = frozenset({"judge_parsed"})
"""Metrics of a rated run that are shares (0-1), not ratings."""


def is_rating(record: RunRecord, metric: str) -> bool:
    """Whether ``metric`` of this run is a 1-10 judge rating (shown as such, not in points)."""
    rated = (record.judge or {}).get("scale") == RATING_SCALE
    return rated and metric not in SHARE_METRICS


def pct(value: Any, rating: bool = False) -> str:
    """Format a 0-1 value as points with one decimal, or a rating with two (``—``: missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{float(value):.2f}" if rating else f"{100 * float(value):.1f}"


def interval(summary: Mapping[str, Any], rating: bool = False) -> str:
    """Format a metric summary's 95% CI as ``[40.2, 44.0]`` (``—`` without one)."""
    low, high = summary.get("ci_low"), summary.get("ci_high")
    return "—" if low is None or high is None else f"[{pct(low, rating)}, {pct(high, rating)}]"


def width(value: Any, rating: bool = False) -> float:
    """Bar width in percent of a 0-1 value (of 10 for a rating), clamped; 0 when missing."""
    if value is None or not math.isfinite(float(value)):
        return 0.0
    scaled = 10 * float(value) if rating else 100 * float(value)
    return round(min(100.0, max(0.0, scaled)), 2)


def shown(value: Any) -> str:
    """One value of the run card as text: ``—`` for none, JSON for lists and tables."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and not value.strip():
        return json.dumps(value)  # a separator of blanks or newlines: show it spelt out
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _flat(table: Mapping[str, Any]) -> dict[str, Any]:
    """One level of nested tables spelt out: ``{"params": {"n_shot": 5}}`` -> ``params.n_shot``."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, Mapping) and value:
            out.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            out[str(key)] = value
    return out


def run_card(record: RunRecord) -> list[dict[str, Any]]:
    """Return the run card: titled sections of ``(key, value)`` rows, the run's own first.

    Provenance and config come last and collapsed; nested tables (task parameters, package
    versions) are spelt out one row per entry.
    """
    run_rows = [
        ("run id", record.run_id),
        ("status", record.status),
        ("created", record.created_at),
        ("finished", record.finished_at),
        ("redacted copy", record.redacted),
        ("usage", record.usage),
        ("timings", record.timings),
    ]
    sections = [{"title": "Run", "open": True, "rows": [(k, shown(v)) for k, v in run_rows]}]
    for title, attr, is_open in _CARD:
        table: Mapping[str, Any] = getattr(record, attr)
        rows = [(k, shown(v)) for k, v in sorted(_flat(table).items())]
        sections.append({"title": title, "open": is_open, "rows": rows})
    return sections


def _summaries(metrics: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The metric summaries that have a mean (circular or nested entries of other shapes skip)."""
    return {k: v for k, v in metrics.items() if isinstance(v, Mapping) and "mean" in v}


def _spread(summary: Mapping[str, Any], rating: bool) -> str | None:
    """The per-epoch means of a ``<metric>:epochs`` entry (``--epochs N``) and their SD."""
    per_epoch = summary.get("per_epoch")
    if not isinstance(per_epoch, list):
        return None
    means = ", ".join(pct(x, rating) for x in per_epoch)
    return f"per epoch {means}; SD {pct(summary.get('std'), rating)}"


def _metric_row(record: RunRecord, name: str, summary: Mapping[str, Any]) -> dict[str, Any]:
    rating = is_rating(record, name.split(":", 1)[0])
    return {
        "name": name,
        "primary": name == record.task.get("primary_metric"),
        "sub": "/" in name,  # a breakdown (IFEval's per-instruction rates): folded away
        "mean": pct(summary.get("mean"), rating),
        "ci": _spread(summary, rating) or interval(summary, rating),
        "stderr": pct(summary.get("stderr"), rating),
        "n": summary.get("n", "—"),
        "width": width(summary.get("mean"), rating),
    }


def metric_rows(record: RunRecord) -> list[dict[str, Any]]:
    """Return the headline metrics, the task's primary metric first, then by name.

    Scores are in points, except the 1-10 ratings of judge-rated runs (:func:`is_rating`).
    """
    primary = str(record.task.get("primary_metric", ""))
    summaries = _summaries(record.metrics)
    names = sorted(summaries, key=lambda k: (k != primary, k))
    return [_metric_row(record, name, summaries[name]) for name in names]


def pass_at_k(record: RunRecord) -> list[dict[str, Any]]:
    """Return one table per family of ``pass@k`` metrics (by prefix), rows sorted by ``k``."""
    families: dict[str, list[tuple[int, Mapping[str, Any]]]] = {}
    for name, summary in _summaries(record.metrics).items():
        match = PASS_AT_K.match(name)
        if match:
            families.setdefault(match["prefix"], []).append((int(match["k"]), summary))
    return [
        {
            "title": f"{prefix}pass@k" if prefix else "",
            "rows": [
                {"k": k, "mean": pct(s.get("mean")), "ci": interval(s), "n": s.get("n", "—")}
                | {"width": width(s.get("mean"))}
                for k, s in sorted(rows, key=lambda r: r[0])
            ],
        }
        for prefix, rows in sorted(families.items())
    ]


def _group_metric(groups: Mapping[str, Any], primary: str) -> str | None:
    """The metric a breakdown is charted on: the primary one, else the first one it has."""
    names = sorted({m for per in groups.values() for m in _summaries(per)})
    return primary if primary in names else (names[0] if names else None)


def group_tables(record: RunRecord) -> list[dict[str, Any]]:
    """Return one table (and bar chart) per breakdown field: subjects, levels, categories ...

    Each row has the group's mean, CI and size on the charted metric; where a nested macro
    average exists (``category/subject``: a category's mean over its subjects), it is a column.
    """
    primary = str(record.task.get("primary_metric", ""))
    tables = []
    for key, groups in sorted(record.groups.items()):
        metric = _group_metric(groups, primary)
        if metric is None:
            continue
        nested = {
            name.split("/", 1)[1]: values
            for name, values in sorted(record.macro.items())
            if name.startswith(f"{key}/") and isinstance(values, Mapping)
        }
        rows, r = [], is_rating(record, metric)
        for label in _axis(set(groups)):  # numeric labels (lengths, levels) in numeric order
            s = _summaries(groups[label]).get(metric, {})
            extra = [pct((values.get(label) or {}).get(metric), r) for values in nested.values()]
            rows.append(
                {"label": str(label), "n": s.get("n", "—"), "mean": pct(s.get("mean"), r)}
                | {"ci": interval(s, r), "width": width(s.get("mean"), r), "nested": extra}
            )
        macro = (record.macro.get(key) or {}).get(metric)
        tables.append(
            {
                "key": key,
                "metric": metric,
                "macro": pct(macro, r),
                "nested": list(nested),
                "rows": rows,
            }
        )
    return tables


def _axis(values: set[str]) -> list[str]:
    """Sort axis labels numerically when every label is a number, else as text."""
    try:
        return sorted(values, key=float)
    except ValueError:
        return sorted(values)


def _colour(mean: float) -> str:
    """A red (0) to green (1) background for a heatmap cell."""
    return f"hsl({120 * min(1.0, max(0.0, mean)):.0f}, 60%, 78%)"


def heatmap(lines: Sequence[Mapping[str, Any]], metric: str) -> dict[str, Any] | None:
    """Return the long-context grid: mean score per (context length, needle depth).

    Built from the scored samples whose metadata has both ``length`` and ``depth``; ``None``
    when there are none. Columns are lengths, rows depths, both in numeric order.
    """
    cells: dict[tuple[str, str], list[float]] = {}
    for line in lines:
        meta = line.get("metadata") or {}
        value = sample_value(line, metric) if line.get("error") is None else None
        if value is not None and "length" in meta and "depth" in meta:
            cells.setdefault((str(meta["length"]), str(meta["depth"])), []).append(value)
    if not cells:
        return None
    lengths, depths = _axis({k[0] for k in cells}), _axis({k[1] for k in cells})
    grid = []
    for depth in depths:
        row = []
        for length in lengths:
            values = cells.get((length, depth))
            mean = math.fsum(values) / len(values) if values else None
            row.append(
                {"text": pct(mean), "n": len(values or ()), "style": _colour(mean)}
                if mean is not None
                else {"text": "", "n": 0, "style": ""}
            )
        grid.append({"depth": depth, "cells": row})
    return {"metric": metric, "lengths": lengths, "rows": grid}
