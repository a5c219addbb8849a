"""BFCL entries -> samples (rows come from ``evalkit.scoring.calls.dataset``, the task's generator).

Where things live in a :class:`~evalkit.types.Sample` (what the engine sends, what the scorer
reads):

* ``data["messages"]``: the chat as BFCL sends it in native (function-calling) mode: the entry's
  own turns, unchanged. Send with ``metadata["tools"]`` as the request's tools.
* ``data["prompt_messages"]``: the chat for prompt mode: the same turns with the system prompt of
  :func:`system_prompt` first (merged into the entry's own system turn when it has one, as BFCL
  does). Send without tools.
* ``data["functions"]``: the function documents as shipped (the checker reads their types).
* ``metadata["tools"]``: a tuple of OpenAI ``tools`` entries (``{"type": "function",
  "function": {...}}``) converted as BFCL converts them (:func:`evalkit.scoring.calls.to_tool`);
  ``metadata["category"]`` and ``metadata["section"]`` (for the breakdowns).
* ``target``: the possible answer as JSON text (empty for the irrelevance categories).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from evalkit.scoring.calls import hinted, section_of, to_tool
from evalkit.types import Sample

# Wording is evalkit's own; the content follows BFCL's default prompt-mode system prompt
# (bfcl_eval/constants/default_prompts.py: Python call-list output, function docs as JSON).
_SYSTEM_PROMPT = """\
You can call functions to do what the user asks. The functions are described below in JSON.

To call functions, reply with the calls only, written as one Python list of calls with keyword \
arguments, and no other text:
[function_name(param1=value1, param2=value2), other_function(param=value)]
If no function fits the request, or the request lacks arguments a function requires, do not \
write a call: say so in words.

Functions:
{functions}
"""


def system_prompt(functions: Sequence[Mapping[str, Any]]) -> str:
    """Return the prompt-mode system prompt describing ``functions`` (hinted, as JSON)."""
    return _SYSTEM_PROMPT.format(functions=json.dumps([hinted(f) for f in functions], indent=4))


def prompt_messages(
    messages: Sequence[Mapping[str, str]], functions: Sequence[Mapping[str, Any]]
) -> tuple[dict[str, str], ...]:
    """Put the system prompt first: before the entry's own system text, or as a new turn."""
    prompt = system_prompt(functions)
    turns = [dict(m) for m in messages]
    if turns and turns[0]["role"] == "system":
        turns[0]["content"] = prompt + "\n\n" + turns[0]["content"]
    else:
        turns.insert(0, {"role": "system", "content": prompt})
    return tuple(turns)


def adapt(row: Mapping[str, Any], index: int) -> Sample:
    """Turn one BFCL entry (a row of :func:`load`) into a sample."""
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
            "prompt_messages": prompt_messages(messages, functions),
            "functions": functions,
        },
        target="" if truth is None else json.dumps(truth, ensure_ascii=False),
        metadata={
            "category": category,
            "section": section_of(category),
            "tools": tuple(to_tool(f) for f in functions),
        },
    )
