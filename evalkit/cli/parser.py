"""The argument parser class of the ``evalkit`` command: errors are one line and exit 2."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, NoReturn

from evalkit.errors import EXIT_USER_ERROR


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit 2."""

    def error(self, message: str) -> NoReturn:
        """Print ``message`` as one line and exit 2."""
        self.exit(EXIT_USER_ERROR, f"evalkit: error: {message} (see '{self.prog} --help')\n")


if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[Parser]
    """The subcommand table each command module adds its parsers to."""
