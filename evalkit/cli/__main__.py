"""``python -m evalkit.cli``: the console script."""

from evalkit.cli import console

console()
