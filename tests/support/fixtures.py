"""Pytest fixtures that run the fake OpenAI server as a subprocess.

Load them from ``tests/conftest.py`` with ``pytest_plugins = ["support.fixtures"]``.

- ``openai_server`` (session): an ``echo`` server without latency or faults, shared by tests that
  only need answers. Its stats are shared too: read them only on a server of your own.
- ``openai_server_factory`` (function): ``factory(**options) -> ServerHandle``; every server it
  starts is stopped after the test.
- ``gsm8k_answer_sheet`` (session): an answer sheet for GSM8K test.jsonl with accuracy 0.6,
  written at run time (skips when the data folder is absent).
- ``gsm8k_server`` (session): a ``gsm8k`` responder server reading that sheet.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest
from support.server_process import ServerHandle, start_server_process
from support.server_responders import Gsm8kAnswerSheet, write_gsm8k_answers

GSM8K_SHEET_ACCURACY = 0.6
"""Accuracy of the session GSM8K answer sheet."""

GSM8K_SHEET_SEED = 0
"""Seed of the session GSM8K answer sheet."""


def shared_data_dir() -> Path:
    """Return the benchmark data folder: ``$EVALKIT_DATA_DIR`` or ``<repo>/../shared/data``."""
    configured = os.environ.get("EVALKIT_DATA_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2].parent / "shared" / "data"


class ServerFactory(Protocol):
    """Starts a server with the given :class:`~support.server_options.ServerOptions` fields."""

    def __call__(self, **options: Any) -> ServerHandle:
        """Start a server and return its handle."""
        ...


@pytest.fixture(scope="session")
def openai_server() -> Iterator[ServerHandle]:
    """A shared ``echo`` server without latency or faults."""
    handle = start_server_process()
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def openai_server_factory() -> Iterator[ServerFactory]:
    """Start servers with custom options; all are stopped after the test."""
    handles: list[ServerHandle] = []

    def factory(**options: Any) -> ServerHandle:
        handle = start_server_process(**options)
        handles.append(handle)
        return handle

    try:
        yield factory
    finally:
        for handle in handles:
            handle.stop()


@pytest.fixture(scope="session")
def gsm8k_answer_sheet(tmp_path_factory: pytest.TempPathFactory) -> Gsm8kAnswerSheet:
    """An answer sheet for GSM8K test.jsonl, right on a seeded 60 % of the questions."""
    data_path = shared_data_dir() / "gsm8k" / "test.jsonl"
    if not data_path.is_file():
        pytest.skip(f"GSM8K data not found at {data_path} (set EVALKIT_DATA_DIR)")
    out_path = tmp_path_factory.mktemp("gsm8k_sheet") / "answers.jsonl"
    return write_gsm8k_answers(
        data_path, out_path, accuracy=GSM8K_SHEET_ACCURACY, seed=GSM8K_SHEET_SEED
    )


@pytest.fixture(scope="session")
def gsm8k_server(gsm8k_answer_sheet: Gsm8kAnswerSheet) -> Iterator[ServerHandle]:
    """A shared server answering GSM8K questions from :func:`gsm8k_answer_sheet`."""
    handle = start_server_process(responder="gsm8k", answers=gsm8k_answer_sheet.path)
    try:
        yield handle
    finally:
        handle.stop()
