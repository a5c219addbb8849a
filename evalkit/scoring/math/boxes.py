r"""The boxes of a response, and which of them states the answer.

The last complete ``\boxed{...}``/``\fbox{...}`` is the answer (self-corrections box the
final value last), except when it sits inside a check, verification or discard remark and
an earlier box does not: ``The answer is $\boxed{5}$. Check: $\boxed{2\cdot 5 + 1 = 11}$``
answers 5, ``(We discard $\boxed{-3}$.)`` answers nothing by itself.

A box is a remark when a cue (``check``, ``verify``, ``verification``, ``substituting back``,
``discard``, ``reject``, ``extraneous``) occurs in the text just before it (since the
previous box, at most :data:`REMARK_WINDOW` characters), with no correction or answer cue
(``answer``, ``actually``, ``wait``, ``mistake``, ``wrong``, ``instead``, ``correct``,
``final``) after the check cue: ``Let me verify ... wait, I made a mistake, so $\boxed{6}$``
is a self-correction, not a remark.

Boxes just before the stated one that list the same answer join it
(:func:`joined_content`): ``$x = \boxed{-2}$ and $x = \boxed{1}$`` answers ``-2, 1``.

All scanning is linear in the response.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from evalkit.scoring.math.lex import brace_pairs

_BOX = re.compile(r"\\(?:boxed|fbox)(?![a-zA-Z])")
_BARE_ARGUMENT = re.compile(r"[^\s$]+")
_NON_SPACE = re.compile(r"\S")
REMARK_WINDOW = 200
"""How far before a box a check cue is looked for."""
_CHECK_CUE = re.compile(
    r"\b(?:check(?:s|ing)?|verif(?:y|ying|ied|ication)|sanity|substitut(?:e|ing)\s+back"
    r"|plug(?:ging)?\s+(?:it\s+)?back|discard(?:s|ed|ing)?|reject(?:s|ed|ing)?|extraneous)\b",
    re.IGNORECASE,
)
_CORRECTION_CUE = re.compile(
    r"\b(?:answer|actually|wait|mistake|wrong|instead|correct(?:ed|ion|ly)?|final)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Box:
    r"""One complete box.

    Attributes:
        start: Index of the ``\`` of the box command.
        end: Index just after its argument.
        body: ``(first, last)`` bounds of the argument's text, stripped (never empty). Bounds,
            not the text: copying every nested box's text would be quadratic.
    """

    start: int
    end: int
    body: tuple[int, int]

    def content(self, text: str) -> str:
        """The argument in ``text`` (the response the box was found in)."""
        return text[self.body[0] : self.body[1]]


def _box_argument(text: str, start: int, pairs: dict[int, int]) -> tuple[int, int, int] | None:
    """Argument bounds and end of the box command ending at ``start``, or ``None``."""
    i = start
    while i < len(text) and text[i] == " ":
        i += 1
    if i < len(text) and text[i] == "{":
        end = pairs.get(i)
        return None if end is None else (i + 1, end - 1, end)
    match = _BARE_ARGUMENT.match(text, i)
    if match is None or i == start:
        return None  # "\boxed5" is not LaTeX; "\boxed 5" is.
    return match.start(), match.end(), match.end()


def _stripped(text: str, first: int, last: int) -> tuple[int, int] | None:
    """``text[first:last]`` bounds without surrounding whitespace; ``None`` if blank."""
    visible = _NON_SPACE.search(text, first, last)
    if visible is None:
        return None
    first = visible.start()
    while text[last - 1].isspace():
        last -= 1
    return first, last


def find_boxes(text: str) -> list[Box]:
    r"""All complete, non-empty ``\boxed``/``\fbox`` groups, in order of their commands.

    A box inside a box is listed after it: ``\boxed{\boxed{8}}`` gives the outer, then the inner.
    """
    commands = list(_BOX.finditer(text))
    pairs = brace_pairs(text) if commands else {}
    boxes: list[Box] = []
    for command in commands:
        argument = _box_argument(text, command.end(), pairs)
        body = None if argument is None else _stripped(text, argument[0], argument[1])
        if argument is not None and body is not None:
            boxes.append(Box(command.start(), argument[2], body))
    return boxes


def last_boxed(text: str) -> str | None:
    r"""Return the content of the last complete ``\boxed``/``\fbox`` in ``text``."""
    boxes = find_boxes(text)
    return boxes[-1].content(text) if boxes else None


def is_remark(text: str, box: Box, previous_end: int) -> bool:
    """Whether ``box`` sits in a check/verification/discard remark (see the module doc)."""
    window_start = max(previous_end, box.start - REMARK_WINDOW)
    window = text[window_start : box.start]
    cues = list(_CHECK_CUE.finditer(window))
    if not cues:
        return False
    return _CORRECTION_CUE.search(window, cues[-1].end()) is None


def answer_box(text: str, boxes: list[Box]) -> Box | None:
    """The box that states the answer: the last one that is not a remark.

    Returns ``None`` when every box is a remark (the caller may then prefer an answer
    phrase, else fall back to the last box).
    """
    previous_end, remark = 0, False
    stated: Box | None = None
    for box in boxes:
        if box.start >= previous_end:  # a box nested in another keeps that box's verdict
            remark = is_remark(text, box, previous_end)
        if not remark:
            stated = box
        previous_end = max(previous_end, box.end)
    return stated


_GAP_NOISE = re.compile(r"\$|\\[()\[\]]|\\q?quad(?![a-zA-Z])|\\[,;:! ]|\s")
_LIST_GAP = re.compile(
    # a separator, a bullet or item number ("- ", "2."), then maybe a variable label ("x =")
    r"(?:,|;|and|or|&|\\text\{(?:and|or|,)\})?,?(?:[-*•]|\d{1,2}[.)])?(?:[A-Za-z](?:_\d)?=)?"
)
MAX_GAP = 40
"""Longest text between two boxes that still joins them into one list answer."""


def joined_content(text: str, boxes: list[Box], stated: Box) -> str:
    r"""The stated box's content, with the boxes just before it that list the same answer.

    ``$x = \boxed{-2}$ and $x = \boxed{1}$`` answers ``-2, 1``: boxes separated only by a
    comma, ``and``, ``or``, math delimiters, spacing or a variable label are one answer split
    over several boxes (``\boxed{5} or \boxed{6}`` becomes the list ``5, 6``, which the checker
    then treats as the hedge it is).
    """
    index = boxes.index(stated)
    parts = [stated.content(text)]
    while index > 0 and len(parts) < 20:
        previous, current = boxes[index - 1], boxes[index]
        if previous.end > current.start or current.start - previous.end > MAX_GAP:
            break  # nested, or too far apart to be one answer
        gap = _GAP_NOISE.sub("", text[previous.end : current.start])
        if _LIST_GAP.fullmatch(gap) is None:
            break
        parts.insert(0, previous.content(text))
        index -= 1
    return ", ".join(parts)
