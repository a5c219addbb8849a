"""Full MATH rows → samples: the gold is the last ``\\boxed{}`` of the reference solution.

Rows come from the hub (fields problem, level, type, solution, plus ``_config``) or from the
original release files (the same fields plus ``_path``, e.g. ``MATH/test/algebra/1.json``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from evalkit.task.data import row_id
from evalkit.scoring.math.extract import last_boxed
from evalkit.types import Sample

LEVEL = re.compile(r"Level (\d)")


def adapt(row: Mapping[str, Any], index: int) -> Sample:
    """Turn one MATH row into a Sample with subject and level for the breakdowns."""
    problem, solution = str(row["problem"]), str(row["solution"])
    answer = last_boxed(solution)
    if answer is None:
        raise ValueError("field 'solution' has no \\boxed{} answer")
    level = LEVEL.search(str(row.get("level", "")))
    path = str(row.get("_path", ""))
    return Sample(
        id=path.split("MATH/", 1)[-1] if path else row_id({"problem": problem, "solution": solution}),
        index=index,
        data={"problem": problem},
        target=answer,
        metadata={"subject": str(row["type"]), "level": int(level.group(1)) if level else 0},
    )
