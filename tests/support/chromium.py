"""Headless Chromium for the HTML report tests and bench: which binary, and how to launch it.

The browser is Debian's Chromium (``/usr/bin/chromium``, installed by ``.ci/run``), driven by
Playwright, which never downloads one of its own here.
"""

from __future__ import annotations

import os
import shutil

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Launch flags: headless, and nothing fetched in the background (updates, sync, field trials)."""


def find_chromium() -> str:
    """The binary: ``$EVALKIT_CHROMIUM``, else ``chromium`` on the PATH, else Debian's path."""
    return os.environ.get("EVALKIT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
