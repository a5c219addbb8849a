"""Run files: an invocation saved as TOML, so a run can be repeated exactly.

``evalkit run --config run.toml`` reads a file whose keys are :class:`~evalkit.config.RunConfig`
fields (``model``, ``tasks``, ``task_args``, ``limit``, ``temperature``, ``epochs`` ...); flags
given on the command line override it (``-T``/``-M``/``-J`` entries key by key).
``evalkit run ... --print-config`` writes the resolved configuration of any invocation in the
same form, defaults included, and runs nothing: that file run again gives the same run.

>>> fields = {"model": "mock/echo", "tasks": ["gsm8k"], "limit": None, "task_args": {"n_shot": "8"}}
>>> text = dumps(fields)
>>> print(text)
model = "mock/echo"
tasks = ["gsm8k"]
<BLANKLINE>
[task_args]
n_shot = "8"
<BLANKLINE>
>>> loads(text, "run.toml")["task_args"]
{'n_shot': '8'}
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evalkit.errors import ConfigError

FIELDS_WITH_PATHS = ("data_dir", "tasks_dir", "output_dir", "cache_dir", "baseline_run")
TABLE_FIELDS = ("model_args", "task_args", "judge_args", "executor_args")
"""Fields written as TOML tables (``[task_args]``); flags merge into them key by key."""


def load(path: Path) -> dict[str, Any]:
    """Read a run file into RunConfig fields (paths relative to the file's folder).

    Raises:
        ConfigError: the file cannot be read, is not TOML, or names an unknown field.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--config {path}: cannot read: {exc}") from None
    fields = loads(text, str(path))
    for key in FIELDS_WITH_PATHS:
        value = fields.get(key)
        if isinstance(value, str):
            fields[key] = str((path.parent / value).resolve())
        elif isinstance(value, list):
            fields[key] = [str((path.parent / v).resolve()) for v in value]
    return fields


def loads(text: str, name: str) -> dict[str, Any]:
    """Parse run-file text and check its keys against RunConfig's fields."""
    from evalkit.config import RunConfig

    try:
        fields = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise ConfigError(f"--config {name}: not valid TOML: {exc}") from None
    known = set(RunConfig.model_fields)
    for key in fields:
        if key not in known:
            from evalkit.registry import suggest

            raise ConfigError(f"--config {name}: unknown key '{key}'.{suggest(key, sorted(known))}")
        if key in TABLE_FIELDS and not isinstance(fields[key], dict):
            raise ConfigError(f"--config {name}: '{key}' must be a table ([{key}], key = value)")
    return fields


def with_absolute_paths(fields: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` with relative folders made absolute (from the working directory).

    A printed run file is read with its paths relative to its own folder (:func:`load`), so
    ``--print-config`` writes them absolute: the file run from anywhere writes where the
    invocation would have.
    """
    out = dict(fields)
    for key in FIELDS_WITH_PATHS:
        value = out.get(key)
        if isinstance(value, str):
            out[key] = str(Path(value).resolve())
        elif isinstance(value, list):
            out[key] = [str(Path(v).resolve()) for v in value]
    return out


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return _basic(str(value))


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
"""The keys TOML reads unquoted (ASCII only: ``ü`` must be quoted)."""


def _basic(text: str) -> str:
    """A TOML basic string: JSON's escapes, and DEL escaped too (TOML forbids it raw)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def dumps(fields: Mapping[str, Any]) -> str:
    """Write RunConfig fields as TOML: scalars and lists first, then one table per mapping.

    ``None`` (unset) values are left out: reading the file back leaves them unset.
    """
    lines = [
        f"{k} = {_value(v)}" for k, v in fields.items() if v is not None and not isinstance(v, dict)
    ]
    for key, table in fields.items():
        if isinstance(table, dict) and table:
            lines += ["", f"[{key}]"]
            lines += [
                f"{k if _BARE_KEY.fullmatch(k) else _basic(k)} = {_value(v)}"
                for k, v in sorted(table.items())
            ]
    return "\n".join(lines) + "\n"
