"""Model-graded scoring: a judge model grades an answer against the question and a reference.

The ``rubric`` scorer sends the judge one prompt (the question, the reference answer, the
model's final answer, and the grading instructions) and reads its grade from the last
``GRADE: C`` / ``GRADE: I`` line (correct / incorrect), the convention of Inspect's
``model_graded_qa``. A reply with no readable grade is recorded with reason ``judge_unparsed``
and left out of the accuracy (never counted as wrong); ``judge_parsed`` counts such replies.
The judge's prompt and reply are kept in the sample's details. Judge calls go through the
engine (cache, retries, concurrency), so rescoring with the same judge calls no model.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from evalkit.scoring import ScoringResources
from evalkit.scoring.response import reply_text
from evalkit.types import Completion, GenerateParams, Message, Request, Sample, Score

GRADER_TEMPLATE = """You are grading an answer to a question against a reference answer.

[Question]
{question}

[Reference answer]
{reference}

[Submitted answer]
{answer}

Decide whether the submitted answer is correct: it must agree with the reference answer on
what the question asks; wording and extra explanation do not matter. Explain briefly, then
end with a line "GRADE: C" if it is correct or "GRADE: I" if it is incorrect."""
"""The judge prompt; its sha256 is recorded with every verdict."""

TEMPLATE_SHA256 = hashlib.sha256(GRADER_TEMPLATE.encode()).hexdigest()
_GRADE = re.compile(r"GRADE\s*:\s*\**\s*([CI])\b")
JUDGE_PARAMS = GenerateParams(max_tokens=1024, temperature=0.0, seed=0)


def read_grade(text: str) -> float | None:
    r"""The grade in a judge reply: 1.0 (C), 0.0 (I), or ``None`` when none is readable.

    >>> read_grade("The answer matches.\nGRADE: C")
    1.0
    >>> read_grade("GRADE: C ... on reflection, GRADE: I")
    0.0
    >>> read_grade("I cannot grade this.") is None
    True
    """
    grades = _GRADE.findall(text[-4000:])
    if not grades:
        return None
    return 1.0 if grades[-1] == "C" else 0.0


class RubricScorer:
    """See the module docstring; ``question_field`` names the row field shown as the question."""

    needs = frozenset({"judge"})
    judge_settings: Mapping[str, Any] = {
        "mode": "rubric",
        "scale": "accuracy",
        "prompts_sha256": {"rubric": TEMPLATE_SHA256},
        "params": JUDGE_PARAMS.to_dict(),
    }
    """What run.json records beside the judge model (see :func:`evalkit.scoring.judge_settings`)."""

    def __init__(self, question_field: str) -> None:
        self.question_field = question_field

    def judge_request(self, sample: Sample, answer: str) -> Request:
        """The judge's request for one answer."""
        prompt = GRADER_TEMPLATE.format(
            question=str(sample.data.get(self.question_field, "")),
            reference=sample.target,
            answer=answer,
        )
        return Request(
            f"{sample.id}#judge",
            JUDGE_PARAMS,
            messages=(Message("user", prompt),),
            sample_index=sample.index,
        )

    async def ascore(
        self,
        sample: Sample,
        completion: Completion,
        transcript: tuple[Message, ...],
        resources: ScoringResources,
    ) -> Score:
        """Ask the judge; read its grade."""
        if resources.judge is None:
            raise RuntimeError("the rubric scorer runs only with a judge (checked before the run)")
        answer = reply_text(completion.text)
        request = self.judge_request(sample, answer)
        verdict = await resources.judge(request)
        grade = read_grade(verdict.text)
        details: Mapping[str, Any] = {
            "judge_prompt_sha256": TEMPLATE_SHA256,
            "judge_prompt": request.prompt_json(),
            "judge_reply": verdict.text,
        }
        if grade is None:
            return Score(0.0, answer, "judge_unparsed", {"judge_parsed": 0.0}, details=details)
        metrics = {"accuracy": grade, "judge_parsed": 1.0}
        return Score(grade, answer, None, metrics, details=details)


def make_rubric_scorer(params: Mapping[str, Any]) -> RubricScorer:
    """``scorer = "rubric"``; ``question_field`` (default ``question``) in ``[params]``."""
    return RubricScorer(str(params.get("question_field", "question")))
