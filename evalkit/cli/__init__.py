"""The ``evalkit`` command: parse arguments, build a config, call the library, map errors to exits.

Exit codes: 0 ok, 1 gate failed, 2 user error, 3 backend failure beyond the allowed error rate.
User errors print one line on stderr, never a traceback. Heavy libraries are imported inside the
command functions so that ``evalkit --help`` starts fast.
"""

from __future__ import annotations

import argparse
import atexit
import os
import sys
import threading
from collections.abc import Callable, Sequence
from typing import NoReturn

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


def console() -> NoReturn:
    """The console script (``evalkit``, ``python -m evalkit.cli``): :func:`main`, then exit."""
    leave(main())


def leave(code: int) -> NoReturn:
    """Exit with ``code`` without tearing the interpreter down object by object.

    A normal exit frees every object of every module one at a time (about 40 ms after a run,
    more after a long one) before the process ends; the operating system reclaims all of it
    at once. What a normal exit does that matters is done here first: the ``atexit`` handlers
    run (logging, multiprocessing, temporary folders), and stdout and stderr are flushed.
    evalkit writes sample lines unbuffered and every other file inside ``with`` blocks, so
    nothing else is pending (a plugin must close its own files too). The exit is the normal
    one while a thread other than a daemon is still running (a normal exit waits for it),
    under a profiler or tracer (``python -m cProfile``, coverage: they write their data after
    the program returns), and when flushing stdout fails other than by a broken pipe (a
    normal exit reports it and exits with 120).
    """
    if _needs_normal_exit():
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):  # the reader left, or the stream is closed
            pass
        except OSError:  # a full disk, say: the normal exit reports it
            sys.exit(code)
    os._exit(code)


def _needs_normal_exit() -> bool:
    main_thread = threading.main_thread()
    if any(t is not main_thread and not t.daemon and t.is_alive() for t in threading.enumerate()):
        return True
    if sys.getprofile() is not None or sys.gettrace() is not None:
        return True
    monitoring = getattr(sys, "monitoring", None)  # Python 3.12+: cProfile and coverage use it
    return monitoring is not None and any(monitoring.get_tool(i) for i in range(6))
