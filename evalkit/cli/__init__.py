"""The ``evalkit`` command: parse arguments, build a config, call the library, map errors to exits.

Exit codes: 0 ok, 1 gate failed, 2 user error, 3 backend failure beyond the allowed error rate.
User errors print one line on stderr, never a traceback. Heavy libraries are imported inside the
command functions so that ``evalkit --help`` starts fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from evalkit import __version__
from evalkit.cli.parser import Parser
from evalkit.cli.records import _add_records
from evalkit.cli.reports import _add_html_report, _add_plot, _add_reporting
from evalkit.cli.run import _add_run, _add_sweep
from evalkit.errors import EXIT_OK, EvalkitError
from evalkit.redaction import printable


def build_parser() -> Parser:
    """Return the argument parser of the ``evalkit`` command."""
    parser = Parser(prog="evalkit", description="Evaluate LLMs on benchmarks, reproducibly.")
    parser.add_argument("--version", action="version", version=f"evalkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    _add_run(sub)
    _add_records(sub)
    _add_reporting(sub)
    _add_plot(sub)
    _add_sweep(sub)
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
