r"""Reading a judge's verdict from its reply, exactly as FastChat's ``llm_judge`` reads it.

Single-answer grading (``output_format`` ``[[rating]]``, FastChat ``run_judge_single``): the
first ``[[N]]`` in the reply, else the first ``[N]``, where ``N`` is ``\d+\.?\d*`` (``8``,
``8.5``, ``8.``); FastChat turns it into a number with ``ast.literal_eval`` and scores ``-1``
when neither pattern matches. evalkit reads the same text as a number without evaluating
anything, and returns ``None`` instead of ``-1``: an unread rating is counted (``judge_parsed``)
and left out of every score, never averaged in as -1 or 0 (FastChat's ``show_result`` drops the
-1 rows too). A bare integer with a leading zero (``[[08]]``) is a value ``literal_eval``
refuses (FastChat's judging stops with a ``SyntaxError``); evalkit reads it as unparsed. The
number is taken as it is, like FastChat: ``[[15]]`` reads 15.

Pairwise comparison (``output_format`` ``[[A]]``, FastChat ``run_judge_pair``): ``A`` when the
reply contains ``[[A]]`` anywhere, else ``B`` for ``[[B]]``, else a tie for ``[[C]]``, else
unparsed (FastChat's ``error``). The order of those checks decides a reply that names several.

>>> read_rating("The answer is thorough. Rating: [[8]]")
8
>>> read_rating("Rating: [7.5]"), read_rating("no verdict") is None
(7.5, True)
>>> read_winner("[[B]] ... on reflection [[A]]")
'A'
"""

from __future__ import annotations

import re
from typing import Literal

Winner = Literal["A", "B", "tie"]
"""A pairwise verdict: assistant A, assistant B, or a tie (FastChat's ``[[C]]``)."""

_RATING = re.compile(r"\[\[(\d+\.?\d*)\]\]")
_RATING_BACKUP = re.compile(r"\[(\d+\.?\d*)\]")


def _number(text: str) -> float | int | None:
    """The value ``ast.literal_eval`` gives the matched digits (``None`` where it raises)."""
    if "." in text:
        return float(text)
    if len(text) > 1 and text.startswith("0"):
        return None  # '08' is not a Python literal: FastChat's literal_eval raises on it
    return int(text)


def read_rating(text: str) -> float | int | None:
    """The rating in a single-answer judgment, or ``None`` where FastChat would score -1.

    >>> read_rating("[[10]] and later [[2]]"), read_rating("[[08]]") is None
    (10, True)
    """
    match = _RATING.search(text) or _RATING_BACKUP.search(text)
    if match is None:
        return None
    return _number(match.group(1))


def read_winner(text: str) -> Winner | None:
    """The winner in a pairwise judgment, or ``None`` where FastChat records ``error``.

    >>> read_winner("Both are equally good: [[C]]"), read_winner("[A] is better") is None
    ('tie', True)
    """
    if "[[A]]" in text:
        return "A"
    if "[[B]]" in text:
        return "B"
    if "[[C]]" in text:
        return "tie"
    return None
