r"""Reading a model's committed numeric answer out of free text.

This module owns *where* the answer is in a response and *which number* it is; comparing it with
the gold answer is :mod:`evalkit.scoring.numeric.scorer`'s job. The stages:

1. :func:`prepare`: unify Unicode digits, minus signs and LaTeX spellings, remove GSM8K
   calculator annotations ``<<9*2=18>>``, write number words as digits ("twenty-four" is 24,
   :mod:`evalkit.scoring.numeric.words`).
2. Markers: the last explicit final-answer statement wins ("#### N", "The answer is N", "Final
   answer: N", an ``A: N`` line, ``\boxed{N}``; flexible mode adds "答案是 N" and the like).
3. Without a marker (flexible mode only), in the region after the last self-correction ("Wait,
   I made an error ..."), trailing checks ("Check: 9*2=18 ✓") and notes are set aside; then the
   last bold number of the final paragraph, else the result of the final sentence, is read.

Every regular expression repeats boundedly and only the last 32,000 characters are read, so a
megabyte of hostile text scores in milliseconds.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from evalkit.scoring.numeric.read import (
    DECOR,
    SCAN,
    Answer,
    ReadMode,
    number_value,
    read_statement,
)
from evalkit.scoring.numeric.words import words_to_digits

__all__ = ["Answer", "Extraction", "ReadMode", "extract_answers", "prepare", "read_statement"]

_WINDOW = 400  # characters read after a marker or inside a box
_MAX_CORRECTIONS = 3  # self-corrections tried, newest first (keeps the work linear)
_MAX_CHECK_CUTS = 4
_MAX_SPOTS = 32  # markers, boxes and bold spans tried, newest first
_TAIL = 32_000  # characters read from the end: a committed answer sits at the close


@dataclass(frozen=True, slots=True)
class Extraction:
    """The answers a response commits to, read strictly and flexibly."""

    strict: Answer | None
    flexible: Answer | None


# --- 1. preparation ------------------------------------------------------------------------

_CHAR_MAP: dict[int, int | str] = {
    **{cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)},  # full-width ASCII
    0x2212: "-", 0x2012: "-", 0xFE63: "-",  # minus signs
    0x00A0: " ", 0x2009: " ", 0x202F: " ", 0x2007: " ",  # non-breaking and thin spaces
    0x2044: "/", 0x00D7: "*", 0x00F7: "/", 0x22C5: "*",
    0x00B9: "^1", 0x00B2: "^2", 0x00B3: "^3",
}  # fmt: skip
_VULGAR = re.compile(r"(\d?)([\u00bc-\u00be\u2150-\u215e])")
_THIN_GROUP = re.compile(r"(?<=\d)[\u00a0\u2009\u202f](?=\d{3}(?!\d))")
_LATEX = (
    (re.compile(r"<<[^<>\n]{0,200}>>"), ""),  # GSM8K calculator annotations
    (re.compile(r"\\\$"), "$"),
    (re.compile(r"\\%"), "%"),
    (re.compile(r"\{,\}|(?<=\d)\\[,!;:](?=\d{3})"), ","),
    (re.compile(r"\\[,!;: ]|\\q?quad\b"), " "),
    (re.compile(r"\\(?:text|textbf|textrm|mathrm|mathbf|mbox|operatorname)\s*\{([^{}\n]{0,200})\}"),
     r" \1 "),
    (re.compile(r"\\[dt]?frac\s*\{\s*(-?[\d.]+)\s*\}\s*\{\s*([\d.]+)\s*\}"), r"\1/\2"),
    (re.compile(r"\\(?:times|cdot|ast)\b"), "*"),
    (re.compile(r"\\div\b"), "/"),
    (re.compile(r"\\(?:left|right)\b|\\[()\[\]]"), " "),
)  # fmt: skip


def prepare(response: str) -> str:
    """Return the closing part of ``response`` in a uniform spelling."""
    cut = max(0, len(response) - _TAIL)
    space = re.compile(r"\s").search(response, cut, cut + 200) if cut else None
    text = _THIN_GROUP.sub("", response[space.end() if space else cut :])
    # "3½" is the mixed number "3 1/2"; NFKC spells "½" as "1⁄2" (a fraction slash).
    text = _VULGAR.sub(lambda m: f"{m[1]} {unicodedata.normalize('NFKC', m[2])}", text)
    text = text.translate(_CHAR_MAP)
    for pattern, replacement in _LATEX:
        text = pattern.sub(replacement, text)
    return words_to_digits(text)


# --- 2. reading one statement ----------------------------------------------------------------

_STRICT_MARKER = re.compile(
    r"####"
    r"|\bthe[ \t]+(?:final[ \t]+|correct[ \t]+)?answer[ \t]*(?:is\b|:)"
    r"|\bfinal[ \t]+answer\b(?:[ \t]+is\b)?"
    r"|^[ \t>#*_-]*(?:a|answer)[ \t*_]*:",
    re.IGNORECASE | re.MULTILINE,
)
_LOOSE_MARKER = re.compile(
    r"答案[ \t]*+(?:应该|應該)?[ \t]*+(?:是|为|為|:)|\banswer[ \t]+(?:should|would|will)[ \t]+be\b"
    r"|\banswer[ \t]*=",
    re.IGNORECASE,
)
_BOX = re.compile(r"\\(?:boxed|fbox)[ \t]*\{")
_LABEL_COLON = re.compile(r"[ \t*_]*:")
_SENTENCE_END = re.compile(r"(?<!\bi\.e)(?<!\be\.g)[.!?。;](?=\s|$)|\n")  # "i.e." goes on
# What may stand between a marker and its number: markup, math delimiters, filler words.
# --- 3. where the answer is --------------------------------------------------------------------

# Possessive runs: blanks are taken once, never re-split between two quantifiers (linear scans).
_CUE_START = r"(?:^|(?<=[.!?。:,])[ \t]++)[ \t>#*_-]*+"
_CORRECTION = re.compile(
    rf"{_CUE_START}(?:wait|hmm+|oops|actually|correction|on second thought|hold on|no,)\b"
    r"|\bI (?:made|have made) an? (?:\w+ ){0,2}(?:mistake|error)"
    r"|\b(?:let me|let's|let us|I need to|I should) (?:re-?calculate|recompute|redo|correct|"
    r"reconsider|re-?evaluate|try again|start over|fix)"
    r"|\bthat(?:'s| is| was) (?:not right|not correct|incorrect|wrong)",
    re.IGNORECASE | re.MULTILINE,
)
_CHECK = re.compile(
    rf"{_CUE_START}(?:(?:let's|let me|let us|to|we can|i will|i'll|now|quick|and|just|lastly|"
    r"wait|hmm|i should|we should|i need to)[ \t,]+){0,3}(?:double[- ]?check(?:ing)?|"
    r"check(?:ing)?|verif(?:y|ying|ication)|sanity[- ]check|confirm(?:ing|ation)?)\b",
    re.IGNORECASE | re.MULTILINE,
)
_NOTE = re.compile(
    r"^[ \t>*_(-]*(?:note|n\.b\.|explanation|assum(?:ing|ption)|this assumes)\b", re.I | re.M
)
# "Wait, let me double-check: ... Yes, that's right" confirms the answer; it corrects nothing.
_CHECK_NEXT = re.compile(
    r"[ \t,.!]*(?:(?:i|we)[ \t]+(?:should|need to|will|can)[ \t]+|let(?:'s| me| us)[ \t]+"
    r"|to[ \t]+)?"
    r"(?:double[- ]?check|re-?check|check|verify|confirm)\b",
    re.IGNORECASE,
)
_AGREES = re.compile(
    r"[✓✔✅]|\b(?:yes|yep|correct|right|confirm(?:s|ed)|checks out|matches)\b", re.I
)
_REFUTES = re.compile(
    r"\b(?:not (?:right|correct)|incorrect|wrong|mistake|error|miscalculated|instead)\b", re.I
)
# A trailing section after a stated answer ("The total cost is $25.\n\nBreakdown:\n- ...").
# A heading alone on its line or leading its first sentence ("Work: 16 - 3 = 13 ..."), or
# "Here's how:" / "Here is the breakdown:".
_SECTION = re.compile(
    r"^[ \t>#*_-]*+(?:(?:breakdown|explanation|work(?:ing)?|calculations?|reasoning|justification|"
    r"details|derivation|steps|solution|how|why)[ \t*_]*+:(?:[ \t*_]*+$|[ \t]+(?=\S))"
    r"|here(?:'s|’s|[ \t]+is)[ \t]+(?:how|why|the[ \t]+(?:breakdown|work|calculation|reasoning))"
    r"\b[^\n]{0,40}:)",
    re.IGNORECASE | re.MULTILINE,
)
_STATED = re.compile(
    r"\b(?:is|are|was|were|total|totals|comes to|equals|makes|earns|costs|has|have|needs)\b",
    re.IGNORECASE,
)
_CONFIRMED = re.compile(r"[✓✔✅]|\b(?:correct|confirm(?:s|ed)|matches|checks out|consistent)\b")
_CONCLUSION = re.compile(
    rf"{_CUE_START}(?:so|therefore|thus|hence|in conclusion|in total|overall|altogether)\b",
    re.IGNORECASE | re.MULTILINE,
)
_BOLD = re.compile(r"\*\*([^*\n]{1,120})\*\*|__([^_\n]{1,120})__")
_HEADING = re.compile(r"(?:step|part|day|week|case|question|problem|option|method)\b|.*:\s*$", re.I)
_ALTERNATIVE = re.compile(
    r"[ \t]*+(?:alternatively|otherwise|or|maybe|perhaps|possibly)\b[ \t,]*+", re.IGNORECASE
)
_LEAD_MAX = 40
_LEAD_LINE = re.compile(
    r"[ \t>#*_$€£]*+-?[\d.,/]+(?:[ \t]*+[A-Za-z%]+){0,3}[ \t]*+[.!]?[*_]*+", re.IGNORECASE
)
_BOUNDARY = re.compile(r"[.!?。;](?=\s)|\n")


def extract_answers(response: str, *, truncated: bool = False) -> Extraction:
    """Read the strict and the flexible answer of ``response``.

    ``truncated`` (the model hit its token limit) keeps only explicitly stated answers: the
    last number of a cut-off text is mid-reasoning, not a commitment.

    >>> extract_answers("So 9 * 2 = 18. The answer is 18.").strict.written
    '18'
    >>> e = extract_answers("The answer is 20. Wait, I made an error: 9 * 2 = 18.")
    >>> e.strict.written, e.flexible.written
    ('20', '18')
    >>> extract_answers("She makes $18. To double-check, 9 x 2 = 18 ✓").flexible.written
    '$18'
    >>> extract_answers("The answer is 18 or 20.").flexible.hedged
    True
    """
    text = prepare(response)
    strict = _last_marked(text, loose=False)
    corrections = [m for m in _CORRECTION.finditer(text) if not _confirms(text, m.end())]
    starts = [m.end() for m in corrections][-_MAX_CORRECTIONS:][::-1] + [0]
    for start in starts:
        flexible = _flexible_in(text[start:], truncated=truncated)
        if flexible is not None:
            return Extraction(strict, flexible)
    return Extraction(strict, None)


def _confirms(text: str, cue: int) -> bool:
    """Whether a "Wait, let me double-check" at ``cue`` confirms the answer instead of fixing it."""
    if not _CHECK_NEXT.match(text, cue, cue + 80):
        return False
    later = _CORRECTION.search(text, cue, cue + _WINDOW)
    tail = text[cue : later.start() if later else cue + _WINDOW]
    return bool(_AGREES.search(tail)) and not _REFUTES.search(tail)


def _flexible_in(region: str, *, truncated: bool) -> Answer | None:
    """The flexible answer of a region: its last marker, else its closing statement."""
    marked = _last_marked(region, loose=True)
    if marked is not None or truncated:
        return marked
    return _leading_answer(region) or _closing_answer(_drop_remarks(region))


def _leading_answer(region: str) -> Answer | None:
    """A first line that is only a number ("**$18**", "18 dollars.") answers before the working."""
    body = region.lstrip()
    end = body.find("\n")
    line = body[: end if end >= 0 else 0]
    if not line or len(line) > _LEAD_MAX or not _LEAD_LINE.fullmatch(line.rstrip()):
        return None
    return read_statement(line, "anchored")


def _last_marked(text: str, *, loose: bool) -> Answer | None:
    """The answer of the last marker or box in ``text`` that is followed by a number."""
    markers = list(_STRICT_MARKER.finditer(text))
    if loose:
        markers += _LOOSE_MARKER.finditer(text)
    spots = [(m.end(), False) for m in markers] + [(m.end(), True) for m in _BOX.finditer(text)]
    for start, boxed in sorted(spots, reverse=True)[:_MAX_SPOTS]:
        if boxed:
            answer = read_statement(_box_body(text, start), "first")
        else:
            answer = _marked_statement(text, start, loose=loose)
        if answer is not None:
            return answer
    return None


def _marked_statement(text: str, start: int, *, loose: bool) -> Answer | None:
    """The answer after a marker; a labelled closing sentence is read like a closing statement.

    "Answer: Sarah has 15 apples left, which is 5 fewer than before." commits to 15, but only
    when no number follows that sentence (else it opens the working, not the answer), and only
    when reading flexibly: strictly, a marker must be followed by its number.
    """
    body = _sentence_at(text, start)
    answer = read_statement(body, "anchored")
    labelled = text.endswith(":", 0, start) or _LABEL_COLON.match(text, start)
    if answer is not None or not loose or not labelled or SCAN.search(text, start + len(body)):
        return answer
    return read_statement(body, "last")


def _box_body(text: str, start: int) -> str:
    """The brace-balanced content of a box opened just before ``start``."""
    depth = 1
    for pos in range(start, min(len(text), start + _WINDOW)):
        depth += {"{": 1, "}": -1}.get(text[pos], 0)
        if depth == 0:
            return text[start:pos]
    return text[start : start + _WINDOW]


def _sentence_at(text: str, start: int) -> str:
    """From ``start``, past leading markup, to the end of the sentence that follows."""
    lead = DECOR.match(text, start, start + _WINDOW)
    body_start = lead.end() if lead else start
    end = _SENTENCE_END.search(text, body_start, body_start + _WINDOW)
    return text[start : end.start() if end else body_start + _WINDOW]


def _drop_remarks(region: str) -> str:
    """Drop trailing verification ("Check: 9*2=18 ✓") and notes after the answer is stated."""
    first = SCAN.search(region)
    if first is None:
        return region
    for _ in range(_MAX_CHECK_CUTS):
        cues = [m for m in _CHECK.finditer(region, first.end())]
        notes = [m for m in _NOTE.finditer(region, first.end())]
        notes += [m for m in _SECTION.finditer(region, first.end()) if _stated(region, m.start())]
        notes.sort(key=lambda m: m.start())
        if notes and (not cues or notes[-1].start() > cues[-1].start()):
            region = region[: notes[-1].start()]
        elif cues and _is_verification(region, cues[-1].start()):
            region = region[: cues[-1].start()]
        else:
            return region
    return region


def _stated(region: str, at: int) -> bool:
    """Whether the text before ``at`` ends in a finished sentence that states a number."""
    before = region[max(0, at - _WINDOW) : at].rstrip().rstrip("*_")
    if not before.endswith((".", "!")):
        return False
    sentence = re.split(r"[.!?\n](?=\s)", before[:-1])[-1]
    return bool(SCAN.search(sentence) and _STATED.search(sentence))


def _is_verification(region: str, cue: int) -> bool:
    """Whether the text from ``cue`` re-derives the answer stated before it."""
    tail = region[cue:]
    if _CONCLUSION.search(tail, 1):
        return False  # "Let's verify: ... So she makes $18." restates a conclusion
    if _CONFIRMED.search(tail):
        return True
    stated = _closing_answer(region[:cue])
    results = (SCAN.match(tail, m.end()) for m in re.finditer(r"=[ \t]*", tail))
    return stated is not None and any(m and number_value(m) == stated.value for m in results)


def _closing_answer(region: str) -> Answer | None:
    """The last bold number of the final paragraph, else the last number of the last sentence."""
    last = None
    for last in SCAN.finditer(region):  # noqa: B007 - only the last match is wanted
        pass
    if last is None:
        return None
    para_start = region.rfind("\n\n", 0, last.start()) + 1
    para_end = region.find("\n\n", last.end())
    paragraph = region[para_start : para_end if para_end >= 0 else len(region)]
    for bold in list(_BOLD.finditer(paragraph))[::-1][:_MAX_SPOTS]:
        content = bold[1] or bold[2]
        if not _HEADING.match(content.strip()):
            answer = read_statement(content, "first")
            if answer is not None:
                return answer
    starts = [m.end() for m in _BOUNDARY.finditer(region, para_start, last.start())]
    end = _BOUNDARY.search(region, last.end())
    start = max(starts[-1] if starts else para_start, last.start() - _WINDOW)
    sentence = region[start : end.start() if end else len(region)]
    if starts and start == starts[-1] and _ALTERNATIVE.match(sentence):
        # "It's likely 18; alternatively 24": the closing sentence offers a second candidate.
        before = starts[-2] if len(starts) > 1 else para_start
        sentence = region[max(before, start - _WINDOW) : start - 1] + " or " + sentence
    return read_statement(sentence, "last")
