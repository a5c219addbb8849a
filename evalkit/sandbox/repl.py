"""The session driver: a persistent interpreter run inside the sandbox (stdlib only).

It reads one JSON request per line (``{"code": ...}``) from the pipe the host holds, runs the
code as a notebook cell in one namespace that lives as long as the session (so variables survive
between calls), and answers one JSON line: the cell's stdout and stderr (capped), and the name of
the exception that ended it, if any. As in Jupyter, the value of a final bare expression is shown
(``sys.displayhook``: its repr, and ``_`` is set).

The cell's output is captured at the file-descriptor level (fd 1 and 2 point at files in the
private tmpfs), so ``print``, ``os.write`` and child processes are all caught; the protocol uses
private duplicates of the original pipes, and the cell's stdin is ``/dev/null``. Running the
model's code with ``exec`` is this file's purpose: it only ever runs inside the sandbox.

Nothing here may import evalkit: the project is not visible inside the sandbox.
"""

from __future__ import annotations

import ast
import builtins
import json
import os
import signal
import sys
from typing import Any, BinaryIO

CELL = "<cell>"


def capture_file(fd: int, path: str) -> BinaryIO:
    """Point ``fd`` at a fresh file at ``path`` and return that file."""
    fh = open(path, "w+b")  # noqa: SIM115 - lives as long as the session
    os.dup2(fh.fileno(), fd)
    return fh


def drain(fh: BinaryIO, cap: int) -> tuple[str, bool]:
    """Return what the cell wrote to ``fh`` (at most ``cap`` bytes), then empty it."""
    fh.seek(0)
    data = fh.read(cap + 1)
    fh.seek(0)
    fh.truncate(0)
    return data[:cap].decode("utf-8", "replace"), len(data) > cap


def report(exc: BaseException) -> None:
    """Print ``exc`` with the driver's frames left out."""
    import traceback

    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != CELL:
        tb = tb.tb_next
    traceback.print_exception(type(exc), exc, tb)


def run_cell(code: str, namespace: dict[str, Any]) -> str | None:
    """Run one cell; return the name of the exception that ended it, if any."""
    try:
        tree = ast.parse(code, CELL, "exec")
        last = tree.body[-1] if tree.body else None
        if isinstance(last, ast.Expr):
            tree.body.pop()
        exec(compile(tree, CELL, "exec"), namespace)
        if isinstance(last, ast.Expr):
            value = eval(compile(ast.Expression(last.value), CELL, "eval"), namespace)
            sys.displayhook(value)
    except BaseException as exc:  # the cell's own failure, SystemExit included: the session goes on
        report(exc)
        return type(exc).__name__
    return None


def main() -> None:
    """Serve requests until the host closes the pipe."""
    cap = int(sys.argv[1])
    sys.path[:0] = ["/tmp"]
    sys.path.extend(sys.argv[2:])
    requests = os.fdopen(os.dup(0), "rb")
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    out, err = capture_file(1, "/tmp/.cell_stdout"), capture_file(2, "/tmp/.cell_stderr")
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large write fails; the session lives
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    driver = os.getpid()
    for line in requests:
        error = run_cell(json.loads(line)["code"], namespace)
        if os.getpid() != driver:  # a copy forked by the cell: only the driver answers
            os._exit(0)
        sys.stdout.flush()
        sys.stderr.flush()
        stdout, cut_out = drain(out, cap)
        stderr, cut_err = drain(err, cap)
        reply = {
            "stdout": stdout,
            "stderr": stderr,
            "error": error,
            "truncated": cut_out or cut_err,
        }
        replies.write(json.dumps(reply).encode("utf-8") + b"\n")
        replies.flush()


if __name__ == "__main__":
    main()
