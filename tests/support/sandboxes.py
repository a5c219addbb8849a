"""Helpers for tests that run real sandboxes: which host processes run under a slot's uid."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from evalkit.sandbox import ExecResult
from evalkit.sandbox.jail import UID_BASE

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
        if UID_BASE <= uid < UID_BASE + 64:
            found.append(f"{entry.name} {uid} {fields['Name'].strip()}")
    return found
