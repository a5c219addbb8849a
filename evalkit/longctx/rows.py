"""Generated rows: one per (subtask, length, depth, repetition) cell of the grid, seeded.

A row holds the problem (needles, instruction, question, answers) and where it sits in the grid,
but not the haystack: that is sized later in the evaluated model's tokens. So the rows, their ids
(``niah_single-4096-d50-0``) and their fingerprint depend only on the task's parameters and
``data_seed``: two models evaluated on the same grid get the same sample ids, and
``evalkit compare`` pairs them.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from typing import Any

from evalkit.longctx.grid import GridSpec
from evalkit.longctx.subtasks import BUILDERS, HAS_DEPTH

Row = dict[str, Any]


def cell_label(length: int, depth: float | int | None) -> str:
    """The ``cell`` metadata that run.json breaks scores down by: ``<length>x<depth>``.

    >>> cell_label(4096, 50), cell_label(4096, None)
    ('4096x50', '4096x-')
    """
    return f"{length}x{'-' if depth is None else depth}"


def row_seed(grid: GridSpec, subtask: str, length: int, depth: object, rep: int) -> int:
    """A seed for one cell, stable across runs and Python versions (not ``hash()``)."""
    text = f"{grid.seed}|{subtask}|{length}|{depth}|{rep}|{grid.value_kind}|{grid.haystack}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def make_row(grid: GridSpec, subtask: str, length: int, depth: float | int | None, rep: int) -> Row:
    """Build the row of one cell."""
    seed = row_seed(grid, subtask, length, depth, rep)
    problem = BUILDERS[subtask](random.Random(seed), grid.value_kind, (depth or 0) / 100)
    where = "" if depth is None else f"-d{depth}"
    return {
        "id": f"{subtask}-{length}{where}-{rep}",
        "subtask": subtask,
        "length": length,
        "depth": depth,
        "cell": cell_label(length, depth),
        "rep": rep,
        "seed": seed,
        "haystack": "list" if subtask == "cwe" else grid.haystack,
        "value_kind": grid.value_kind,
        "needles": [[d, text] for d, text in problem.needles],
        "instruction": problem.instruction,
        "question": problem.question,
        "answers": list(problem.answers),
        "target": " | ".join(problem.answers),
    }


def generate_rows(params: Mapping[str, Any]) -> list[Row]:
    """Return every row of the grid the task's parameters describe, in grid order.

    Raises:
        ConfigError: a parameter is invalid (see :class:`~evalkit.longctx.grid.GridSpec`).
    """
    grid = GridSpec.of(params)
    rows: list[Row] = []
    for subtask in grid.subtasks:
        depths: tuple[float | int | None, ...] = grid.depths if subtask in HAS_DEPTH else (None,)
        for length in grid.lengths:
            for depth in depths:
                rows.extend(make_row(grid, subtask, length, depth, r) for r in range(grid.samples))
    return rows
