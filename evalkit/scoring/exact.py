"""Exact-match scoring: the answer is the whole reply, compared after light normalisation.

The reply is :func:`~evalkit.scoring.response.reply_text` of the completion (no reasoning block).

Parameters (from the task's ``[params]``): ``ignore_case`` (default true) and
``strip_punctuation`` (default true: trailing ``.``, quotes and surrounding whitespace go).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from evalkit.scoring.response import reply_text
from evalkit.types import Completion, Sample, Score

_TRAILING = " \t\r\n.\"'`"


@dataclass(frozen=True, slots=True)
class ExactScorer:
    """Scores 1 when the normalised response equals the normalised target."""

    ignore_case: bool = True
    strip_punctuation: bool = True

    def normalize(self, text: str) -> str:
        """Collapse whitespace, and optionally case and trailing punctuation.

        >>> ExactScorer().normalize("  Paris. ")
        'paris'
        """
        out = " ".join(text.split())
        if self.strip_punctuation:
            out = out.strip(_TRAILING)
        return out.lower() if self.ignore_case else out

    def score(self, sample: Sample, completion: Completion) -> Score:
        """Compare the whole response with the target."""
        answer = self.normalize(reply_text(completion.text))
        if not answer:
            reason = "truncated" if completion.finish_reason == "length" else "no_answer_found"
            return Score(0.0, None, reason, {"accuracy": 0.0})
        value = float(answer == self.normalize(sample.target))
        return Score(value, answer, None, {"accuracy": value})


def make_exact_scorer(params: Mapping[str, Any]) -> ExactScorer:
    """Build the scorer from task parameters."""
    return ExactScorer(
        bool(params.get("ignore_case", True)), bool(params.get("strip_punctuation", True))
    )
