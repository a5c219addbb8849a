"""Fixtures for the sandbox tests: a real bubblewrap jail, and a check that nothing survives it."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from typing import Any

import pytest
from support.sandboxes import TEST_UID_BASE, Run, slot_processes

from evalkit.sandbox import ExecResult, Sandbox, SandboxLimits, SandboxUnavailable, jail


@pytest.fixture(autouse=True)
def _own_uids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run this session's slots under uids no other sandbox on the machine uses."""
    monkeypatch.setattr(jail, "UID_BASE", TEST_UID_BASE)


@pytest.fixture(scope="session")
def available() -> None:
    """Skip (with the fix in the reason) where bubblewrap cannot build a jail."""
    try:
        Sandbox.check_available()
    except SandboxUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture
def run(available: None) -> Iterator[Run]:
    """Run one program in a fresh jail; afterwards no process of any slot uid may remain."""

    def go(code: str, **kwargs: Any) -> ExecResult:
        return asyncio.run(Sandbox().run(code, **kwargs))

    yield go
    if os.geteuid() == 0:
        assert slot_processes() == []


@pytest.fixture
def quick() -> SandboxLimits:
    """Limits that end runaway programs fast."""
    return SandboxLimits(wall_s=20.0, cpu_s=2.0, memory_mb=512, processes=32)
