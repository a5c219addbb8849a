r"""Finding the final answer in a model's response to a MATH problem.

Order of preference:

1. Reasoning blocks are dropped: text up to the last ``</think>`` (and anything after an
   unclosed ``<think>``) is not the answer.
2. A base model running on into the next few-shot problem is cut: the first line starting
   ``Problem:`` / ``Question:`` / ``Solution:`` that comes *after* an answer (a box or an
   answer phrase) ends the response. Such a line before any answer is the model restating
   the problem, and is kept.
3. The last complete ``\boxed{...}`` or ``\fbox{...}`` (nested braces respected; escaped
   ``\{``/``\}`` are set braces), or ``\boxed 5`` without braces, unless it sits in a
   check/verification/discard remark (:mod:`~evalkit.scoring.math.boxes`): then the last box
   outside such remarks. When every box is a remark, an answer phrase (4) wins over them.
4. The last "final answer is X" / "the answer is X" / "Answer: X" phrase (Minerva's
   "Final Answer: The final answer is $X$. I hope it is correct." included); filler words
   (``therefore``, ``thus``, ``simply``, ``just``, ``then``) after the phrase are skipped;
   ``X`` is the first ``$...$`` math after the phrase if it starts with one, else the rest of
   the line.
5. Conservative fallbacks for answers stated without a box or phrase: under a "Final
   Answer" heading, the first "... is $X$" / "... is **X**" (or a line that is only math);
   after a ``</think>``, a last sentence ending "... is $X$." / "... is **X**.".

Everything here is linear-time string scanning: responses are untrusted and may be long.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from evalkit.scoring.math.boxes import answer_box, find_boxes, last_boxed
from evalkit.scoring.response import read_reply, reply_text

__all__ = ["Extraction", "ExtractionMethod", "cut_run_on", "extract_answer", "last_boxed"]

ExtractionMethod = Literal["boxed", "phrase", "statement", "none"]
"""How an answer was found (``statement``: the heading / closing-sentence fallbacks)."""

_PHRASE = re.compile(
    # One run of blanks per mark: "answer" + 100k spaces must fail in linear time.
    r"(?:final\s+answer|answer)\s*(?:\*\*\s*)?(?:is\b|:)\s*(?:\*\*\s*)?(?::\s*)?",
    re.IGNORECASE,
)
_FILLER = re.compile(r"(?:(?:therefore|thus|simply|just|then)\b,?[ \t]*){1,3}", re.IGNORECASE)
_PHRASE_WINDOW = 2000
"""Characters after an answer phrase that are looked at (bounds the work per phrase)."""
_PHRASES_TRIED = 20
_INLINE_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)
_RUN_ON = re.compile(r"\n[ \t]*(?:\n[ \t]*)?(?:Problem|Question|Solution)[ \t]*\d*[ \t]*:")
_BOX_COMMAND = re.compile(r"\\(?:boxed|fbox)(?![a-zA-Z])")
_HEADING = re.compile(
    # Unambiguous: each run of blanks follows a different mark, so no backtracking blow-up.
    r"^[ \t]*(?:#{1,6}[ \t]*)?(?:\*\*[ \t]*)?final[ \t]+answer[ \t]*"
    r"(?::[ \t]*)?(?:\*\*[ \t]*)?(?::[ \t]*)?$",
    re.IGNORECASE | re.MULTILINE,
)
_HEADING_WINDOW = 500
_STATED = (
    r"\b(?:is|are|equals)[ \t]+(?:\$\$?([^$\n]{1,300})\$\$?|\\\(([^\n]{1,300}?)\\\)"
    r"|\*\*\$?([^*$\n]{1,100})\$?\*\*)"
)
_STATED_IN = re.compile(_STATED)
_LONE_MATH = re.compile(r"[ \t]*(?:\$\$?([^$\n]{1,300})\$\$?|\\\[([^\n]{1,300}?)\\\])[ \t.]*$")
_CLOSING = re.compile(_STATED + r"[ \t]*[.!]?[ \t]*$")
_SENTENCE_END = re.compile(r"[.!?][ \t]+|\n")
_CLOSING_WINDOW = 400


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
    """Drop ``<think>...</think>`` reasoning (:func:`evalkit.scoring.response.reply_text`)."""
    return reply_text(text)


def cut_run_on(text: str) -> str:
    r"""Cut a base model's run-on into the next few-shot problem.

    A ``Problem:`` / ``Question:`` / ``Solution:`` line counts only once the response has
    committed to an answer before it (a box command or an answer phrase): one before any
    answer is a restatement and legitimate text.

    >>> cut_run_on("The final answer is $14$.\n\nProblem:\nFind x.\n\nSolution:\n$5$")
    'The final answer is $14$.'
    >>> cut_run_on("Problem: restated.\nSolution: $\\boxed{3}$")
    'Problem: restated.\nSolution: $\\boxed{3}$'
    """
    box, phrase = _BOX_COMMAND.search(text), _PHRASE.search(text)
    commits = [match.end() for match in (box, phrase) if match is not None]
    if not commits:
        return text
    marker = _RUN_ON.search(text, min(commits))
    return text if marker is None else text[: marker.start()]


def _phrase_answer(text: str) -> str | None:
    matches = list(_PHRASE.finditer(text))
    for match in reversed(matches[-_PHRASES_TRIED:]):
        rest = text[match.end() : match.end() + _PHRASE_WINDOW]
        filler = _FILLER.match(rest)
        if filler is not None:
            rest = rest[filler.end() :]
        math = _INLINE_MATH.match(rest)
        if math is not None:
            found = next(group for group in math.groups() if group is not None)
        else:
            line = rest.split("\n", 1)[0]
            # "Answer: The probability is $\frac12$." states its value inside a sentence.
            found = (
                _first_group(_STATED_IN.search(line))
                or re.split(r"\.\s|\.$|\*\*", line, maxsplit=1)[0]
            )
        found = found.strip().strip("*").strip()
        if found:
            return found
    return None


def _first_group(match: re.Match[str] | None) -> str | None:
    if match is None:
        return None
    found = next((group for group in match.groups() if group is not None), "").strip()
    return found or None


def _heading_answer(text: str) -> str | None:
    r"""The answer under the last "Final Answer" heading: "... is $X$" or a lone math line."""
    headings = list(_HEADING.finditer(text))
    if not headings:
        return None
    section = text[headings[-1].end() : headings[-1].end() + _HEADING_WINDOW].lstrip("\n")
    section = section.split("\n\n", 1)[0]
    lone = _first_group(_LONE_MATH.match(section.split("\n", 1)[0]))
    return lone or _first_group(_STATED_IN.search(section))


def _closing_answer(text: str) -> str | None:
    r"""The answer of a last sentence ending "... is $X$." / "... is **X**."."""
    tail = text[-_CLOSING_WINDOW:].rstrip()
    ends = list(_SENTENCE_END.finditer(tail))
    sentence = tail[ends[-1].end() :] if ends else tail
    return _first_group(_CLOSING.search(sentence))


def _statement_answer(visible: str, thought: bool) -> str | None:
    found = _heading_answer(visible)
    if found is None and thought:
        found = _closing_answer(visible)
    return found


def extract_answer(text: str) -> Extraction:
    r"""Find the final answer in a response.

    >>> extract_answer(r"so $x=\boxed{\frac{1}{2}}$.").answer
    '\\frac{1}{2}'
    >>> extract_answer("The final answer is $7$. I hope it is correct.").answer
    '7'
    >>> extract_answer("no idea").method
    'none'
    """
    reply = read_reply(text)
    visible = cut_run_on(reply.text)
    boxes = find_boxes(visible)
    stated = answer_box(visible, boxes)
    if stated is not None:
        return Extraction(stated.content(visible), "boxed")
    phrase = _phrase_answer(visible)
    if phrase is not None:
        return Extraction(phrase, "phrase")
    if boxes:  # only remark boxes and no phrase: the last box is all there is
        return Extraction(boxes[-1].content(visible), "boxed")
    statement = _statement_answer(visible, reply.after_reasoning)
    if statement is not None:
        return Extraction(statement, "statement")
    return Extraction(None, "none")
