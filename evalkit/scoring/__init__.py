"""Scorers: extraction and comparison of answers, one module per family.

A scorer is built from a task's parameters by a factory registered in :data:`SCORERS` and exposes
one method, :meth:`Scorer.score`. Scorers are pure and deterministic: the same sample and the same
completion always give the same :class:`~evalkit.types.Score`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from evalkit.registry import Registry
from evalkit.types import Completion, Sample, Score


class Scorer(Protocol):
    """Turns a completion for a sample into a :class:`Score`."""

    def score(self, sample: Sample, completion: Completion) -> Score:
        """Score ``completion`` against ``sample.target``."""
        ...


ScorerFactory = Callable[[Mapping[str, Any]], Scorer]
"""Builds a scorer from the task's resolved parameters."""

SCORERS: Registry[ScorerFactory] = Registry(
    "scorer",
    {
        "gsm8k": "evalkit.scoring.numeric:make_gsm8k_scorer",
        "math": "evalkit.scoring.math_equiv:make_math_scorer",
        "choice": "evalkit.scoring.choice:make_choice_scorer",
        "ifeval": "evalkit.scoring.ifeval:make_ifeval_scorer",
        "exact": "evalkit.scoring.exact:make_exact_scorer",
    },
    group="evalkit.scorers",
)
