"""The one-shot launcher: the first Python code run inside the sandbox (stdlib only).

The host starts ``python -I -S -c <this file's text> SITE_DIR...``: isolated mode and no ``site``
(its ``.pth`` processing tripled start-up time), so the runtime's package folders are passed as
arguments and appended to ``sys.path`` here. Stdin starts with a header line of byte lengths
(the program, then a name and a text per extra file), then those bytes, then the program's own
input. The program is written to ``/tmp/main.py`` in the private tmpfs (tracebacks show its
lines) and run as the ``__main__`` module, as ``python main.py`` would. An uncaught exception is
printed by the interpreter's own hook from the program's first frame on, and exits 1.

Start-up cost is the sandbox's throughput, so this imports nothing beyond what the interpreter
has already loaded (no ``json``, ``runpy`` or ``traceback``: together they doubled the run time
of a HumanEval check). Nothing here may import evalkit: the project is not visible inside.
"""

from __future__ import annotations

import os
import sys

WORKDIR = "/tmp"
MAIN = "/tmp/main.py"


def read_header() -> list[bytes]:
    """Read the program and its files (as byte strings) from the head of stdin."""
    stdin = sys.stdin.buffer
    sizes = [int(size) for size in stdin.readline().split()]
    data = stdin.read(sum(sizes))
    parts, start = [], 0
    for size in sizes:
        parts.append(data[start : start + size])
        start += size
    return parts


def write_file(name: str, data: bytes) -> None:
    """Write one file below the working folder."""
    path = os.path.join(WORKDIR, os.path.normpath(name).lstrip("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)


def main() -> None:
    """Read the header, write the files, run the program."""
    code, *files = read_header()
    for name, data in zip(files[::2], files[1::2], strict=True):
        write_file(name.decode("utf-8"), data)
    write_file("main.py", code)
    sys.path[:0] = [WORKDIR]
    sys.path.extend(sys.argv[1:])
    sys.argv = [MAIN]
    module = type(sys)("__main__")
    module.__file__ = MAIN
    sys.modules["__main__"] = module
    try:
        exec(compile(code, MAIN, "exec"), module.__dict__)
    except SystemExit:
        raise
    except BaseException as exc:  # the program's own failure: shown as python would show it
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != MAIN:
            tb = tb.tb_next
        sys.__excepthook__(type(exc), exc.with_traceback(tb), tb)  # it prints __traceback__
        sys.stderr.flush()
        os._exit(1)


if __name__ == "__main__":
    main()
