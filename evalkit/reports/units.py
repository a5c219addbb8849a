"""How scores are shown: percent with the 95% CI, the same in every table, line and report.

Kept apart from the pandas tables so the run's own summary lines cost no heavy import.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from evalkit.records.io import RunRecord

COUNT_METRICS = frozenset({"tool_calls", "turns", "rating"})
"""Per-sample metrics that are counts or ratings (a judge's 1-10), not fractions: shown as they
are, not as percents."""


def format_score(mean: Any, low: Any, high: Any, metric: str = "") -> str:
    """A score as evalkit shows it everywhere: percent with its 95% CI (counts as they are).

    >>> format_score(0.6933, 0.6432, 0.7433)
    '69.33 [64.32, 74.33]'
    >>> format_score(1.5, 1.2, 1.8, "tool_calls")
    '1.50 [1.20, 1.80]'
    """
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "n/a"
    scale = 1 if metric in COUNT_METRICS else 100
    text = f"{scale * mean:.2f}"
    if isinstance(low, float) and isinstance(high, float) and not math.isnan(low):
        text += f" [{scale * low:.2f}, {scale * high:.2f}]"
    return text


def summary_line(record: RunRecord, run_dir: Path) -> str:
    """One line about a finished task: primary metric with its CI, counts, folder."""
    primary = record.primary() or {}
    name = str(record.task.get("primary_metric"))
    low, high = primary.get("ci_low"), primary.get("ci_high")
    shown = f"{name} {format_score(primary.get('mean'), low, high, name)}"
    c = record.counts
    counts = f"n={c['scored']}  errors={c['errors']}  no-answer={c['no_answer']}"
    return f"{shown}  {counts}  truncated={c['truncated']}  → {run_dir}"
