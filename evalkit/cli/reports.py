"""``evalkit leaderboard``, ``compare``, ``gate``, ``report`` and ``plot``: reports over runs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from evalkit.errors import EXIT_GATE_FAILED, EXIT_OK

if TYPE_CHECKING:
    from evalkit.cli.parser import Subparsers


def cmd_leaderboard(args: argparse.Namespace) -> int:
    """``evalkit leaderboard [RESULTS_DIR] -o FILE [--check]``."""
    from evalkit.reports.leaderboard import is_current, write

    if not args.check:
        write(args.results_dir, args.output)
        print(args.output)
        return EXIT_OK
    if is_current(args.results_dir, args.output):
        print(f"{args.output} is up to date")
        return EXIT_OK
    print(
        f"{args.output} is stale: run 'evalkit leaderboard {args.results_dir} -o {args.output}'",
        file=sys.stderr,
    )
    return EXIT_GATE_FAILED


def cmd_compare(args: argparse.Namespace) -> int:
    """``evalkit compare BASE CAND``."""
    from evalkit.reports.compare import compare, to_json, to_markdown

    comparison = compare(args.base, args.cand)
    text = to_json(comparison) if args.format == "json" else to_markdown(comparison, args.max_flips)
    sys.stdout.write(text)
    return EXIT_OK


def cmd_gate(args: argparse.Namespace) -> int:
    """``evalkit gate --baseline ... --candidate ...``."""
    from evalkit.reports.gate import check, gate, junit_xml, summary_markdown, write_text

    report = gate(
        args.baseline, args.candidate, args.max_drop, args.alpha, correction=args.correction
    )
    summary = summary_markdown(report)
    if args.html:
        from evalkit.reports.html import gate_report

        write_text(args.html, gate_report(report))
        summary += f"\nHTML report with every flipped sample: `{args.html}`\n"
    if args.summary:
        write_text(args.summary, summary)
    if args.junit:
        write_text(args.junit, junit_xml(report))
    sys.stdout.write(summary)
    check(report)
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    """``evalkit report PATH... -o OUT``."""
    from evalkit.reports.html import write_report

    for path in write_report(args.paths, args.output):
        print(path)
    return EXIT_OK


def _add_html_report(sub: Subparsers) -> None:
    p = sub.add_parser(
        "report", help="static HTML report: one run, two runs compared, or a results folder"
    )
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="RUN, BASE CAND, or DIR")
    p.add_argument(
        "-o", "--output", type=Path, required=True, help="report file (a folder for a site)"
    )
    p.set_defaults(func=cmd_report)


def _add_reporting(sub: Subparsers) -> None:
    p = sub.add_parser("leaderboard", help="render leaderboard.md from the runs in a folder")
    p.add_argument(
        "results_dir", nargs="?", type=Path, default=Path("results"), metavar="RESULTS_DIR"
    )
    p.add_argument("-o", "--output", type=Path, default=Path("leaderboard.md"))
    p.add_argument("--check", action="store_true", help="exit 1 if the file is not up to date")
    p.set_defaults(func=cmd_leaderboard)
    p = sub.add_parser("compare", help="paired comparison of two runs (or folders of runs)")
    p.add_argument("base", type=Path, metavar="BASE")
    p.add_argument("cand", type=Path, metavar="CAND")
    p.add_argument("--format", choices=["markdown", "json"], default="markdown")
    p.add_argument("--max-flips", type=int, help="flipped items listed per task (markdown)")
    p.set_defaults(func=cmd_compare)
    p = sub.add_parser("gate", help="fail (exit 1) on a significant regression against a baseline")
    p.add_argument("--baseline", required=True, type=Path, help="run folder or folder of runs")
    p.add_argument("--candidate", required=True, type=Path, help="run folder or folder of runs")
    p.add_argument("--max-drop", type=float, default=1.0, help="tolerated drop in points (1.0)")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level (0.05)")
    p.add_argument("--correction", choices=["holm", "none"], default="holm")
    p.add_argument("--summary", type=Path, help="write the markdown summary here")
    p.add_argument("--junit", type=Path, help="write JUnit XML here")
    p.add_argument("--html", type=Path, help="write the verdict and comparison as an HTML report")
    p.set_defaults(func=cmd_gate)


def cmd_plot(args: argparse.Namespace) -> int:
    """``evalkit plot RUN -o FILE.png``: the long-context heatmap, and its per-length table."""
    from evalkit.reports.plots import plot_run

    table = plot_run(args.run, args.output, args.metric)
    sys.stdout.write(f"{table}\nwrote {args.output}\n")
    return EXIT_OK


def _add_plot(sub: Subparsers) -> None:
    p = sub.add_parser("plot", help="heatmap of a long-context run (needle depth x length)")
    p.add_argument("run", type=Path, metavar="RUN")
    p.add_argument("-o", "--output", type=Path, required=True, help="picture file (.png, .svg)")
    p.add_argument("--metric", help="metric to show (default: the task's primary metric)")
    p.set_defaults(func=cmd_plot)
