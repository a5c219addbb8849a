"""Results tables: one pandas DataFrame over many run folders, rendered as markdown, CSV or JSON.

Scores are fractions in the DataFrame, CSV and JSON; the markdown rendering shows percentages
with their 95% confidence interval. Metric keys with a ``/`` (per-type breakdowns such as
IFEval's ``inst_strict/<type>``) stay out of the overview and show with ``--by``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from evalkit.errors import ConfigError
from evalkit.records.io import RunRecord, read_record
from evalkit.reports.units import format_score

if TYPE_CHECKING:
    from rich.table import Table

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
        if "std" in m:  # the spread over epochs (``<metric>:epochs``): shown as mean ± std
            cells[f"{key}_std"] = m["std"]
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
    """Load the runs and return their table (one row per run, or per group with ``by``).

    Raises:
        ConfigError: ``by`` names a breakdown none of the runs has.
    """
    rows: list[dict[str, Any]] = []
    found: set[str] = set()
    for run_dir in run_dirs:
        record = read_record(run_dir)
        rows.extend(group_rows(record, run_dir, by) if by else [run_row(record, run_dir)])
        found |= set(record.groups) | {k.split("/", 1)[0] for k in record.metrics if "/" in k}
    if by and not rows and run_dirs:
        known = ", ".join(sorted(found)) or "none"
        raise ConfigError(f"--by: no breakdown '{by}' in these runs (breakdowns: {known})")
    return pd.DataFrame(rows)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Render a plain GitHub markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def to_markdown(df: pd.DataFrame) -> str:
    """Render the table with scores as percentages and their 95% CI."""
    if df.empty:
        return "(no runs)\n"
    plain_cols, metric_cols = _columns(df)
    return markdown_table(plain_cols + metric_cols, _cells(df, plain_cols, metric_cols))


def _columns(df: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The table's plain columns and its metric columns (those with a CI)."""
    metric_cols = [c for c in df.columns if f"{c}_ci_low" in df.columns]
    ci = ("_ci_low", "_ci_high", "_std")
    plain = [c for c in df.columns if c not in metric_cols and not c.endswith(ci)]
    return plain, metric_cols


def _cells(df: pd.DataFrame, plain: Sequence[str], metrics: Sequence[str]) -> list[list[str]]:
    """Every row's cells: plain values as text, metrics as percent with their CI."""
    rows = []
    for rec in df.to_dict(orient="records"):
        cells = ["" if _missing(rec[c]) else str(rec[c]) for c in plain]
        cells += [format_score(rec[c], rec[f"{c}_ci_low"], rec[f"{c}_ci_high"], c) for c in metrics]
        for n, c in enumerate(metrics, start=len(plain)):
            std = rec.get(f"{c}_std")
            if not _missing(std) and not _missing(rec[c]):
                cells[n] += f" ± {format_score(std, None, None, c)}"
        rows.append(cells)
    return rows


def to_rich(df: pd.DataFrame) -> Table:
    """The table for a terminal: the same cells as markdown, without the run id column."""
    from rich.table import Table

    table = Table(title="evalkit results (percent, 95% CI)", title_justify="left")
    if df.empty:
        return table
    plain, metric_cols = _columns(df)
    shown = [c for c in plain if c != "run"]
    for c in shown:
        table.add_column(c, justify="right" if c in INFO_COLUMNS[4:] else "left")
    for c in metric_cols:
        table.add_column(c, justify="right", style="bold" if c == metric_cols[0] else None)
    for cells in _cells(df, shown, metric_cols):
        table.add_row(*cells)
    return table


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def render(df: pd.DataFrame, fmt: TableFormat) -> str:
    """Render the table as markdown, CSV or JSON (records)."""
    if fmt == "csv":
        return str(df.to_csv(index=False))
    if fmt == "json":
        return str(df.to_json(orient="records", indent=2)) + "\n"
    return to_markdown(df)
