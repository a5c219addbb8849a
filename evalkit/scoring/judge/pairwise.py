"""Pairwise comparison: a judge picks the better of the model's and a baseline's answers.

Each answered turn is judged twice, once with the model as assistant A and once as assistant B
(FastChat's ``play_a_match_pair``), and read as FastChat reads ``[[A]]`` / ``[[B]]`` / ``[[C]]``
(:func:`~evalkit.scoring.judge.verdicts.read_winner`). The pair's outcome, from the model's side:

* a **win** or a **loss** only when both orders agree on it;
* a **tie** when both orders say tie, or when they disagree (the judge preferred a position,
  not an answer); such a pair is *position-inconsistent*;
* **unparsed** when either order has no readable verdict: counted in ``judge_parsed`` and left
  out of every other metric.

The baseline is another run's answers to the same samples (``baseline = "run"`` with
``--baseline-run RUN``) or the sample's reference answers (``baseline = "reference"``).

Metrics over parsed pairs: ``win_rate``, the raw win rate (win 1, tie 0.5, loss 0, as AlpacaEval),
``win``, ``tie``, ``loss``, ``consistency`` (the position-consistency rate: the share of pairs
whose two orders agree), ``turn/1``, ``turn/2`` (win rate per turn); ``judge_parsed`` over all
pairs; and, over the whole run, ``lc_win_rate`` (:mod:`evalkit.scoring.judge.length_control`).
Every prompt and reply is kept in ``details["judgments"]``, each pair's verdicts, outcome and
length difference (characters, model minus baseline) in ``details["pairs"]``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from evalkit.scoring import ScoringResources
from evalkit.scoring.judge.conversation import (
    Conversation,
    conversation,
    judge_fields,
    references_of,
)
from evalkit.scoring.judge.length_control import lc_summary
from evalkit.scoring.judge.prompts import JUDGE_PARAMS, PromptSet, ask_judge, prompt_hashes
from evalkit.scoring.judge.verdicts import Winner, read_winner
from evalkit.types import Completion, Message, Request, Sample, Score

Against = Literal["run", "reference"]
Outcome = Literal["win", "tie", "loss"]
PREFERENCE: Mapping[Outcome, float] = {"win": 1.0, "tie": 0.5, "loss": 0.0}
_FIRST: Mapping[Winner, Outcome] = {"A": "win", "B": "loss", "tie": "tie"}  # model is A
_SECOND: Mapping[Winner, Outcome] = {"A": "loss", "B": "win", "tie": "tie"}  # model is B


def pair_outcome(first: Winner | None, second: Winner | None) -> tuple[Outcome, bool] | None:
    """The model's outcome and whether the two orders agree; ``None`` if either is unparsed.

    ``first``: the verdict with the model as A; ``second``: with the model as B.

    >>> pair_outcome("A", "B"), pair_outcome("A", "A"), pair_outcome("tie", None)
    (('win', True), ('tie', False), None)
    """
    if first is None or second is None:
        return None
    one, two = _FIRST[first], _SECOND[second]
    return (one if one == two else "tie", one == two)


def pair_score(pairs: Sequence[dict[str, Any]], details: dict[str, Any]) -> Score:
    """The score of a sample from its judged pairs (see the module docstring)."""
    parsed = [p for p in pairs if p["outcome"] is not None]
    share = len(parsed) / len(pairs)
    if not parsed:
        weights = {"judge_parsed": float(len(pairs))}
        return Score(0.0, None, "judge_unparsed", {"judge_parsed": 0.0}, weights, details)
    n = len(parsed)
    prefs = [p["preference"] for p in parsed]
    metrics: dict[str, float] = {
        "win_rate": sum(prefs) / n,
        "consistency": sum(1.0 for p in parsed if p["consistent"]) / n,
        **{str(k): sum(1.0 for p in parsed if p["outcome"] == k) / n for k in PREFERENCE},
        **{f"turn/{p['turn']}": float(p["preference"]) for p in parsed},
        "judge_parsed": share,
    }
    weights = {k: float(n) for k in ("win_rate", "consistency", *PREFERENCE)}
    weights["judge_parsed"] = float(len(pairs))
    answer = " / ".join(p["outcome"] for p in parsed)
    return Score(metrics["win_rate"], answer, None, metrics, weights, details)


def _pair(turn: int, replies: tuple[str, str], model: str, base: str) -> dict[str, Any]:
    first, second = read_winner(replies[0]), read_winner(replies[1])
    result = pair_outcome(first, second)
    outcome, consistent = result if result is not None else (None, None)
    return {
        "turn": turn,
        "verdicts": [first, second],
        "outcome": outcome,
        "consistent": consistent,
        "preference": PREFERENCE[outcome] if outcome is not None else None,
        "length_delta": len(model) - len(base),
    }


class PairwiseScorer:
    """Judges the model against a baseline, in both orders, turn by turn."""

    def __init__(self, prompts: PromptSet, against: Against) -> None:
        self.prompts = prompts
        self.against = against
        self.needs = frozenset({"judge", "baseline"} if against == "run" else {"judge"})
        self.judge_settings: Mapping[str, Any] = {
            "mode": "pairwise",
            "against": against,
            "scale": "win rate",
            "prompts_sha256": prompt_hashes(prompts),
            "params": JUDGE_PARAMS.to_dict(),
        }

    def _baseline(self, sample: Sample, resources: ScoringResources) -> tuple[str, ...]:
        if self.against == "reference":
            return references_of(sample)
        if resources.baseline is None:
            raise RuntimeError("pairwise scoring against a run needs --baseline-run (checked)")
        return resources.baseline.answers_for(sample.id)

    def _requests(
        self, sample: Sample, convo: Conversation, base: Sequence[str], turns: int
    ) -> list[Request]:
        questions, model = convo.questions, convo.answers
        # Against a run, math/reasoning/coding pairs are reference-guided (FastChat); against
        # the reference itself, showing it twice would tell the judge which answer is which.
        refs = references_of(sample) if self.against == "run" else ()
        requests = []
        for turn in range(1, turns + 1):
            prompt = self.prompts.choose(turn, bool(refs))
            for order, (a, b) in (("ab", (model, base)), ("ba", (base, model))):
                fields = judge_fields(questions, {"_a": a, "_b": b}, refs, turn)
                requests.append(
                    prompt.request(f"{sample.id}#pair-t{turn}-{order}", sample.index, fields)
                )
        return requests

    async def ascore(
        self,
        sample: Sample,
        completion: Completion,
        transcript: tuple[Message, ...],
        resources: ScoringResources,
    ) -> Score:
        """Ask the judge about every turn in both orders at once; read the outcomes."""
        if resources.judge is None:
            raise RuntimeError("judge-scored tasks run only with a judge (checked before the run)")
        convo = conversation(sample, completion, transcript)
        model = convo.answers
        base = self._baseline(sample, resources)
        turns = min(convo.turns, len(base))
        if turns == 0:
            raise ValueError(f"sample {sample.id} has no baseline answer to compare with")
        requests = self._requests(sample, convo, base, turns)
        replies = [r.text for r in await ask_judge(resources.judge, requests)]
        pairs = [
            _pair(t, (replies[2 * t - 2], replies[2 * t - 1]), model[t - 1], base[t - 1])
            for t in range(1, turns + 1)
        ]
        judgments = [
            {"request_id": req.sample_id, "prompt": req.prompt_json(), "reply": reply}
            for req, reply in zip(requests, replies, strict=True)
        ]
        details = {"pairs": pairs, "judgments": judgments, "against": self.against}
        return pair_score(pairs, details)

    def summarize(self, lines: Sequence[Mapping[str, Any]], seed: int) -> dict[str, Any]:
        """Run-level metrics: the length-controlled win rate over every parsed pair."""
        return lc_summary(lines, seed)
