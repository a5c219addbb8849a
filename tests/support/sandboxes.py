"""Helpers for tests that run real sandboxes: which host processes run under a slot's uid.

Other sandboxes may run on the same machine at the same time (other test sessions, evalkit runs
with the python tool), under the default uids. The sandbox tests therefore run their slots under
a uid range of their own (:data:`TEST_UID_BASE`, set by an autouse fixture) and look only there.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from evalkit.sandbox import ExecResult

TEST_UID_BASE = 61000 + (os.getpid() % 40) * 64
"""First slot uid of this test session (61000-63559, by process id)."""

Run = Callable[..., ExecResult]
"""Runs one program in a fresh jail (the ``run`` fixture of tests/sandbox)."""


def slot_processes() -> list[str]:
    """Host processes running under a sandbox slot's uid (``pid uid name``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue  # ended while we looked
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        uid = int(fields["Uid"].split()[0])
        if TEST_UID_BASE <= uid < TEST_UID_BASE + 64:
            found.append(f"{entry.name} {uid} {fields['Name'].strip()}")
    return found
