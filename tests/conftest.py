"""Shared fixtures: paths to the repository, test fixtures and the real benchmark data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = ["support.fixtures"]

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
SHARED_DATA = Path(os.environ.get("EVALKIT_DATA_DIR", REPO.parent / "shared" / "data"))


@pytest.fixture
def fixture_data() -> Path:
    """Small invented datasets laid out like shared/data."""
    return FIXTURES / "data"


@pytest.fixture
def fixture_tasks() -> Path:
    """Task folders used only by tests."""
    return FIXTURES / "tasks"


@pytest.fixture
def shared_data() -> Path:
    """The real benchmark data; tests that need it skip when it is absent."""
    if not (SHARED_DATA / "gsm8k" / "test.jsonl").is_file():
        pytest.skip(f"benchmark data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _no_ambient_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Keep the developer's environment (data dir, response cache) out of tests."""
    monkeypatch.delenv("EVALKIT_DATA_DIR", raising=False)
    monkeypatch.setenv("EVALKIT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
