"""The test grid of a long-context task: which subtasks, lengths and depths, read from ``-T``.

Lengths are token counts written ``4k`` (4,096, RULER's convention: ``k`` is 1,024), ``128k``
(131,072), ``200k`` (204,800) or as plain integers (``200000``). ``depths=N`` places the needle at
``N`` evenly spaced depths from 0% (start of the haystack) to 100% (end); ``depths=1`` is 50%.

>>> parse_length("4k"), parse_length("1.5k"), parse_length("200000")
(4096, 1536, 200000)
>>> depth_grid(5)
(0, 25, 50, 75, 100)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from evalkit.errors import ConfigError
from evalkit.registry import suggest

SUBTASKS = (
    "niah_single",
    "niah_multikey",
    "niah_multivalue",
    "niah_multiquery",
    "variable_tracking",
    "cwe",
)
"""RULER-style subtasks (Hsieh et al. 2024), see ``tasks/ruler/README.md``."""
VALUE_KINDS = ("number", "word", "uuid")
HAYSTACKS = ("noise", "needles")
_LENGTH = re.compile(r"(\d+(?:\.\d+)?)\s*([km]?)", re.IGNORECASE)
_SCALE = {"": 1, "k": 1024, "m": 1024 * 1024}
MIN_LENGTH = 128


def parse_length(text: str) -> int:
    """Parse ``4k``, ``1.5k``, ``1m`` or ``4096`` into a token count.

    Raises:
        ConfigError: not a length, or shorter than 128 tokens.
    """
    match = _LENGTH.fullmatch(text.strip())
    if match is None:
        raise ConfigError(f"invalid length {text!r}: use e.g. 4k, 128k, 200k or 4096")
    value = int(float(match.group(1)) * _SCALE[match.group(2).lower()])
    if value < MIN_LENGTH:
        raise ConfigError(f"length {text!r} is below {MIN_LENGTH} tokens")
    return value


def depth_grid(n: int) -> tuple[float | int, ...]:
    """Return ``n`` evenly spaced depths in percent, integers where they are whole."""
    if n < 1:
        raise ConfigError(f"depths must be at least 1, got {n}")
    if n == 1:
        return (50,)
    raw = [round(100 * i / (n - 1), 1) for i in range(n)]
    return tuple(int(d) if d == int(d) else d for d in raw)


@dataclass(frozen=True, slots=True)
class GridSpec:
    """What a long-context run generates.

    Attributes:
        subtasks: RULER-style subtasks, in the order given.
        lengths: Total sequence lengths in tokens (prompt plus generation budget), ascending.
        depths: Needle depths in percent of the haystack.
        samples: Samples per (subtask, length, depth) cell.
        seed: The data seed: the same seed always gives the same needles, keys and values.
        value_kind: What needle values are (``number``, ``word``, ``uuid``).
        haystack: ``noise`` (repeated plain sentences) or ``needles`` (distractor needles).
    """

    subtasks: tuple[str, ...]
    lengths: tuple[int, ...]
    depths: tuple[float | int, ...]
    samples: int
    seed: int
    value_kind: str
    haystack: str

    @classmethod
    def of(cls, params: Mapping[str, Any]) -> GridSpec:
        """Read the grid from a task's flat parameters.

        Raises:
            ConfigError: an unknown subtask, value kind or haystack, or a bad length or count.
        """
        subtasks = _names(params.get("tasks", ["niah_single"]), SUBTASKS, "subtask")
        lengths = sorted({parse_length(str(x)) for x in _items(params.get("lengths", ["4k"]))})
        samples = _count(params, "samples_per_cell", 1)
        value_kind = _names(params.get("values", "number"), VALUE_KINDS, "value kind")[0]
        haystack = _names(params.get("haystack", "noise"), HAYSTACKS, "haystack")[0]
        if not lengths:
            raise ConfigError("no lengths given: pass e.g. -T lengths=4k,32k")
        return cls(
            subtasks=subtasks,
            lengths=tuple(lengths),
            depths=depth_grid(_count(params, "depths", 11)),
            samples=samples,
            seed=_count(params, "data_seed", 0, minimum=0),
            value_kind=value_kind,
            haystack=haystack,
        )


def _items(value: Any) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value)
    return [str(v).strip() for v in items if str(v).strip()]


def _names(value: Any, known: tuple[str, ...], what: str) -> tuple[str, ...]:
    names = _items(value)
    for name in names:
        if name not in known:
            raise ConfigError(
                f"unknown {what} {name!r}.{suggest(name, list(known))} Known: {', '.join(known)}."
            )
    if not names:
        raise ConfigError(f"no {what} given; known: {', '.join(known)}")
    return tuple(dict.fromkeys(names))


def _count(params: Mapping[str, Any], key: str, default: int, minimum: int = 1) -> int:
    value = params.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ConfigError(f"{key} must be a whole number >= {minimum}, got {value!r}")
    return value
