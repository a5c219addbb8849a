"""The leaderboard: a markdown page rendered as a pure function of the run records in a folder.

Which runs are ranked (the rules are printed under the table as well):

* Only complete runs over the whole selected dataset: runs with ``--limit`` or ``--sample`` and
  runs with ``-T`` overrides are listed as not ranked, since their numbers answer a different
  question than the task's standard configuration.
* One column per task label, holding the **latest task version only** (versions compare
  numerically part by part, ``2 < 10``). Runs of older versions are listed as not ranked instead
  of sharing a column with numbers they are not comparable with. Within that version, runs whose
  dataset fingerprint or sample set differs from the newest run's are listed as not ranked too.
* For each (model, column) the newest run wins (see :func:`evalkit.records.runs.newest`).
* Judge-scored runs (``run.json`` has a ``judge``) get their own table: one column per task label,
  judge model and (for pairwise runs) baseline model, since scores from different judges or
  against different baselines do not compare; each header states the scale (a 1-10 rating, or a
  win rate in percent) and the judge, and they take no part in the average.
* The average is the unweighted mean over the tasks, shown only for models with every task; its
  95% CI is ``± 1.96 * sqrt(sum stderr²) / k`` (tasks use disjoint items, so they are
  independent). Rows are ordered by the number of tasks, then by the mean over the tasks they
  have, then by model name.

The page holds no timestamps or absolute paths of the machine that rendered it, and numbers are
rounded to one decimal, so rendering the same results twice gives the same bytes; that is what
``--check`` relies on.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2

from evalkit.records.io import atomic_write
from evalkit.records.runs import Run, find_runs, newest

TEMPLATE = "leaderboard.md.jinja"


@dataclass(frozen=True, slots=True)
class Column:
    """One ranked task: its label, the version shown, and the metric.

    Judged columns also name the scale (``1-10`` or ``win rate``), the judge and the baseline.
    """

    label: str
    version: str
    metric: str
    scale: str = ""
    judge: str = ""
    baseline: str = ""


@dataclass(frozen=True, slots=True)
class Row:
    """One model's runs, one per column (``None`` where it has none)."""

    model: str
    runs: tuple[Run | None, ...]


@dataclass(frozen=True, slots=True)
class Leaderboard:
    """The selected runs and the runs left out with the reason.

    Attributes:
        columns: Ranked tasks, sorted by label.
        rows: Models in rank order.
        excluded: ``(run, reason)`` for each complete run that is not ranked, in path order.
    """

    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    excluded: tuple[tuple[Run, str], ...]
    judged_columns: tuple[Column, ...] = ()
    judged_rows: tuple[Row, ...] = ()


def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Order versions part by part, numbers numerically: ``1 < 1.1 < 2 < 10 < 10a``."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[.\-_]", version))


def _score(run: Run) -> dict[str, Any]:
    return run.record.primary() or {}


def _unranked_reason(run: Run) -> str | None:
    config = run.record.config
    if config.get("limit") is not None or config.get("sample") is not None:
        return "partial run (--limit/--sample)"
    if config.get("task_args"):
        return "custom task parameters (-T)"
    if _score(run).get("mean") is None:
        return "no value of the primary metric"
    return None


def _fingerprint(run: Run) -> tuple[Any, Any]:
    return run.record.dataset.get("sha256"), run.record.dataset.get("selection_sha256")


def _select_column(runs: Sequence[Run]) -> tuple[Column, list[Run], list[tuple[Run, str]]]:
    """Keep one task's runs of its latest version and the newest run's data; say why not others."""
    latest = max((str(r.record.task.get("version", "")) for r in runs), key=version_key)
    same_version = [r for r in runs if str(r.record.task.get("version", "")) == latest]
    reference = _fingerprint(newest(same_version))
    kept, dropped = [], []
    for run in runs:
        version = str(run.record.task.get("version", ""))
        if version != latest:
            dropped.append((run, f"superseded task version {version} (latest: {latest})"))
        elif _fingerprint(run) != reference:
            dropped.append((run, "dataset or sample set differs from the newest run of the task"))
        else:
            kept.append(run)
    record = newest(kept).record
    metric = str(record.task.get("primary_metric", ""))
    judge = record.judge or {}
    baseline = str((judge.get("baseline") or {}).get("model", ""))
    column = Column(
        runs[0].label,
        latest,
        metric,
        str(judge.get("scale", "")),
        str(judge.get("spec", "")),
        baseline,
    )
    return column, kept, dropped


