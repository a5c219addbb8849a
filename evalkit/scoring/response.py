r"""The reply a scorer reads: one normaliser for every scorer.

This module owns what counts as a model's reply before any answer is looked for. Every scorer
(numeric, choice, math, ifeval, exact) reads :func:`read_reply` (or its shorthand
:func:`reply_text`) and nothing else of the raw completion text, so the rules below hold alike
everywhere:

1. Invisible characters go: a byte-order mark and zero-width characters (U+200B-U+200D, U+2060,
   U+FEFF) anywhere, so ``1\u200b8`` reads ``18`` and ``<think>`` split by a zero-width space is
   still a tag.
2. Line ends are ``\n``: ``\r\n`` and a lone ``\r`` become ``\n`` (a paragraph break written
   ``\r\n\r\n`` is a paragraph break).
3. Reasoning is not the answer. The reply is what follows the last closing ``</think>`` (a
   chat template may put the opening tag in the prompt, so a closing tag alone counts). Within
   that, an opening ``<think>`` that never closes starts reasoning the reply was cut inside of:
   the text from there on is dropped, so a reply truncated inside its reasoning has no answer.
   Tags are matched case-insensitively, with up to three blanks around the name (``</Think >``).

Each step is one linear scan, so normalising never costs more than reading the reply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Reply", "read_reply", "reply_text"]

# Characters that render as nothing; U+200C/U+200D join glyphs but never change a word or number.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_LINE_END = re.compile(r"\r\n?")
# Bounded blanks keep the tag scan linear (no two unbounded runs can share a blank).
_TAG = re.compile(r"<[ \t]{0,3}(/?)[ \t]{0,3}think[ \t]{0,3}>", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Reply:
    """A completion's text as scorers read it.

    Attributes:
        text: The normalised reply without its reasoning (empty when none was given).
        after_reasoning: A closed reasoning block came before ``text``.
        unfinished: Reasoning was opened and never closed: the reply was cut inside it.
    """

    text: str
    after_reasoning: bool
    unfinished: bool


def read_reply(raw: str) -> Reply:
    r"""Normalise ``raw`` and separate the reply from its reasoning.

    >>> read_reply("<think>maybe 20</think>\r\nThe answer is 18.")
    Reply(text='\nThe answer is 18.', after_reasoning=True, unfinished=False)
    >>> read_reply("Let me see. <THINK>The answer is 18")
    Reply(text='Let me see. ', after_reasoning=False, unfinished=True)
    >>> read_reply("\ufeffFirst</think>Answer: 1\u200b8").text
    'Answer: 18'
    """
    text = _LINE_END.sub("\n", raw.translate(_INVISIBLE))
    closed = False
    last_close = None
    for tag in _TAG.finditer(text):
        if tag[1]:
            last_close = tag
    if last_close is not None:
        text, closed = text[last_close.end() :], True
    opening = _TAG.search(text)  # only opening tags are left after the last closing one
    if opening is None:
        return Reply(text, closed, unfinished=False)
    return Reply(text[: opening.start()], closed, unfinished=True)


def reply_text(raw: str) -> str:
    """Return :func:`read_reply`'s text: the normalised reply without reasoning.

    >>> reply_text("<think>A? No.</think>B")
    'B'
    """
    return read_reply(raw).text
