r"""Finding the final answer in a model's response to a MATH problem: strict and flexible.

Two readings are kept side by side (as for GSM8K):

- **strict** reads a *declared* final answer only: a box, an answer phrase ("The final answer
  is X", "Answer: X"), or the math under an answer heading ("**Final Answer**" on its own line).
- **flexible** reads what a careful grader takes as committed: the strict answer when there is
  one; else a reply that is only the answer (``5``, ``$x = 5$``, ``\[ [2, 3) \]``); else
  "Answer" followed directly by math ("**Answer** $\frac34$"); else the value a concluding
  last sentence or final display states (:mod:`~evalkit.scoring.math.closing`: "…, which is
  1,250.5 metres.", "So the answer is forty-two."); else a value alone on the first line,
  explained after it.
  A reply cut at the token limit is read strictly (a value mid-way is not an answer).

Where the declared answer is:

1. Reasoning is dropped (:func:`evalkit.scoring.response.read_reply`), and a base model's
   run-on into the next few-shot problem is cut (:func:`cut_run_on`).
2. The last complete ``\boxed{}``/``\fbox{}`` outside check/verification remarks
   (:mod:`~evalkit.scoring.math.boxes`), with the boxes just before it that list the same answer
   (``\boxed{-2}`` and ``\boxed{1}``), or the last answer phrase, whichever comes *later*: an
   intermediate box followed by "Final answer: 7" answers 7.
3. A box or phrase that holds a sentence is read for its value
   (:func:`~evalkit.scoring.math.sentences.read_value`: "Final Answer: The area is 12 square
   units." answers 12).

Hedges commit to nothing under both readings: "$5$, or possibly $6$", "The answer is either 5
or 6", "\boxed{5} or \boxed{6}" (a two-item list against one gold), "I think it is maybe 5".

Everything here is linear-time string scanning over bounded windows: replies are untrusted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from evalkit.scoring.math.boxes import Box, answer_box, find_boxes, joined_content, last_boxed
from evalkit.scoring.math.closing import closing_statement
from evalkit.scoring.math.sentences import (
    alternative,
    bare_answer,
    hedged,
    is_sentence,
    last_sentence,
    math_run,
    plain_answer,
    read_value,
)
from evalkit.scoring.response import read_reply, reply_text

__all__ = [
    "Extraction",
    "ExtractionMethod",
    "Readings",
    "cut_run_on",
    "extract_answer",
    "extract_answers",
    "last_boxed",
]

ExtractionMethod = Literal["boxed", "phrase", "heading", "bare", "closing", "none"]
"""How an answer was found: ``boxed``, ``phrase`` and ``heading`` are declared (strict);
``bare`` (the reply is only the answer) and ``closing`` (a concluding last sentence, or
"Answer" directly followed by math) are flexible only."""

_PHRASE = re.compile(
    # One run of blanks per mark: "answer" + 100k spaces must fail in linear time.
    r"(?:final\s+answer|answer|\bans\b\.?)\s*(?:\*\*\s*)?(?:is\b|:)\s*(?:\*\*\s*)?(?::\s*)?",
    re.IGNORECASE,
)
_FILLER = re.compile(r"(?:(?:therefore|thus|simply|just|then)\b,?[ \t]*){1,3}", re.IGNORECASE)
_PHRASE_WINDOW = 2000
"""Characters after an answer phrase that are looked at (bounds the work per phrase)."""
_PHRASES_TRIED = 20
_RUN_ON = re.compile(r"\n[ \t]*(?:\n[ \t]*)?(?:Problem|Question|Solution)[ \t]*\d*[ \t]*:")
_BOX_COMMAND = re.compile(r"\\(?:boxed|fbox)(?![a-zA-Z])")
_HEADING = re.compile(
    # Unambiguous: each run of blanks follows a different mark, so no backtracking blow-up.
    r"^[ \t]*(?:#{1,6}[ \t]*)?(?:\*\*[ \t]*)?(?:final[ \t]+)?answer[ \t]*"
    r"(?::[ \t]*)?(?:\*\*[ \t]*)?(?::[ \t]*)?$",
    re.IGNORECASE | re.MULTILINE,
)
_HEADING_WINDOW = 500
_ANSWER_THEN_MATH = re.compile(
    r"^[ \t]*(?:#{1,6}[ \t]*)?(?:\*\*)?(?:final[ \t]+)?answer(?:\*\*)?"
    r"[ \t]*(?:\n[ \t]*)?(?=\$|\\[(\[])",
    re.IGNORECASE | re.MULTILINE,
)
_TEXT_WRAPPER = re.compile(r"\\(?:text|textbf|textit|mathrm|mbox)\{([^{}]*)\}")


@dataclass(frozen=True, slots=True)
class Extraction:
    """The answer found in a response.

    Attributes:
        answer: The answer text as written (not yet normalised), or ``None``.
        method: Which rule found it.
    """

    answer: str | None
    method: ExtractionMethod


NOTHING = Extraction(None, "none")


@dataclass(frozen=True, slots=True)
class Readings:
    """The strict and the flexible answer of one response.

    Attributes:
        strict: The declared final answer (box, answer phrase or heading), or none.
        flexible: The answer a careful grader takes as committed.
        hedged: The response offers two candidates or qualifies its answer: both are none.
    """

    strict: Extraction
    flexible: Extraction
    hedged: bool = False


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


@dataclass(frozen=True, slots=True)
class _Found:
    """A declared answer, where it was declared, and whether it was hedged."""

    answer: str
    start: int
    hedged: bool
    explicit: bool = True


def _phrase_answer(text: str) -> _Found | None:
    """The last answer phrase that is followed by a value."""
    matches = list(_PHRASE.finditer(text))
    for match in reversed(matches[-_PHRASES_TRIED:]):
        rest = text[match.end() : match.end() + _PHRASE_WINDOW]
        filler = _FILLER.match(rest)
        if filler is not None:
            rest = rest[filler.end() :]
        found = read_value(rest)
        if found:
            sentence = last_sentence(text[max(0, match.start() - 200) : match.start()])
            doubt = hedged(sentence + " " + rest[:200].split("\n", 1)[0], declared=True)
            run = math_run(rest)
            other = alternative(rest, run[1]) if run is not None else None
            found = found.strip().strip("*").strip() + (f", {other}" if other else "")
            # "Final answer: 7" overrides an earlier box; "our answer is correct" does not.
            explicit = ":" in match.group() or "final" in match.group().lower()
            return _Found(found, match.start(), doubt, explicit)
    return None


def _box_answer(text: str, boxes: list[Box], stated: Box) -> _Found:
    content = joined_content(text, boxes, stated)
    if is_sentence(content):
        content = read_value(_TEXT_WRAPPER.sub(r" \1 ", content)) or content
    sentence = last_sentence(text[max(0, stated.start - 300) : stated.start])
    doubt = hedged(sentence, declared=True)
    other = alternative(text, stated.end)  # "$\boxed{5}$ (or $6$)" lists two values
    return _Found(content + (f", {other}" if other else ""), stated.start, doubt)


def _heading_answer(text: str) -> str | None:
    r"""The answer under the last "(Final) Answer" heading: a math line or a stated value."""
    headings = list(_HEADING.finditer(text))
    if not headings:
        return None
    section = text[headings[-1].end() : headings[-1].end() + _HEADING_WINDOW].lstrip("\n")
    section = section.split("\n\n", 1)[0]
    return read_value(section) if section.strip() else None


def _declared(text: str) -> tuple[Extraction, bool]:
    """The strict reading: the later of the stated box and the last phrase; else a heading."""
    boxes = find_boxes(text)
    stated = answer_box(text, boxes)
    phrase = _phrase_answer(text)
    box = _box_answer(text, boxes, stated) if stated is not None else None
    if box is not None and (phrase is None or phrase.start < box.start or not phrase.explicit):
        return Extraction(box.answer, "boxed"), box.hedged
    if phrase is not None:
        return Extraction(phrase.answer, "phrase"), phrase.hedged
    if boxes:  # only remark boxes and no phrase: the last box is all there is
        return Extraction(boxes[-1].content(text), "boxed"), False
    heading = _heading_answer(text)
    return (Extraction(heading, "heading") if heading else NOTHING), False


def _unmarked(text: str) -> Extraction:
    """The flexible readings of a reply without a declared answer."""
    bare = bare_answer(text)
    if bare is not None:
        return Extraction(bare, "bare")
    labels = list(_ANSWER_THEN_MATH.finditer(text))
    if labels:
        run = math_run(text[labels[-1].end() : labels[-1].end() + _PHRASE_WINDOW])
        if run is not None and run[0]:
            return Extraction(run[0], "closing")
    closing = closing_statement(text)
    if closing:
        return Extraction(closing, "closing")
    # "5\n\nBecause 2 + 3 = 5.": an answer on the first line, then its explanation.
    first = text.lstrip().split("\n", 1)[0]
    leading = plain_answer(first) if len(first) < len(text.strip()) else None
    if leading is None or not re.search(r"[\d\\]", leading):
        return NOTHING  # a heading or a word is not an answer stated first
    return Extraction(leading, "bare")


def extract_answers(text: str, truncated: bool = False) -> Readings:
    r"""The strict and flexible answers of a response.

    Args:
        text: The completion text.
        truncated: The output was cut at ``max_tokens``: only declared answers count.

    >>> found = extract_answers("We get $x = 4$. So the total is 1,250.5 metres.")
    >>> found.strict.answer, found.flexible.answer
    (None, '1,250.5')
    >>> extract_answers("The answer is $5$, or possibly $6$.").hedged
    True
    """
    visible = cut_run_on(read_reply(text).text)
    strict, doubt = _declared(visible)
    if doubt:
        return Readings(NOTHING, NOTHING, hedged=True)
    if strict.answer is not None or truncated:
        return Readings(strict, strict)
    if hedged(last_sentence(visible)):
        return Readings(NOTHING, NOTHING, hedged=True)
    return Readings(strict, _unmarked(visible))


def extract_answer(text: str) -> Extraction:
    r"""Find the final answer in a response: the flexible reading of :func:`extract_answers`.

    >>> extract_answer(r"so $x=\boxed{\frac{1}{2}}$.").answer
    '\\frac{1}{2}'
    >>> extract_answer("The final answer is $7$. I hope it is correct.").answer
    '7'
    >>> extract_answer("no idea").method
    'none'
    """
    return extract_answers(text).flexible
