"""The generic ``judged`` task's rows: a user's JSONL file of prompts, named by ``-T data=FILE``.

Each line is a JSON object. The task's parameters say which fields matter:

* ``prompt_field`` (default ``prompt``): the text the model is asked;
* ``reference_field`` (default none): a reference answer, shown to the judge by the
  reference-guided rubric, or the other side of each pair with ``baseline=reference``;
* ``category_field`` (default none): a label to break scores down by (``category``);
* ``id_field`` (default none): a stable id; without one, the id is a hash of the line.

Rows are normalised to ``{"id", "turns": [prompt], "reference": [ref] | None, "category",
"target"}``: the judged conversation has one turn, and the data fingerprint covers what the run
used. A missing file, a missing field or an empty file fails before any request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalkit.errors import ConfigError, DataError
from evalkit.task.data import row_id
from evalkit.task.prompts import build_request
from evalkit.types import Request, Sample

if TYPE_CHECKING:
    from evalkit.config import RunConfig
    from evalkit.task.spec import ResolvedTask


def _lines(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"judged: cannot read '{path}' ({exc})") from None
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (ValueError, RecursionError) as exc:
            raise DataError(f"{path}:{number}: not valid JSON ({exc})") from None
        if not isinstance(row, dict):
            raise DataError(f"{path}:{number}: expected a JSON object per line")
        rows.append(row)
    if not rows:
        raise DataError(f"judged: '{path}' holds no rows")
    return rows


def _field(row: Mapping[str, Any], field: str, where: str) -> str:
    if field not in row:
        raise DataError(f"{where}: no field '{field}' (fields: {', '.join(sorted(row))})")
    value = row[field]
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise DataError(f"{where}: field '{field}' is not text")
    return str(value)


def normalise(row: Mapping[str, Any], params: Mapping[str, Any], where: str) -> dict[str, Any]:
    """One user row in the form the task reads (see the module docstring)."""
    reference_field = str(params.get("reference_field") or "")
    category_field = str(params.get("category_field") or "")
    id_field = str(params.get("id_field") or "")
    reference = _field(row, reference_field, where) if reference_field else None
    return {
        "id": _field(row, id_field, where) if id_field else row_id(row),
        "turns": [_field(row, str(params.get("prompt_field") or "prompt"), where)],
        "reference": [reference] if reference is not None else None,
        "category": _field(row, category_field, where) if category_field else "all",
        "target": reference or "",
    }


class JudgedSource:
    """The ``judged`` task's ``[dataset] generator``."""

    def rows(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Read and normalise the file named by ``data``.

        Raises:
            ConfigError: no file was named. DataError: it is unreadable or lacks a field.
        """
        name = str(params.get("data") or "")
        if not name:
            raise ConfigError("judged: name your prompts file with -T data=FILE.jsonl")
        path = Path(name)
        return [normalise(r, params, f"{path}:{i}") for i, r in enumerate(_lines(path), 1)]

    def fit(
        self, task: ResolvedTask, samples: Sequence[Sample], config: RunConfig
    ) -> tuple[list[Sample], list[Request]]:
        """Render each prompt with the task's template."""
        return list(samples), [build_request(task, s, ()) for s in samples]


SOURCE = JudgedSource()
