"""Pictures of runs: the long-context heatmap (needle depth × context length) and its table.

The grid is read from ``run.json`` alone: long-context tasks break their metrics down by
``cell`` (``<length>x<depth>``) and ``length``, so a published copy (no sample text) plots the
same. matplotlib is imported only when a picture is drawn (``evalkit --help`` stays fast); a
bare ``Figure`` renders with Agg, so no display and no global backend switch are needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalkit.errors import ConfigError, ResultsError
from evalkit.records.io import RunRecord, read_record

if TYPE_CHECKING:
    from matplotlib.figure import Figure

CELL_GROUP = "cell"
LENGTH_GROUP = "length"


@dataclass(frozen=True, slots=True)
class Grid:
    """Mean scores per (depth, length): ``scores[i][j]`` is depth ``i`` at length ``j``.

    Attributes:
        lengths: Context lengths in tokens, ascending (the columns).
        depths: Needle depths in percent, ascending (the rows).
        scores: Mean of the metric per cell; ``None`` where no sample was scored.
        metric: The metric shown.
    """

    lengths: tuple[int, ...]
    depths: tuple[float, ...]
    scores: tuple[tuple[float | None, ...], ...]
    metric: str


def _parse_cell(label: str) -> tuple[int, float] | None:
    length, _, depth = label.partition("x")
    try:
        return int(length), float(depth)
    except ValueError:
        return None  # a cell without a depth (common-words extraction)


def run_grid(record: RunRecord, metric: str | None = None) -> Grid:
    """Read the depth × length grid of a long-context run.

    Raises:
        ResultsError: the run has no ``cell`` breakdown (not a long-context run) or no depths.
    """
    metric = metric or str(record.task.get("primary_metric", ""))
    cells = record.groups.get(CELL_GROUP)
    if not isinstance(cells, dict):
        raise ResultsError(
            f"run {record.run_id} has no length x depth grid (group_by 'cell'): "
            "only long-context runs (niah, ruler) can be plotted"
        )
    means: dict[tuple[int, float], float | None] = {}
    for label, summaries in cells.items():
        where = _parse_cell(str(label))
        if where is not None:
            means[where] = (summaries.get(metric) or {}).get("mean")
    if not means:
        raise ResultsError(f"run {record.run_id} has no cell with a needle depth to plot")
    lengths = tuple(sorted({length for length, _ in means}))
    depths = tuple(sorted({depth for _, depth in means}))
    scores = tuple(tuple(means.get((ln, d)) for ln in lengths) for d in depths)
    return Grid(lengths, depths, scores, metric)


def length_label(tokens: int) -> str:
    """``4096`` → ``4K``, ``204800`` → ``200K``, ``1000`` → ``1000``.

    >>> length_label(4096), length_label(204800), length_label(1000)
    ('4K', '200K', '1000')
    """
    return f"{tokens // 1024}K" if tokens % 1024 == 0 else str(tokens)


def _depth_label(depth: float) -> str:
    return f"{depth:g}%"


def heatmap_figure(grid: Grid, title: str) -> Figure:
    """Draw the grid: rows depths (0% at the top), columns lengths, red (0) to green (1)."""
    from matplotlib.figure import Figure

    values = [[math.nan if v is None else v for v in row] for row in grid.scores]
    fig = Figure(figsize=(max(5.0, 1.8 + 0.9 * len(grid.lengths)), 1.8 + 0.42 * len(grid.depths)))
    ax = fig.add_subplot()
    image = ax.imshow(values, cmap="RdYlGn", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(len(grid.lengths)), [length_label(n) for n in grid.lengths])
    ax.set_yticks(range(len(grid.depths)), [_depth_label(d) for d in grid.depths])
    ax.set_xlabel("context length (tokens)")
    ax.set_ylabel("needle depth")
    ax.set_title(title, fontsize=10)
    for i, row in enumerate(grid.scores):
        for j, value in enumerate(row):
            text = "–" if value is None else f"{value:.2f}"
            ax.text(j, i, text, ha="center", va="center", fontsize=7)
    fig.colorbar(image, ax=ax, label=grid.metric)
    fig.tight_layout()
    return fig


def length_table(record: RunRecord, metric: str | None = None) -> str:
    """A markdown table of the metric per context length (mean, 95% CI, samples)."""
    metric = metric or str(record.task.get("primary_metric", ""))
    groups: dict[str, Any] = record.groups.get(LENGTH_GROUP) or {}
    lines = [f"| length | {metric} | 95% CI | n |", "|---:|---:|---|---:|"]
    for label in sorted(groups, key=lambda g: int(g) if g.isdigit() else math.inf):
        s = groups[label].get(metric) or {}
        if s.get("mean") is None:
            continue
        tokens = int(label) if label.isdigit() else 0
        ci = f"[{s['ci_low']:.3f}, {s['ci_high']:.3f}]" if s.get("ci_low") is not None else ""
        lines.append(f"| {length_label(tokens) or label} | {s['mean']:.3f} | {ci} | {s['n']} |")
    return "\n".join(lines)


def plot_run(run_dir: Path, out: Path, metric: str | None = None) -> str:
    """Write the heatmap of ``run_dir`` to ``out`` (PNG, SVG or PDF) and return its table.

    Raises:
        ResultsError: not a run folder, or a run without a grid.
        ConfigError: matplotlib is missing, or ``out`` cannot be written.
    """
    record = read_record(run_dir)
    grid = run_grid(record, metric)
    try:
        import matplotlib.figure  # noqa: F401  (Figure draws with Agg; pyplot is never used)
    except ImportError:
        raise ConfigError("plotting needs matplotlib: pip install 'evalkit[longctx]'") from None
    title = f"{record.task.get('label', '')} · {record.model_name()}"
    try:
        heatmap_figure(grid, title).savefig(out, dpi=110)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot write {out}: {exc}") from None
    return length_table(record, grid.metric)
