"""Static HTML reports: one run, a comparison of two (with the gate's verdict), or a whole site.

Every report is one self-contained file that opens from disk: CSS and script inline, no network
(its Content-Security-Policy allows no fetch at all, and only the report's own script, by hash).
The parts that do not change (run card, metrics with CIs, per-group tables and bars, the pass@k
tables, the long-context heatmap, a comparison's statistics) are rendered here by jinja2 with
autoescaping; the samples travel as one JSON blob (:mod:`evalkit.reports.html_payload`) that the
page's script renders a page at a time, putting every text in with ``textContent``. So text from
models and datasets never becomes markup on either side.

Comparisons reuse :mod:`evalkit.reports.compare` (pairing, paired bootstrap, McNemar) and the
gate's :class:`~evalkit.reports.gate.GateReport`; nothing statistical is computed here.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from evalkit import __version__
from evalkit.errors import ConfigError, ResultsError
from evalkit.records.io import RUN_FILE, read_record, read_samples
from evalkit.records.runs import Run, find_runs
from evalkit.reports import html_sections as sections
from evalkit.reports.compare import Comparison, TaskComparison, change, compare
from evalkit.reports.gate import GateReport, TaskVerdict, headline, write_text
from evalkit.reports.html_payload import (
    COMPRESS_OVER,
    StringTable,
    embedded,
    flips_browser,
    samples_browser,
)
from evalkit.reports.leaderboard import Column
from evalkit.reports.leaderboard import build as build_leaderboard

TEMPLATES = Path(__file__).with_name("templates") / "html"
"""The report templates, stylesheet and script."""


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    # Dedicated to reports: autoescaping on for every template, a misspelt variable is an error.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@lru_cache(maxsize=2)
def _asset(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


def _page(
    template: str,
    title: str,
    document: Mapping[str, Any] | None,
    compress_over: int = COMPRESS_OVER,
    **context: Any,
) -> str:
    """Render a whole page: layout, inline style and script, the data blob, a CSP with its hash.

    The texts (``strings``) travel in an element of their own, read after the first page of
    samples is on screen: the summaries need none of them.
    """
    script = _asset("report.js")
    blobs = None
    if document is not None:
        rest = {k: v for k, v in document.items() if k != "strings"}
        parts = {"report-data": rest, "report-strings": document.get("strings", [])}
        blobs = embedded(parts, compress_over)
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return (
        _environment()
        .get_template(template)
        .render(
            title=title,
            version=__version__,
            style=Markup(_asset("report.css")),
            script=Markup(script),
            script_hash=f"sha256-{digest}",
            blobs=None if blobs is None else {k: (e, Markup(t)) for k, (e, t) in blobs.items()},
            **context,
        )
    )


def run_report(
    run_dir: Path, *, home: str | None = None, compress_over: int = COMPRESS_OVER
) -> str:
    """Render the report of one run folder (complete, or still running: what is on disk).

    Args:
        run_dir: The run folder (``run.json`` and ``samples.jsonl``).
        home: Link to show as the way back (a site's index page), if any.
        compress_over: Size of the sample data (bytes of JSON) above which it is embedded
            gzipped (see :func:`evalkit.reports.html_payload.embedded`).

    Raises:
        ResultsError: The folder is not a run, or a file is unreadable.
    """
    record = read_record(run_dir)
    lines = read_samples(run_dir)
    metric = str(record.task.get("primary_metric", ""))
    table = StringTable()
    rated = sections.is_rating(record, metric)
    browsers = {"samples": samples_browser(lines, table, metric, rated)}
    return _page(
        "run.html.jinja",
        f"{record.task.get('label', '?')} · {record.model_name()}",
        {"strings": table.strings, "turns": table.turns, "browsers": browsers},
        compress_over,
        home=home,
        record=record,
        card=sections.run_card(record),
        metrics=sections.metric_rows(record),
        pass_at_k=sections.pass_at_k(record),
        groups=sections.group_tables(record),
        heatmap=sections.heatmap(lines, metric),
        n_samples=len(lines),
    )


def _task_context(
    t: TaskComparison, name: str, verdict: TaskVerdict | None, alpha: float
) -> dict[str, Any]:
    return {
        "label": t.label,
        "browser": name,
        "metric": t.metric,
        "n": t.pairing_n,
        "base_run": t.base.record.run_id,
        "cand_run": t.cand.record.run_id,
        "base_model": t.base.record.model_name(),
        "cand_model": t.cand.record.model_name(),
        "base_mean": sections.pct(t.base_mean),
        "cand_mean": sections.pct(t.cand_mean),
        "change": change(t.diff),
        "lost": t.lost,
        "gained": t.gained,
        "mcnemar": "—" if t.mcnemar_p is None else f"{t.mcnemar_p:.3g}",
        "unmatched": t.pairing.base_only + t.pairing.cand_only,
        "notes": list(t.notes),
        "verdict": None
        if verdict is None
        else {
            "failed": verdict.failed,
            "p": f"{verdict.pvalue:.3g}",
            "text": verdict.describe(alpha),
        },
        "base_card": sections.run_card(t.base.record),
        "cand_card": sections.run_card(t.cand.record),
    }


def comparison_report(comparison: Comparison, *, verdict: GateReport | None = None) -> str:
    """Render a comparison: the paired statistics per task, then its flipped items side by side.

    Args:
        comparison: The comparison of two sides (:func:`evalkit.reports.compare.compare`).
        verdict: The gate's report on the same sides, shown as a banner and a column.

    Raises:
        ResultsError: A ``samples.jsonl`` is unreadable.
    """
    verdicts = {v.label: v for v in verdict.tasks} if verdict is not None else {}
    table = StringTable()
    browsers: dict[str, Any] = {}
    tasks = []
    for i, t in enumerate(comparison.tasks):
        name = f"flips-{i}"
        base_lines, cand_lines = read_samples(t.base.path), read_samples(t.cand.path)
        browsers[name] = flips_browser(t.pairing.flips, base_lines, cand_lines, table, t.metric)
        alpha = verdict.alpha if verdict is not None else 0.0
        tasks.append(_task_context(t, name, verdicts.get(t.label), alpha))
    gate = None
    if verdict is not None:
        gate = {"passed": verdict.passed, "headline": headline(verdict)}
        gate |= {"max_drop": f"{verdict.max_drop:g}", "alpha": f"{verdict.alpha:g}"}
        gate |= {"correction": verdict.correction, "ungated": list(verdict.ungated)}
    return _page(
        "compare.html.jinja",
        f"{comparison.base.name} vs {comparison.cand.name}",
        {"strings": table.strings, "turns": table.turns, "browsers": browsers},
        home=None,
        base=str(comparison.base),
        cand=str(comparison.cand),
        tasks=tasks,
        base_only=list(comparison.base_only),
        cand_only=list(comparison.cand_only),
        gate=gate,
    )


def gate_report(report: GateReport) -> str:
    """Render the gate's verdict with the comparison of every gated task (``gate --html``)."""
    comparison = Comparison(
        report.baseline, report.candidate, tuple(t.comparison for t in report.tasks), (), ()
    )
    return comparison_report(comparison, verdict=report)


def _page_names(runs: Sequence[Run]) -> dict[Path, str]:
    """A file name per run page (``runs/<folder>.html``), unique even when folder names repeat."""
    names: dict[Path, str] = {}
    taken: set[str] = set()
    for run in runs:
        stem, n = run.path.name, 1
        while f"{stem}.html" in taken:
            n += 1
            stem = f"{run.path.name}-{n}"
        taken.add(f"{stem}.html")
        names[run.path] = f"runs/{stem}.html"
    return names


def _primary(run: Run) -> str:
    """The run's primary score as the index lists it (points, or a 1-10 rating)."""
    metric = str(run.record.task.get("primary_metric", ""))
    mean = (run.record.primary() or {}).get("mean")
    return sections.pct(mean, sections.is_rating(run.record, metric))


def _board_cell(run: Run | None, href: Mapping[Path, str]) -> dict[str, str] | None:
    """A leaderboard cell: the primary score with its CI, linking the run's page."""
    if run is None:
        return None
    summary = run.record.primary() or {}
    r = sections.is_rating(run.record, str(run.record.task.get("primary_metric", "")))
    score = f"{sections.pct(summary.get('mean'), r)} {sections.interval(summary, r)}"
    return {"text": score, "href": href[run.path]}


def _judged_header(c: Column) -> str:
    versus = f" vs {c.baseline}" if c.baseline else ""
    return f"{c.label} v{c.version} ({c.metric}, {c.scale or 'share'}{versus}; judge {c.judge})"


def _index(results_dir: Path, runs: Sequence[Run], pages: Mapping[Path, str]) -> str:
    board = build_leaderboard(results_dir)
    href = {p: quote(name) for p, name in pages.items()}
    listing = [
        {"href": href[r.path], "run_id": r.record.run_id, "task": r.label}
        | {"model": r.record.model_name(), "created": r.record.created_at}
        | {"score": _primary(r)}
        for r in runs
    ]
    return _page(
        "index.html.jinja",
        f"evalkit results: {results_dir.name or results_dir}",
        None,
        home=None,
        columns=[f"{c.label} v{c.version} ({c.metric})" for c in board.columns],
        rows=[
            {"model": row.model, "cells": [_board_cell(r, href) for r in row.runs]}
            for row in board.rows
        ],
        judged_columns=[_judged_header(c) for c in board.judged_columns],
        judged_rows=[
            {"model": row.model, "cells": [_board_cell(r, href) for r in row.runs]}
            for row in board.judged_rows
        ],
        excluded=[
            {"href": href[r.path], "run_id": r.record.run_id, "why": w} for r, w in board.excluded
        ],
        runs=listing,
    )


def write_site(results_dir: Path, out_dir: Path) -> list[Path]:
    """Write ``index.html`` (the leaderboard and every run) and one page per complete run.

    Returns:
        The files written, the index first.

    Raises:
        ResultsError: ``results_dir`` holds no complete run, or a file is unreadable or
            cannot be written.
    """
    runs = find_runs(results_dir)
    if not runs:
        raise ResultsError(f"no complete run under '{results_dir}'")
    pages = _page_names(runs)
    written = [out_dir / "index.html"]
    write_text(written[0], _index(results_dir, runs, pages))
    for run in runs:
        path = out_dir / pages[run.path]
        write_text(path, run_report(run.path, home="../index.html"))
        written.append(path)
    return written


def write_report(paths: Sequence[Path], output: Path) -> list[Path]:
    """Write the report the paths ask for (what ``evalkit report`` does).

    One run folder gives a run report at ``output``; two paths (runs, or folders of runs) give
    a comparison, the first as baseline; one folder of runs gives a site in the folder
    ``output``.

    Returns:
        The files written.

    Raises:
        ConfigError: The paths or the output do not fit any of those forms.
        ResultsError: A run is unreadable, or a file cannot be written.
    """
    if len(paths) not in (1, 2):
        raise ConfigError("give one run folder, two runs to compare, or one results folder")
    single = len(paths) == 1 and (paths[0] / RUN_FILE).is_file()
    if len(paths) == 1 and not single:
        if output.suffix == ".html" or (output.exists() and not output.is_dir()):
            raise ConfigError(
                f"-o {output}: a results folder gives a site; name a folder, e.g. site/"
            )
        return write_site(paths[0], output)
    if output.is_dir():
        raise ConfigError(f"-o {output} is a folder: name the report file, e.g. report.html")
    text = run_report(paths[0]) if single else comparison_report(compare(paths[0], paths[1]))
    write_text(output, text)
    return [output]
