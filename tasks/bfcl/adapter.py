"""BFCL entries -> samples (rows come from ``evalkit.scoring.calls.dataset``, the task's generator).

Where things live in a :class:`~evalkit.types.Sample` (what the engine sends, what the scorer
reads):

* ``data["messages"]``: the entry's own turns, unchanged. In native mode they are sent as they
  are, with ``metadata["tools"]`` as the request's tools; in prompt mode the task's
  ``system_template`` (``prompt_system.jinja``) is put first and no tools are sent (the
  generator's ``fit`` builds both; see ``evalkit.scoring.calls.dataset``).
* ``data["functions"]``: the function documents as shipped (the checker reads their types; the
  prompt-mode system prompt lists them with BFCL's Python hint).
* ``metadata["tools"]``: a tuple of OpenAI ``tools`` entries (``{"type": "function",
  "function": {...}}``) converted as BFCL converts them (:func:`evalkit.scoring.calls.to_tool`);
  ``metadata["category"]`` and ``metadata["section"]`` (for the breakdowns).
* ``target``: the possible answer as JSON text (empty for the irrelevance categories).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from evalkit.scoring.calls import section_of, to_tool
from evalkit.types import Sample


def adapt(row: Mapping[str, Any], index: int) -> Sample:
    """Turn one BFCL entry (a row of ``BfclSource.rows``) into a sample."""
    category = str(row["category"])
    if len(row["question"]) != 1:
        raise ValueError(f"entry {row['id']} has {len(row['question'])} turns; one expected")
    messages = tuple({"role": m["role"], "content": m["content"]} for m in row["question"][0])
    functions = row["function"]
    truth = row["ground_truth"]
    return Sample(
        id=str(row["id"]),
        index=index,
        data={
            "messages": messages,
            "functions": functions,
        },
        target="" if truth is None else json.dumps(truth, ensure_ascii=False),
        metadata={
            "category": category,
            "section": section_of(category),
            "tools": tuple(to_tool(f) for f in functions),
        },
    )
