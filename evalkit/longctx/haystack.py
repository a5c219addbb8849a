"""Haystacks: the filler text of ``n`` units with a problem's needles inserted at their depths.

A haystack is a function of a unit count ``n``: the first ``n`` units of a seeded, endless stream
(so more units always means a longer text, and sizing can search over ``n``), with each needle
inserted between units at ``round(depth * n)``. Three kinds:

* ``noise``: RULER's five plain sentences ("The grass is green. The sky is blue. ..."), repeated.
* ``needles``: distractor needles with other keys and values (RULER's multikey 2/3 haystack).
* the common-words list of ``cwe``: the frequent words ``freq`` times each and ``n`` other words
  three times each, shuffled and numbered.

All text is generated here from evalkit's own word lists (:mod:`evalkit.longctx.words`).

>>> NoiseHaystack(((0.5, "NEEDLE."),)).text(4)
'The grass is green. The sky is blue. NEEDLE. The sun is yellow. Here we go.'
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from evalkit.longctx import words
from evalkit.longctx.subtasks import needle_sentence

UNCOMMON_FREQ = 3
"""How often each uncommon word appears in the ``cwe`` list."""


class Haystack(Protocol):
    """Filler text of ``n`` units, needles included."""

    def text(self, n: int) -> str:
        """Return the haystack of ``n`` units."""
        ...


def insert_needles(units: Sequence[str], needles: Sequence[tuple[float, str]]) -> str:
    """Join ``units`` with spaces, each needle inserted before unit ``round(depth * len)``."""
    n = len(units)
    spots = sorted(
        ((min(max(round(d * n), 0), n), i) for i, (d, _) in enumerate(needles)),
    )
    parts: list[str] = []
    start = 0
    for at, i in spots:
        parts.extend(units[start:at])
        parts.append(needles[i][1])
        start = at
    parts.extend(units[start:])
    return " ".join(parts)


class NoiseHaystack:
    """RULER's noise: five plain sentences, repeated."""

    def __init__(self, needles: Sequence[tuple[float, str]]) -> None:
        self._needles = tuple(needles)

    def text(self, n: int) -> str:
        """The first ``n`` noise sentences with the needles."""
        cycle = words.NOISE
        units = list(cycle) * (n // len(cycle)) + list(cycle[: n % len(cycle)])
        return insert_needles(units, self._needles)


class NeedleHaystack:
    """Distractor needles: other keys with other values, in a seeded endless stream."""

    def __init__(self, needles: Sequence[tuple[float, str]], kind: str, seed: int) -> None:
        self._needles = tuple(needles)
        self._kind = kind
        self._rng = random.Random(seed)
        self._units: list[str] = []
        self._taken = " ".join(text for _, text in needles)

    def _grow(self, n: int) -> None:
        while len(self._units) < n:
            key = words.key(self._rng)
            if f" for {key} is:" in self._taken:
                continue  # never a second value for a key that is asked about
            self._units.append(needle_sentence(self._kind, key, words.value(self._rng, self._kind)))

    def text(self, n: int) -> str:
        """The first ``n`` distractor needles with the real ones."""
        self._grow(n)
        return insert_needles(self._units[:n], self._needles)


class WordListHaystack:
    """The ``cwe`` list: ``common`` words ``freq`` times each, ``n`` others three times each."""

    def __init__(self, common: Sequence[str], freq: int, seed: int) -> None:
        self._common = tuple(common)
        self._freq = freq
        self._seed = seed
        self._rng = random.Random(seed)
        self._others: list[str] = []

    def text(self, n: int) -> str:
        """The shuffled, numbered list with ``n`` uncommon words."""
        if len(self._others) < n:
            self._others += words.distinct_words(
                self._rng, n - len(self._others), set(self._common) | set(self._others)
            )
        entries = [w for w in self._common for _ in range(self._freq)]
        entries += [w for w in self._others[:n] for _ in range(UNCOMMON_FREQ)]
        random.Random(self._seed + n).shuffle(entries)
        return "\n".join(f"{i}. {w}" for i, w in enumerate(entries, 1))


def common_freq(length: int) -> int:
    """How often each common word appears: 30 (RULER) from 4K tokens, fewer below (at least 4).

    >>> common_freq(131072), common_freq(2048), common_freq(1024)
    (30, 15, 7)
    """
    return min(30, max(4, length // 136))


def haystack_for(row: Mapping[str, Any]) -> Haystack:
    """Build the haystack a generated row describes."""
    needles = tuple((float(d), str(t)) for d, t in row["needles"])
    if row["subtask"] == "cwe":
        return WordListHaystack(row["answers"], common_freq(int(row["length"])), row["seed"])
    if row["haystack"] == "needles":
        return NeedleHaystack(needles, row["value_kind"], row["seed"])
    return NoiseHaystack(needles)
