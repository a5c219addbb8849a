"""``evalkit list``, ``table``, ``rescore``, ``publish`` and ``cache``: tasks and run folders."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from evalkit.errors import EXIT_OK

if TYPE_CHECKING:
    from evalkit.cli.parser import Subparsers
    from evalkit.task.spec import TaskSpec


def cmd_list(args: argparse.Namespace) -> int:
    """``evalkit list tasks|backends|scorers``."""
    if args.what == "tasks":
        from evalkit.task.spec import discover, load_task

        for name, path in sorted(discover(tuple(args.tasks_dir)).items()):
            spec = load_task(path).spec
            variants = ", ".join(sorted(spec.variants)) or "-"
            print(f"{name}  v{spec.version}  variants: {variants}  {spec.description}")
            if args.verbose:
                print(describe_task(spec))
    elif args.what == "backends":
        from evalkit.backends import PROVIDERS

        print("\n".join(PROVIDERS.names()))
    else:
        from evalkit.scoring import SCORERS

        print("\n".join(SCORERS.names()))
    return EXIT_OK


def _shown(value: object) -> str:
    """A value as typed after ``-T key=``: plain when the shell keeps it, else quoted."""
    from evalkit.config import param_text

    text = param_text(value)
    if text and all(c.isalnum() or c in "._,-/:+" for c in text):
        return text
    return shlex.quote(text) if "\n" not in text else repr(text)


def describe_task(spec: TaskSpec) -> str:
    """A task's solver, parameters with their defaults, and each variant's changes."""
    from evalkit.task.spec import declared_params

    lines = [f"    solver: {spec.solver}   scorer: {spec.scorer}   primary: {spec.primary_metric}"]
    params = declared_params(spec, spec.solver)
    lines += [f"    -T {k}={_shown(v)}" for k, v in sorted(params.items())]
    for name, variant in sorted(spec.variants.items()):
        solver = f" solver={variant.solver}" if variant.solver else ""
        shown = ", ".join(f"{k}={_shown(v)}" for k, v in sorted(variant.params.items()))
        lines.append(f"    :{name}{solver}  {shown}  ({variant.description})")
    return "\n".join(lines)


def cmd_table(args: argparse.Namespace) -> int:
    """``evalkit table RUN...``."""
    from evalkit.reports.table import build_table, render

    sys.stdout.write(render(build_table(args.runs, by=args.by), args.format))
    return EXIT_OK


def cmd_rescore(args: argparse.Namespace) -> int:
    """``evalkit rescore RUN...``."""
    from evalkit.engine.rescore import rescore
    from evalkit.reports.table import build_table, render

    for run_dir in args.runs:
        rescore(run_dir, args.data_dir, cache=not args.no_cache, judge=args.judge)
    sys.stdout.write(render(build_table(args.runs), "markdown"))
    return EXIT_OK


def cmd_publish(args: argparse.Namespace) -> int:
    """``evalkit publish RUN... --to DIR``."""
    from evalkit.records.publish import publish

    for run_dir in args.runs:
        print(publish(run_dir, args.to))
    return EXIT_OK


def cmd_cache(args: argparse.Namespace) -> int:
    """``evalkit cache stats|clear``."""
    from evalkit.engine.cache import ResponseCache, default_cache_dir

    cache = ResponseCache(args.cache_dir or default_cache_dir())
    try:
        if args.action == "clear":
            print(f"removed {cache.clear()} entries from {cache.path}")
        else:
            st = cache.stats()
            print(f"{st.path}: {st.entries} entries, {st.bytes / 1e6:.1f} MB")
    finally:
        cache.close()
    return EXIT_OK


def _add_records(sub: Subparsers) -> None:
    p = sub.add_parser("list", help="list tasks, backends or scorers")
    p.add_argument("what", choices=["tasks", "backends", "scorers"], nargs="?", default="tasks")
    p.add_argument("--tasks-dir", type=Path, action="append", default=[])
    p.add_argument(
        "--verbose", "-v", action="store_true", help="each task's parameters and variants"
    )
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("table", help="results table over run folders")
    p.add_argument("runs", nargs="+", type=Path, metavar="RUN")
    p.add_argument("--format", choices=["markdown", "csv", "json"], default="markdown")
    p.add_argument("--by", help="break down by a metadata field (e.g. subject) or metric prefix")
    p.set_defaults(func=cmd_table)
    p = sub.add_parser("rescore", help="score the stored outputs of runs again")
    p.add_argument("runs", nargs="+", type=Path, metavar="RUN")
    p.add_argument("--data-dir", type=Path)
    p.add_argument("--judge", metavar="PROVIDER/MODEL", help="re-judge with another judge model")
    p.add_argument("--no-cache", action="store_true", help="ask the judge again, not the cache")
    p.set_defaults(func=cmd_rescore)
    p = sub.add_parser("publish", help="copy runs without benchmark text (safe to commit)")
    p.add_argument("runs", nargs="+", type=Path, metavar="RUN")
    p.add_argument(
        "--to", type=Path, required=True, help="destination folder, e.g. results/baseline"
    )
    p.set_defaults(func=cmd_publish)
    p = sub.add_parser("cache", help="response cache statistics or clearing")
    p.add_argument("action", choices=["stats", "clear"])
    p.add_argument("--cache-dir", type=Path)
    p.set_defaults(func=cmd_cache)