def _rank_key(row: Row) -> tuple[int, float, str]:
    means = [float(_score(r)["mean"]) for r in row.runs if r is not None]
    return (-len(means), -math.fsum(means) / len(means), row.model)


def _column_key(run: Run) -> str:
    """Runs that share a column: a task label, and for judged runs its judge and baseline."""
    judge = run.record.judge
    if judge is None:
        return run.label
    baseline = (judge.get("baseline") or {}).get("model", "")
    return f"{run.label}\0{judge.get('spec', '')}\0{baseline}"


def _table(
    groups: dict[str, list[Run]], excluded: list[tuple[Run, str]]
) -> tuple[tuple[Column, ...], tuple[Row, ...]]:
    """One table's columns and rows from runs grouped by column; dropped runs go to ``excluded``."""
    columns, cells = [], {}
    for key in sorted(groups):
        column, kept, dropped = _select_column(groups[key])
        columns.append(column)
        excluded.extend(dropped)
        for model in {r.record.model_name() for r in kept}:
            cells[(model, key)] = newest(r for r in kept if r.record.model_name() == model)
    keys = sorted(groups)
    models = sorted({model for model, _ in cells})
    rows = [Row(m, tuple(cells.get((m, k)) for k in keys)) for m in models]
    return tuple(columns), tuple(sorted(rows, key=_rank_key))


def build(results_dir: Path) -> Leaderboard:
    """Select the ranked runs under ``results_dir`` (see the module docstring for the rules).

    Raises:
        ResultsError: The folder does not exist or holds an unreadable ``run.json``.
    """
    excluded: list[tuple[Run, str]] = []
    by_label: dict[str, list[Run]] = {}
    judged: dict[str, list[Run]] = {}
    for run in find_runs(results_dir):
        reason = _unranked_reason(run)
        if reason:
            excluded.append((run, reason))
        else:
            group = judged if run.record.judge is not None else by_label
            group.setdefault(_column_key(run), []).append(run)
    columns, rows = _table(by_label, excluded)
    judged_columns, judged_rows = _table(judged, excluded)
    excluded.sort(key=lambda item: item[0].path.as_posix())
    return Leaderboard(columns, rows, tuple(excluded), judged_columns, judged_rows)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _interval(mean: float, low: Any, high: Any) -> str:
    if low is None or high is None:
        return _pct(mean)
    return f"{_pct(mean)} ({_pct(float(low))}–{_pct(float(high))})"


def _text(value: Any) -> str:
    """One markdown table cell of plain text (model names come from the user's command line)."""
    return " ".join(str(value).split()).replace("|", "\\|").replace("<", "&lt;")


def _link(run: Run, base: Path) -> str:
    rel = Path(os.path.relpath(run.path.absolute(), base.absolute())).as_posix()
    return quote(rel + "/", safe="/-_.~:")


def _rating(mean: float, low: Any, high: Any) -> str:
    """A 1-10 rating as it is (two decimals), not in percent."""
    if low is None or high is None:
        return f"{mean:.2f}"
    return f"{mean:.2f} ({float(low):.2f}–{float(high):.2f})"


def _value(run: Run) -> str:
    """The primary metric on its scale: a rating for 1-10 judged tasks, else percent."""
    s = _score(run)
    if (run.record.judge or {}).get("scale") == "1-10":
        return _rating(float(s["mean"]), s.get("ci_low"), s.get("ci_high"))
    return _interval(float(s["mean"]), s.get("ci_low"), s.get("ci_high"))


