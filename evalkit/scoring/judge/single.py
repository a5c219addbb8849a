"""Single-answer grading: a judge rates each answered turn from 1 to 10 (MT-Bench's method).

Each turn of the conversation is judged on its own request (turn 1 with the first question and
answer; turn 2 with the whole conversation, as FastChat's ``-multi-turn`` prompts show it),
reference-guided when the sample has reference answers. The rating is read exactly as FastChat
reads it (:func:`~evalkit.scoring.judge.verdicts.read_rating`).

Metrics: ``rating``, the mean rating over every parsed judgment (a sample weighs as many
judgments as it has parsed ratings, so the run's mean is FastChat's mean over all turns);
``turn/1``, ``turn/2`` (``evalkit table RUN --by turn``); ``judge_parsed``, the share of
judgments with a readable rating (its ``total_weight`` is the number of judgments). An unread
rating is left out of every score, never counted as 0 or -1; a sample with none is recorded
with reason ``judge_unparsed``. Every judge prompt (with its sha256) and reply is kept in the
sample's ``details["judgments"]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalkit.scoring import ScoringResources
from evalkit.scoring.judge.conversation import conversation, judge_fields, references_of
from evalkit.scoring.judge.prompts import JUDGE_PARAMS, PromptSet, ask_judge, prompt_hashes
from evalkit.scoring.judge.verdicts import read_rating
from evalkit.types import Completion, Message, Request, Sample, Score


def _judgment(request: Request, name: str, sha256: str, turn: int, reply: str) -> dict[str, Any]:
    rating = read_rating(reply)
    return {
        "turn": turn,
        "prompt_name": name,
        "prompt_sha256": sha256,
        "prompt": request.prompt_json(),
        "reply": reply,
        "rating": rating,
    }


def rating_score(judgments: list[dict[str, Any]]) -> Score:
    """The score of a sample from its judgments (see the module docstring)."""
    parsed = [(j["turn"], float(j["rating"])) for j in judgments if j["rating"] is not None]
    details = {"judgments": judgments}
    share = len(parsed) / len(judgments)
    if not parsed:
        metrics = {"judge_parsed": 0.0}
        weights = {"judge_parsed": float(len(judgments))}
        return Score(0.0, None, "judge_unparsed", metrics, weights, details)
    mean = sum(r for _, r in parsed) / len(parsed)
    metrics = {"rating": mean, "judge_parsed": share, **{f"turn/{t}": r for t, r in parsed}}
    weights = {"rating": float(len(parsed)), "judge_parsed": float(len(judgments))}
    answer = " / ".join(f"{r:g}" for _, r in parsed)
    return Score(mean, answer, None, metrics, weights, details)


class RatingScorer:
    """Rates every answered turn with a judge (MT-Bench's prompts or a user's rubric)."""

    needs = frozenset({"judge"})

    def __init__(self, prompts: PromptSet) -> None:
        self.prompts = prompts
        self.judge_settings: Mapping[str, Any] = {
            "mode": "single",
            "scale": "1-10",
            "prompts_sha256": prompt_hashes(prompts),
            "params": JUDGE_PARAMS.to_dict(),
        }

    async def ascore(
        self,
        sample: Sample,
        completion: Completion,
        transcript: tuple[Message, ...],
        resources: ScoringResources,
    ) -> Score:
        """Ask the judge about every answered turn at once; read each rating."""
        if resources.judge is None:
            raise RuntimeError("judge-scored tasks run only with a judge (checked before the run)")
        convo = conversation(sample, completion, transcript)
        refs = references_of(sample)
        requests, chosen = [], []
        for turn in range(1, convo.turns + 1):
            prompt = self.prompts.choose(turn, bool(refs))
            fields = judge_fields(convo.questions, {"": convo.answers}, refs, turn)
            requests.append(prompt.request(f"{sample.id}#judge-t{turn}", sample.index, fields))
            chosen.append(prompt)
        replies = await ask_judge(resources.judge, requests)
        judgments = [
            _judgment(req, p.name, p.sha256, turn, reply.text)
            for turn, (req, p, reply) in enumerate(zip(requests, chosen, replies, strict=True), 1)
        ]
        return rating_score(judgments)
