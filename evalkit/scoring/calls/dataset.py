"""BFCL's single-turn data from the installed ``bfcl-eval`` package, and the requests it needs.

The package (``pip install --no-deps bfcl-eval==2026.3.23``) ships each category as JSON lines in
``bfcl_eval/data/BFCL_v4_<category>.json`` and its possible answers in
``bfcl_eval/data/possible_answer/``. Only those files are read, located without importing the
package (its imports pull every model SDK).

:data:`SOURCE` is the ``bfcl`` task's ``[dataset] generator``: :meth:`BfclSource.rows` reads the
categories named by the ``subset`` parameter, the task's adapter turns rows into samples, and
:meth:`BfclSource.fit` renders each request as the task's ``calls`` parameter says:

* ``native``: the entry's own turns (``sample.data["messages"]``) with the functions offered as
  native tools (``sample.metadata["tools"]``, OpenAI form);
* ``prompt``: the turns with the task's ``system_template`` first (it sees the function
  documents, with BFCL's Python hint, as ``functions_json``: indented JSON as BFCL writes them);
  it is merged into the entry's own system turn when there is one (before that turn's text, as
  BFCL does), and no tools are sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from evalkit.errors import ConfigError, DataError
from evalkit.registry import suggest
from evalkit.scoring.calls.tools import hinted
from evalkit.task.data import installed_package_dir, read_json_lines
from evalkit.types import Message, Request, Role, Sample, ToolSpec

if TYPE_CHECKING:
    from evalkit.config import RunConfig
    from evalkit.task.spec import ResolvedTask

__all__ = [
    "CATEGORIES",
    "INSTALL_HINT",
    "SOURCE",
    "BfclSource",
    "data_dir",
    "read_rows",
    "with_system_prompt",
]

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
"""BFCL's single-turn categories, in BFCL's order (the ``bfcl`` task's default subset)."""

INSTALL_HINT = "pip install --no-deps bfcl-eval==2026.3.23"


def data_dir() -> Path:
    """Return the ``bfcl_eval/data`` folder of the installed package.

    Raises:
        DataError: the package is not installed.
    """
    package = installed_package_dir("bfcl_eval")
    if package is None:
        raise DataError(f"BFCL data needs the bfcl-eval package: {INSTALL_HINT}")
    return package / "data"


def _read_lines(path: Path) -> list[dict[str, Any]]:
    return read_json_lines(path, "BFCL data")


def _category_rows(root: Path, category: str) -> list[dict[str, Any]]:
    entries = _read_lines(root / f"BFCL_v4_{category}.json")
    answers: dict[str, Any] = {}
    answers_path = root / "possible_answer" / f"BFCL_v4_{category}.json"
    if "irrelevance" not in category:
        answers = {a["id"]: a["ground_truth"] for a in _read_lines(answers_path)}
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


def _categories(subset: Any) -> tuple[str, ...]:
    """The named categories in BFCL's order; unknown names are refused with a hint."""
    names = [subset] if isinstance(subset, str) else [str(s) for s in subset]
    for name in names:
        if name not in CATEGORIES:
            raise ConfigError(
                f"bfcl: unknown category '{name}'.{suggest(name, list(CATEGORIES))}"
                f" Categories: {', '.join(CATEGORIES)}."
            )
    if not names:
        raise ConfigError(f"bfcl: the subset is empty. Categories: {', '.join(CATEGORIES)}.")
    return tuple(c for c in CATEGORIES if c in names)


def read_rows(subset: Sequence[str] | str = CATEGORIES) -> list[dict[str, Any]]:
    """Read every entry of the named categories with its possible answer (``None`` if none).

    Rows: ``{"id", "category", "question", "function", "ground_truth"}``.

    Raises:
        ConfigError: an unknown category. DataError: the package or a file is missing.
    """
    root = data_dir()
    return [row for c in _categories(subset) for row in _category_rows(root, c)]


def _messages(turns: Sequence[Mapping[str, str]]) -> tuple[Message, ...]:
    return tuple(Message(cast(Role, t["role"]), str(t["content"])) for t in turns)


def _tools(tools: Sequence[Mapping[str, Any]]) -> tuple[ToolSpec, ...]:
    specs = []
    for tool in tools:
        function = tool["function"]
        specs.append(
            ToolSpec(function["name"], function.get("description", ""), function["parameters"])
        )
    return tuple(specs)


def _prompt_turns(task: ResolvedTask, sample: Sample) -> list[dict[str, str]]:
    """The sample's turns with the prompt-mode system prompt first."""
    from evalkit.task.prompts import render_template

    functions = json.dumps([hinted(f) for f in sample.data["functions"]], indent=4)
    template = str(task.params.get("system_template", ""))
    if not template:
        raise ConfigError(f"task '{task.label}': prompt mode needs params.system_template")
    data = {**sample.data, "functions_json": functions}
    prompt = render_template(task, template, replace(sample, data=data))
    return with_system_prompt(sample.data["messages"], prompt)


def with_system_prompt(turns: Sequence[Mapping[str, str]], prompt: str) -> list[dict[str, str]]:
    r"""Put ``prompt`` first: before the text of a leading system turn, or as a new system turn.

    >>> with_system_prompt([{"role": "system", "content": "Be brief."}], "P")
    [{'role': 'system', 'content': 'P\n\nBe brief.'}]
    """
    out = [dict(t) for t in turns]
    if out and out[0]["role"] == "system":
        out[0]["content"] = prompt + "\n\n" + out[0]["content"]
    else:
        out.insert(0, {"role": "system", "content": prompt})
    return out


class BfclSource:
    """The ``bfcl`` task's rows (read from the package) and requests (rendered per mode)."""

    def rows(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Read the categories of ``params["subset"]``."""
        return read_rows(params.get("subset", CATEGORIES))

    def fit(
        self, task: ResolvedTask, samples: Sequence[Sample], config: RunConfig
    ) -> tuple[list[Sample], list[Request]]:
        """Render each sample's request as ``calls`` says (``native`` or ``prompt``).

        Raises:
            ConfigError: an unknown mode.
        """
        mode = str(task.params.get("calls", "native"))
        if mode not in ("native", "prompt"):
            raise ConfigError(f"bfcl: unknown calls mode '{mode}' (native or prompt)")
        requests = []
        for sample in samples:
            native = mode == "native"
            turns = sample.data["messages"] if native else _prompt_turns(task, sample)
            requests.append(
                Request(
                    sample.id,
                    task.generation,
                    messages=_messages(turns),
                    sample_index=sample.index,
                    tools=_tools(sample.metadata["tools"]) if native else (),
                )
            )
        return list(samples), requests


SOURCE = BfclSource()
"""The instance ``tasks/bfcl/task.toml`` names."""
