"""The one-shot launcher: the first Python code run inside the sandbox (stdlib only).

The host starts ``python -I -S -c <this file's text> SITE_DIR...``: isolated mode and no ``site``
(its ``.pth`` processing tripled start-up time), so the runtime's package folders are passed as
arguments and appended to ``sys.path`` here. The first line of stdin is a JSON header holding the
program and its files; the rest of stdin is the program's own input. The program is written to
``/tmp/main.py`` in the sandbox's private tmpfs and run as ``__main__``, as ``python main.py``
would; an uncaught exception prints a traceback that starts at the program's own frames and exits 1.

Nothing here may import evalkit: the project is not visible inside the sandbox.
"""

from __future__ import annotations

import json
import os
import runpy
import sys

WORKDIR = "/tmp"
MAIN = "/tmp/main.py"


def write_files(files: dict[str, str]) -> None:
    """Write the program's extra files below the working folder."""
    for name, text in files.items():
        path = os.path.join(WORKDIR, os.path.normpath(name).lstrip("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)


def report(exc: BaseException) -> None:
    """Print ``exc`` with the launcher's and runpy's frames left out."""
    import traceback

    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != MAIN:
        tb = tb.tb_next
    traceback.print_exception(type(exc), exc, tb)


def main() -> None:
    """Read the header, write the files, run the program."""
    header = json.loads(sys.stdin.buffer.readline())
    sys.path[:0] = [WORKDIR]
    sys.path.extend(sys.argv[1:])
    write_files({**header.get("files", {}), "main.py": header["code"]})
    sys.argv = [MAIN]
    try:
        runpy.run_path(MAIN, run_name="__main__")
    except SystemExit:
        raise
    except BaseException as exc:  # the program's own failure: shown as python would show it
        report(exc)
        sys.stderr.flush()
        os._exit(1)


if __name__ == "__main__":
    main()
