"""The RULER-style subtasks: what is hidden in the haystack, what is asked, what counts as right.

Each subtask turns a seeded random generator into a *problem*: the needles (each with the depth
where it goes), the instruction before the haystack, the question after it, and the expected
answers. The haystack itself is not made here (see :mod:`evalkit.longctx.haystack`): its size
depends on the evaluated model's tokenizer, while a problem does not, so sample ids and the data
fingerprint are the same for every model.

Needles follow RULER (Hsieh et al. 2024): ``One of the special magic numbers for quiet-harbor is:
4821734.``. The needle at the sample's depth is the one asked about; the other needles of
multi-needle subtasks go to seeded random depths.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from evalkit.longctx import words

EXTRA_NEEDLES = 3
"""Distractor keys (multikey), extra values (multivalue) and extra queries (multiquery)."""
CHAIN_HOPS = 4
"""Variable tracking: ``VAR B = VAR A`` assignments after the first ``VAR A = 12345``."""
COMMON_WORDS = 10
"""Common-words extraction: how many words are frequent (the answer)."""

PLURAL = {"number": "numbers", "word": "words", "uuid": "uuids"}


@dataclass(frozen=True, slots=True)
class Problem:
    """One long-context test before its haystack is sized.

    Attributes:
        needles: ``(depth fraction 0..1, sentence)`` pairs, inserted in this order.
        instruction: Text before the haystack.
        question: Text after the haystack (ends with RULER's answer prefix).
        answers: Every value the answer must contain (``string_match_all``).
    """

    needles: tuple[tuple[float, str], ...]
    instruction: str
    question: str
    answers: tuple[str, ...]


def needle_sentence(kind: str, key: str, value: str) -> str:
    """RULER's needle: ``One of the special magic numbers for <key> is: <value>.``."""
    return f"One of the special magic {PLURAL[kind]} for {key} is: {value}."


def _intro(kind: str) -> str:
    return (
        f"Some special magic {PLURAL[kind]} are hidden within the following text. Make sure to "
        f"memorize them. I will quiz you about the {PLURAL[kind]} afterwards."
    )


def _ask(kind: str, keys: list[str]) -> str:
    about = ", ".join(keys[:-1]) + f" and {keys[-1]}" if len(keys) > 1 else keys[0]
    return (
        f"What are all the special magic {PLURAL[kind]} for {about} mentioned in the provided "
        f"text?\nAnswer: The special magic {PLURAL[kind]} for {about} mentioned in the "
        "provided text are"
    )


def niah_single(rng: random.Random, kind: str, depth: float) -> Problem:
    """One needle at ``depth``; its value is asked for."""
    k, v = words.key(rng), words.value(rng, kind)
    return Problem(((depth, needle_sentence(kind, k, v)),), _intro(kind), _ask(kind, [k]), (v,))


def niah_multikey(rng: random.Random, kind: str, depth: float) -> Problem:
    """The asked needle at ``depth`` and distractor needles with other keys elsewhere."""
    keys = words.distinct_keys(rng, 1 + EXTRA_NEEDLES)
    values = words.distinct_values(rng, kind, len(keys))
    placed = [(depth, needle_sentence(kind, keys[0], values[0]))]
    placed += [
        (rng.random(), needle_sentence(kind, k, v))
        for k, v in zip(keys[1:], values[1:], strict=True)
    ]
    return Problem(tuple(placed), _intro(kind), _ask(kind, keys[:1]), (values[0],))


def niah_multivalue(rng: random.Random, kind: str, depth: float) -> Problem:
    """Several values for one key (one at ``depth``); all are asked for."""
    k = words.key(rng)
    values = words.distinct_values(rng, kind, 1 + EXTRA_NEEDLES)
    depths = [depth] + [rng.random() for _ in values[1:]]
    placed = tuple((d, needle_sentence(kind, k, v)) for d, v in zip(depths, values, strict=True))
    return Problem(placed, _intro(kind), _ask(kind, [k]), tuple(values))


def niah_multiquery(rng: random.Random, kind: str, depth: float) -> Problem:
    """Several keys (the first at ``depth``), all asked for at once."""
    keys = words.distinct_keys(rng, 1 + EXTRA_NEEDLES)
    values = words.distinct_values(rng, kind, len(keys))
    depths = [depth] + [rng.random() for _ in keys[1:]]
    placed = tuple(
        (d, needle_sentence(kind, k, v)) for d, k, v in zip(depths, keys, values, strict=True)
    )
    return Problem(placed, _intro(kind), _ask(kind, keys), tuple(values))


def variable_tracking(rng: random.Random, kind: str, depth: float) -> Problem:
    """A chain ``VAR A = 12345``, ``VAR B = VAR A``...: name every variable holding the value."""
    names: list[str] = []
    while len(names) < 1 + CHAIN_HOPS:
        name = words.variable(rng)
        if name not in names:
            names.append(name)
    start = str(rng.randint(10_000, 99_999))
    later = sorted(depth + (1.0 - depth) * rng.random() for _ in range(CHAIN_HOPS))
    lines = [f"VAR {names[0]} = {start}."]
    lines += [f"VAR {b} = VAR {a}." for a, b in zip(names, names[1:], strict=False)]
    instruction = (
        "Memorize and track the chain(s) of variable assignment hidden in the following text."
    )
    question = (
        f"Question: Find all variables that are assigned the value {start} in the text above.\n"
        f"Answer: According to the chain(s) of variable assignment in the text above, "
        f"{1 + CHAIN_HOPS} variables are assigned the value {start}, they are:"
    )
    placed = tuple(zip([depth, *later], lines, strict=True))
    return Problem(placed, instruction, question, tuple(names))


def cwe(rng: random.Random, kind: str, depth: float) -> Problem:
    """Common-words extraction: the haystack is a word list (made when sized)."""
    common = words.distinct_words(rng, COMMON_WORDS)
    instruction = (
        "Below is a numbered list of words. In these words, some appear more often than others. "
        "Memorize the ones that appear most often."
    )
    question = (
        f"Question: What are the {COMMON_WORDS} most common words in the above list?\n"
        f"Answer: The top {COMMON_WORDS} words that appear most often in the list are:"
    )
    return Problem((), instruction, question, tuple(common))


BUILDERS: dict[str, Callable[[random.Random, str, float], Problem]] = {
    "niah_single": niah_single,
    "niah_multikey": niah_multikey,
    "niah_multivalue": niah_multivalue,
    "niah_multiquery": niah_multiquery,
    "variable_tracking": variable_tracking,
    "cwe": cwe,
}
HAS_DEPTH = frozenset(BUILDERS) - {"cwe"}
"""Subtasks whose needle position is a grid dimension (cwe's haystack is the answer)."""
