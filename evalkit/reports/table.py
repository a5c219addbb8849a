"""Results tables: one pandas DataFrame over many run folders, rendered as markdown, CSV or JSON.

Scores are fractions in the DataFrame, CSV and JSON; the markdown rendering shows percentages
with their 95% confidence interval. Metric keys with a ``/`` (per-type breakdowns such as
IFEval's ``inst_strict/<type>``) stay out of the overview and show with ``--by``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from evalkit.records.io import RunRecord, read_record

TableFormat = Literal["markdown", "csv", "json"]
INFO_COLUMNS = ("run", "model", "task", "version", "n", "errors", "no_answer", "truncated")


def _metric_cells(metrics: Mapping[str, Any], primary: str) -> dict[str, Any]:
    keys = sorted(k for k in metrics if "/" not in k)
    if primary in keys:
        keys.remove(primary)
        keys.insert(0, primary)
    cells: dict[str, Any] = {}
    for key in keys:
        m = metrics[key]
        cells[key] = m.get("mean")
        cells[f"{key}_ci_low"] = m.get("ci_low")
        cells[f"{key}_ci_high"] = m.get("ci_high")
    return cells


def run_row(record: RunRecord, run_dir: Path) -> dict[str, Any]:
    """Return one table row for a run."""
    c = record.counts
    return {
        "run": run_dir.name,
        "model": record.model_name(),
        "task": record.task.get("label", ""),
        "version": record.task.get("version", ""),
        "n": c.get("scored", 0),
        "errors": c.get("errors", 0),
        "no_answer": c.get("no_answer", 0),
        "truncated": c.get("truncated", 0),
        **_metric_cells(record.metrics, str(record.task.get("primary_metric", ""))),
    }


def group_rows(record: RunRecord, run_dir: Path, by: str) -> list[dict[str, Any]]:
    """Return one row per value of the breakdown field ``by`` (or per ``metric/<type>`` key)."""
    base = {
        "run": run_dir.name,
        "model": record.model_name(),
        "task": record.task.get("label", ""),
    }
    primary = str(record.task.get("primary_metric", ""))
    rows = []
    for value, metrics in record.groups.get(by, {}).items():
        n = max((m.get("n", 0) for m in metrics.values()), default=0)
        rows.append({**base, by: value, "n": n, **_metric_cells(metrics, primary)})
    prefix = f"{by}/"
    for key in sorted(k for k in record.metrics if k.startswith(prefix)):
        m = record.metrics[key]
        rows.append(
            {
                **base,
                by: key[len(prefix) :],
                "n": m.get("n", 0),
                by + "_mean": m.get("mean"),
                f"{by}_ci_low": m.get("ci_low"),
                f"{by}_ci_high": m.get("ci_high"),
            }
        )
    return rows


def build_table(run_dirs: Sequence[Path], by: str | None = None) -> pd.DataFrame:
    """Load the runs and return their table (one row per run, or per group with ``by``)."""
    rows: list[dict[str, Any]] = []
    for run_dir in run_dirs:
        record = read_record(run_dir)
        rows.extend(group_rows(record, run_dir, by) if by else [run_row(record, run_dir)])
    return pd.DataFrame(rows)


def _fmt_score(mean: Any, low: Any, high: Any) -> str:
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "n/a"
    text = f"{100 * mean:.2f}"
    if isinstance(low, float) and isinstance(high, float) and not math.isnan(low):
        text += f" [{100 * low:.2f}, {100 * high:.2f}]"
    return text


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Render a plain GitHub markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def to_markdown(df: pd.DataFrame) -> str:
    """Render the table with scores as percentages and their 95% CI."""
    if df.empty:
        return "(no runs)\n"
    metric_cols = [c for c in df.columns if f"{c}_ci_low" in df.columns]
    plain_cols = [
        c for c in df.columns if c not in metric_cols and not c.endswith(("_ci_low", "_ci_high"))
    ]
    headers = plain_cols + metric_cols
    rows = []
    for rec in df.to_dict(orient="records"):
        cells = ["" if _missing(rec[c]) else str(rec[c]) for c in plain_cols]
        cells += [_fmt_score(rec[c], rec[f"{c}_ci_low"], rec[f"{c}_ci_high"]) for c in metric_cols]
        rows.append(cells)
    return markdown_table(headers, rows)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def render(df: pd.DataFrame, fmt: TableFormat) -> str:
    """Render the table as markdown, CSV or JSON (records)."""
    if fmt == "csv":
        return str(df.to_csv(index=False))
    if fmt == "json":
        return str(df.to_json(orient="records", indent=2)) + "\n"
    return to_markdown(df)
