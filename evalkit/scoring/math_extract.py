r"""Finding the final answer in a model's response to a MATH problem.

Order of preference:

1. Reasoning blocks are dropped: text up to the last ``</think>`` (and anything after an
   unclosed ``<think>``) is not the answer.
2. The last complete ``\boxed{...}`` or ``\fbox{...}`` (nested braces respected; escaped
   ``\{``/``\}`` are set braces), or ``\boxed 5`` without braces.
3. The last "final answer is X" / "the answer is X" / "Answer: X" phrase (Minerva's
   "Final Answer: The final answer is $X$. I hope it is correct." included); ``X`` is the
   first ``$...$`` math after the phrase if it starts with one, else the rest of the line.

Everything here is linear-time string scanning: responses are untrusted and may be long.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from evalkit.scoring.math_lex import brace_pairs

ExtractionMethod = Literal["boxed", "phrase", "none"]
"""How an answer was found."""

_BOX = re.compile(r"\\(?:boxed|fbox)(?![a-zA-Z])")
_PHRASE = re.compile(
    r"(?:final\s+answer|answer)\s*(?:\*\*)?\s*(?:is\b|:)\s*(?:\*\*)?\s*:?\s*", re.IGNORECASE
)
_BARE_ARGUMENT = re.compile(r"[^\s$]+")
_PHRASE_WINDOW = 2000
"""Characters after an answer phrase that are looked at (bounds the work per phrase)."""
_PHRASES_TRIED = 20
_INLINE_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Extraction:
    """The answer found in a response.

    Attributes:
        answer: The answer text as written (not yet normalised), or ``None``.
        method: Which rule found it.
    """

    answer: str | None
    method: ExtractionMethod


def strip_thinking(text: str) -> str:
    """Drop ``<think>...</think>`` reasoning: keep what follows the last ``</think>``."""
    close = text.rfind("</think>")
    if close >= 0:
        return text[close + len("</think>") :]
    opening = text.find("<think>")
    # An unclosed block means the model never left its reasoning.
    return text[:opening] if opening >= 0 else text


def _box_content(text: str, start: int, pairs: dict[int, int]) -> str | None:
    """The argument of the box command ending at ``start``, or ``None`` if incomplete."""
    i = start
    while i < len(text) and text[i] == " ":
        i += 1
    if i < len(text) and text[i] == "{":
        end = pairs.get(i)
        return None if end is None else text[i + 1 : end - 1]
    match = _BARE_ARGUMENT.match(text, i)
    if match is None or i == start:
        return None  # "\boxed5" is not LaTeX; "\boxed 5" is.
    return match.group()


def last_boxed(text: str) -> str | None:
    r"""Return the content of the last complete ``\boxed``/``\fbox`` in ``text``."""
    starts = [match.end() for match in _BOX.finditer(text)]
    pairs = brace_pairs(text) if starts else {}
    for start in reversed(starts):
        content = _box_content(text, start, pairs)
        if content is not None and content.strip():
            return content.strip()
    return None


def _phrase_answer(text: str) -> str | None:
    matches = list(_PHRASE.finditer(text))
    for match in reversed(matches[-_PHRASES_TRIED:]):
        rest = text[match.end() : match.end() + _PHRASE_WINDOW]
        math = _INLINE_MATH.match(rest)
        if math is not None:
            found = next(group for group in math.groups() if group is not None)
        else:
            found = rest.split("\n", 1)[0]
            found = re.split(r"\.\s|\.$|\*\*", found, maxsplit=1)[0]
        found = found.strip().strip("*").strip()
        if found:
            return found
    return None


def extract_answer(text: str) -> Extraction:
    r"""Find the final answer in a response.

    >>> extract_answer(r"so $x=\boxed{\frac{1}{2}}$.").answer
    '\\frac{1}{2}'
    >>> extract_answer("The final answer is $7$. I hope it is correct.").answer
    '7'
    >>> extract_answer("no idea").method
    'none'
    """
    visible = strip_thinking(text)
    boxed = last_boxed(visible)
    if boxed is not None:
        return Extraction(boxed, "boxed")
    phrase = _phrase_answer(visible)
    if phrase is not None:
        return Extraction(phrase, "phrase")
    return Extraction(None, "none")