def _cell(run: Run | None, base: Path) -> str:
    if run is None:
        return "—"
    return f"[{_value(run)}]({_link(run, base)})"


def _judged_header(c: Column) -> str:
    """A judged column's header: metric, scale, judge and baseline."""
    scale = "1–10" if c.scale == "1-10" else f"{c.scale}, %" if c.scale else "%"
    versus = f" vs {c.baseline}" if c.baseline else ""
    return f"{c.label} v{c.version} ({c.metric}: {scale}{versus}; judge {c.judge})"


def _average(runs: Sequence[Run | None]) -> str:
    if len(runs) < 2 or any(r is None for r in runs):
        return "—"
    scores = [_score(r) for r in runs if r is not None]
    mean = math.fsum(float(s["mean"]) for s in scores) / len(scores)
    if any(s.get("stderr") is None for s in scores):
        return _pct(mean)
    half = 1.96 * math.sqrt(math.fsum(float(s["stderr"]) ** 2 for s in scores)) / len(scores)
    return _interval(mean, mean - half, mean + half)


def _run_line(run: Run, base: Path) -> list[str]:
    r = run.record
    s = _score(run)
    commit = str(r.provenance.get("git_commit") or "")[:7] or "—"
    if r.provenance.get("git_dirty"):
        commit += " (dirty)"
    return [
        _text(r.model_name()),
        _text(run.label),
        _text(r.task.get("version", "")),
        _value(run),
        str(s.get("n", r.counts.get("scored", 0))),
        (r.finished_at or r.created_at)[:10],
        _text(r.provenance.get("evalkit_version", "")),
        commit,
        f"[{_text(r.run_id)}]({_link(run, base)})",
    ]


def context(board: Leaderboard, results_dir: Path, output: Path) -> dict[str, Any]:
    """Return the template's variables: pre-formatted, escaped strings only."""
    base = output.parent
    ranked = [r for row in (*board.rows, *board.judged_rows) for r in row.runs if r is not None]
    return {
        "source": Path(os.path.relpath(results_dir.absolute(), base.absolute())).as_posix(),
        "columns": [
            f"{_text(c.label)} v{_text(c.version)} ({_text(c.metric)})" for c in board.columns
        ],
        "show_average": len(board.columns) > 1,
        "rows": [
            [_text(row.model)]
            + [_cell(run, base) for run in row.runs]
            + ([_average(row.runs)] if len(board.columns) > 1 else [])
            for row in board.rows
        ],
        "judged_columns": [_text(_judged_header(c)) for c in board.judged_columns],
        "judged_rows": [
            [_text(row.model)] + [_cell(run, base) for run in row.runs] for row in board.judged_rows
        ],
        "runs": [_run_line(run, base) for run in ranked],  # rank order, then column order
        "excluded": [
            f"[{_text(run.record.run_id)}]({_link(run, base)}): {_text(reason)}"
            for run, reason in board.excluded
        ],
    }


def _template() -> jinja2.Template:
    # A plain environment: the template is ours, not user input, and renders markdown (no HTML
    # autoescaping); StrictUndefined turns a misspelt variable into an error, not a blank.
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    folder = resources.files("evalkit.reports").joinpath("templates")
    text = folder.joinpath(TEMPLATE).read_text(encoding="utf-8")
    return env.from_string(text)


def render(results_dir: Path, output: Path) -> str:
    """Render the leaderboard of the runs under ``results_dir`` for a file at ``output``.

    Links to run folders are relative to ``output``'s folder, so the page works wherever the
    repository is checked out.

    Raises:
        ResultsError: The folder does not exist or holds an unreadable ``run.json``.
    """
    return _template().render(**context(build(results_dir), results_dir, output))


def write(results_dir: Path, output: Path) -> None:
    """Render the leaderboard and write it to ``output`` (atomically)."""
    atomic_write(output, render(results_dir, output))


def is_current(results_dir: Path, output: Path) -> bool:
    """Return whether ``output`` exists and equals what :func:`render` gives now."""
    try:
        existing = output.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return existing == render(results_dir, output)
