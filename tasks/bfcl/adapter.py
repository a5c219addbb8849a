"""BFCL entries -> samples, read from the installed ``bfcl-eval`` package.

The package (``pip install --no-deps bfcl-eval==2026.3.23``) ships each category as JSON lines in
``bfcl_eval/data/BFCL_v4_<category>.json`` and its possible answers in
``bfcl_eval/data/possible_answer/``. Only those data files are read; no module of the package is
imported (its imports pull every model SDK).

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

import importlib.metadata
import importlib.util
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from evalkit.errors import ConfigError, DataError
from evalkit.registry import suggest
from evalkit.scoring.calls import hinted, section_of, to_tool
from evalkit.task.data import LoadedSplit, fingerprint
from evalkit.types import Sample

CATEGORIES = (
    "simple_python",
    "multiple",
    "parallel",
    "parallel_multiple",
    "irrelevance",
    "live_simple",
    "live_multiple",
    "live_parallel",
    "live_parallel_multiple",
    "live_irrelevance",
)
"""BFCL's single-turn categories evalkit runs (the default subset is all of them)."""

PACKAGE = "bfcl-eval"
PINNED = "2026.3.23"
INSTALL_HINT = f"pip install --no-deps {PACKAGE}=={PINNED}"

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


def data_dir() -> Path:
    """Return the ``bfcl_eval/data`` folder of the installed package.

    Raises:
        DataError: the package is not installed.
    """
    spec = importlib.util.find_spec("bfcl_eval")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(f"BFCL data needs the {PACKAGE} package: {INSTALL_HINT}")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _read_lines(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read BFCL data ({exc})") from None


def _category_rows(root: Path, category: str) -> list[dict[str, Any]]:
    entries = _read_lines(root / f"BFCL_v4_{category}.json")
    answers_path = root / "possible_answer" / f"BFCL_v4_{category}.json"
    answers = (
        {a["id"]: a["ground_truth"] for a in _read_lines(answers_path)}
        if ("irrelevance" not in category)
        else {}
    )
    rows = []
    for entry in entries:
        if "irrelevance" not in category and entry["id"] not in answers:
            raise DataError(f"{answers_path}: no possible answer for '{entry['id']}'")
        rows.append(
            {
                "id": entry["id"],
                "category": category,
                "question": entry["question"],
                "function": entry["function"],
                "ground_truth": answers.get(entry["id"]),
            }
        )
    return rows


def check_subset(subset: Sequence[str]) -> tuple[str, ...]:
    """Return the named categories in BFCL's order, refusing unknown names.

    Raises:
        ConfigError: a name is not a category (with a "did you mean" hint).
    """
    for name in subset:
        if name not in CATEGORIES:
            raise ConfigError(
                f"bfcl: unknown category '{name}'.{suggest(name, list(CATEGORIES))}"
                f" Categories: {', '.join(CATEGORIES)}."
            )
    if not subset:
        raise ConfigError(f"bfcl: subset is empty. Categories: {', '.join(CATEGORIES)}.")
    return tuple(c for c in CATEGORIES if c in subset)


def load(params: Mapping[str, Any]) -> LoadedSplit:
    """Load the rows of the categories named by ``params["subset"]`` (all when absent).

    Raises:
        ConfigError: an unknown category. DataError: the package or a file is missing.
    """
    subset = params.get("subset", list(CATEGORIES))
    categories = check_subset([subset] if isinstance(subset, str) else list(subset))
    root = data_dir()
    rows = [row for c in categories for row in _category_rows(root, c)]
    version = importlib.metadata.version(PACKAGE)
    return LoadedSplit(rows, f"pypi:{PACKAGE}=={version}", version, fingerprint(rows))


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
