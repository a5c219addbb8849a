"""RULER's scoring: substring recall of the expected values in the model's reply.

RULER (Hsieh et al. 2024) scores every synthetic task by plain substring matching, ignoring case,
after control characters in the reply are turned into newlines:

* ``string_match_all``: the share of the expected values found in the reply (the niah variants,
  variable tracking and common-words extraction; the primary metric here);
* ``string_match_part``: 1 if any expected value is found (RULER's QA metric), kept alongside.

A value counts wherever it appears, so a reply listing extra values is not penalised (as in
RULER); a ``<think>`` block is removed first (:func:`~evalkit.scoring.response.reply_text`).

>>> s = RulerScorer()
>>> sample = Sample("x", 0, {"answers": ["4821734", "1234567"]}, "4821734 | 1234567")
>>> s.score(sample, Completion("The numbers are 4821734 and 7654321.")).metrics
{'string_match_all': 0.5, 'string_match_part': 1.0}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from evalkit.scoring.response import reply_text
from evalkit.types import Completion, Sample, Score

_CONTROL = re.compile(r"[\x00-\x1f]")


def postprocess(reply: str) -> str:
    """Turn control characters into newlines and strip, as RULER does before matching."""
    return _CONTROL.sub("\n", reply).strip()


def expected(sample: Sample) -> list[str]:
    """The values a reply must contain: the row's ``answers``, else the ``|``-joined target."""
    answers = sample.data.get("answers")
    if isinstance(answers, list) and answers:
        return [str(a) for a in answers]
    return [part.strip() for part in sample.target.split("|") if part.strip()]


@dataclass(frozen=True, slots=True)
class RulerScorer:
    """Scores a reply by RULER's ``string_match_all`` (value) and ``string_match_part``."""

    def score(self, sample: Sample, completion: Completion) -> Score:
        """Find each expected value in the reply, ignoring case."""
        reply = postprocess(reply_text(completion.text)).lower()
        refs = expected(sample)
        found = [r for r in refs if r.lower() in reply]
        share = len(found) / len(refs) if refs else 0.0
        metrics = {"string_match_all": share, "string_match_part": float(bool(found))}
        reason = "truncated" if completion.finish_reason == "length" and share < 1.0 else None
        return Score(
            share,
            " | ".join(found) if found else None,
            reason,
            metrics,
            details={"found": found, "missing": [r for r in refs if r not in found]},
        )


def make_ruler_scorer(params: Mapping[str, Any]) -> RulerScorer:
    """Build the scorer (it has no parameters)."""
    return RulerScorer()
