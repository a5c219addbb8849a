"""MT-Bench rows (question, category, turns, reference answers) as samples."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalkit.types import Sample


def adapt(row: Mapping[str, Any], index: int) -> Sample:
    """A question: its id is FastChat's ``question_id``; scores break down by ``category``."""
    return Sample(
        id=str(row["question_id"]),
        index=index,
        data=dict(row),
        target="",
        metadata={"category": str(row["category"])},
    )
