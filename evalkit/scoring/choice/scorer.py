"""The multiple-choice scorer: the gold label, the verdict and the reason attached to it.

Which label a response commits to is :mod:`evalkit.scoring.choice.extract`'s job (its module
docstring states the strategy); this module compares it with the gold and builds the
:class:`~evalkit.types.Score`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from evalkit.errors import ConfigError, DataError
from evalkit.scoring.choice.extract import (
    DEFAULT_LABELS,
    ChoiceExtraction,
    ExtractionMethod,
    ExtractionReason,
    extract_choice,
    norm_option,
)
from evalkit.scoring.choice.patterns import CLOSE, OPEN
from evalkit.types import Completion, Sample, Score

__all__ = [
    "DEFAULT_LABELS",
    "ChoiceExtraction",
    "ChoiceScorer",
    "ExtractionMethod",
    "ExtractionReason",
    "extract_choice",
    "make_choice_scorer",
]


@dataclass(frozen=True, slots=True)
class ChoiceScorer:
    """Scores a free-text answer to a multiple-choice question against the gold label.

    Attributes:
        labels: Fixed option labels; ``None`` gives n options the first n of
            :data:`DEFAULT_LABELS`.
    """

    labels: tuple[str, ...] | None = None

    def score(self, sample: Sample, completion: Completion) -> Score:
        """Score 1.0 for exactly the gold label, else 0.0 (wrong, two labels or none).

        ``reason`` is ``multiple_answers``, ``truncated`` (no label and the output hit
        ``max_tokens``) or ``no_answer_found``. Raises :class:`DataError` for a sample with
        1 or more than 10 options or a target that is no label.
        """
        labels = self.labels_for(sample)
        truncated = completion.finish_reason == "length"
        found = extract_choice(completion.text, labels, sample.choices, truncated=truncated)
        value = 1.0 if found.letter == _gold(sample, labels) else 0.0
        reason: str | None = found.reason
        if reason == "no_answer_found" and truncated:
            reason = "truncated"
        details = {"method": found.method, "candidates": list(found.candidates)}
        return Score(value, found.letter, reason, {"accuracy": value}, details=details)

    def labels_for(self, sample: Sample) -> tuple[str, ...]:
        """The labels of ``sample``'s options (all of ``labels`` when it lists none)."""
        n = len(sample.choices)
        labels = self.labels or tuple(DEFAULT_LABELS)
        if n > len(labels) or n == 1 or (n == 0 and self.labels is None):
            raise DataError(
                f"sample {sample.id}: {n} options; the choice scorer needs 2-{len(labels)}"
                " options, or a 'labels' parameter when the options are not listed"
            )
        return labels[:n] if n else labels


def _gold(sample: Sample, labels: tuple[str, ...]) -> str:
    """The gold label: the target as a label ("B", "(b)") or the text of one option."""
    target = sample.target.strip().strip(OPEN + CLOSE + ".").upper()
    for label in labels:
        if target == label.upper():
            return label
    texts = [norm_option(o) for o in sample.choices]
    if texts.count(norm_option(sample.target)) == 1:
        return labels[texts.index(norm_option(sample.target))]
    raise DataError(f"sample {sample.id}: target {sample.target!r} is not one of {list(labels)}")


def make_choice_scorer(params: Mapping[str, Any]) -> ChoiceScorer:
    """Build the ``"choice"`` scorer.

    Args:
        params: Task parameters. ``labels`` (optional): a list of strings, a string of
            one-character labels (``"ABCD"``) or a comma-separated string (``"1,2,3,4"``).

    Raises:
        ConfigError: ``labels`` is not 2-10 distinct non-empty strings.
    """
    raw = params.get("labels")
    if raw is None:
        return ChoiceScorer()
    if isinstance(raw, str):
        raw = raw.split(",") if "," in raw else list(raw)
    labels = (
        tuple(x.strip() for x in raw if isinstance(x, str))
        if isinstance(raw, (list, tuple))
        else ()
    )
    if not 2 <= len(labels) <= 10 or len(set(labels)) != len(raw) or not all(labels):
        raise ConfigError(f"choice scorer: 'labels' needs 2-10 distinct strings, got {raw!r}")
    return ChoiceScorer(labels)
