r"""Reading a model's committed numeric answer out of free text.

This module owns *where* the answer is in a response and *which number* it is; comparing it with
the gold answer is :mod:`evalkit.scoring.numeric`'s job. The stages:

1. :func:`prepare`: unify Unicode digits, minus signs and LaTeX spellings, remove GSM8K
   calculator annotations ``<<9*2=18>>``.
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
from fractions import Fraction
from typing import Literal

_MAX_DIGITS = 120  # longer digit runs are degenerate repetition, never a real answer
_WINDOW = 400  # characters read after a marker or inside a box
_MAX_CORRECTIONS = 3  # self-corrections tried, newest first (keeps the work linear)
_MAX_CHECK_CUTS = 4
_MAX_SPOTS = 32  # markers, boxes and bold spans tried, newest first
_TAIL = 32_000  # characters read from the end: a committed answer sits at the close

_CURRENCY = "$€£¥₹"
_SIGNED = rf"(?:(?P<neg>negative)[ \t]+)?(?P<sign>-)?(?P<cur>[{_CURRENCY}])?[ \t]?(?P<sign2>-)?"
_PLAIN = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?|\.\d+"
_FRACTION = r"\d+/\d+(?![\d/])"
_MULT = r"(?:(?P<mult>[ \t]*(?i:thousand|million|billion)|k)\b)?"
_START = r"(?<![A-Za-z0-9_.^/])"  # not inside a word, a decimal, an exponent or a fraction
_ORDINAL = r"(?!(?:st|nd|rd|th)\b)"
_SCAN = re.compile(rf"{_START}{_SIGNED}(?P<num>{_FRACTION}|{_PLAIN}){_ORDINAL}{_MULT}")
# Read inside an answer statement: also "1 250" (space-grouped) and "1 1/2" (mixed number).
_LOOSE = re.compile(
    rf"{_START}{_SIGNED}(?P<num>\d+ \d+/\d+(?![\d/])|\d{{1,3}}(?: \d{{3}})+(?![\d,.])"
    rf"|{_FRACTION}|{_PLAIN}){_ORDINAL}{_MULT}"
)


@dataclass(frozen=True, slots=True)
class Answer:
    """A numeric answer read from a response.

    Attributes:
        value: The exact value of the number read, or ``None`` for a degenerate digit run.
        written: The number as the response wrote it (``"$1,250.00"``).
        offered: Every value offered in the same breath, in order, when the model hedged
            ("18 or 20"); empty otherwise.
    """

    value: Fraction | None
    written: str
    offered: tuple[Fraction | None, ...] = ()

    @property
    def hedged(self) -> bool:
        """Whether the model offered more than one answer."""
        return bool(self.offered)


@dataclass(frozen=True, slots=True)
class Extraction:
    """The answers a response commits to, read strictly and flexibly."""

    strict: Answer | None
    flexible: Answer | None


def _token_value(match: re.Match[str]) -> Fraction | None:
    """The exact value of a number token; ``None`` for a degenerate digit run."""
    num = match["num"]
    if sum(ch.isdigit() for ch in num) > _MAX_DIGITS or re.search(r"/0+$", num):
        return None
    whole = Fraction(0)
    if " " in num and "/" in num:  # mixed number "1 1/2"
        head, num = num.split(" ", 1)
        whole = Fraction(int(head))
    num = num.replace(",", "").replace(" ", "")
    value = whole + Fraction(num)  # "26 billion" stays 26: the gold may count in billions
    return -value if match["neg"] or match["sign"] or match["sign2"] else value


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
    return text


# --- 2. reading one statement ----------------------------------------------------------------

_STRICT_MARKER = re.compile(
    r"####"
    r"|\bthe[ \t]+(?:final[ \t]+|correct[ \t]+)?answer[ \t]*(?:is\b|:)"
    r"|\bfinal[ \t]+answer\b(?:[ \t]+is\b)?"
    r"|^[ \t>#*_-]*(?:a|answer)[ \t*_]*:",
    re.IGNORECASE | re.MULTILINE,
)
_LOOSE_MARKER = re.compile(
    r"答案[ \t]*(?:应该|應該)?[ \t]*(?:是|为|為|:)|\banswer[ \t]+(?:should|would|will)[ \t]+be\b"
    r"|\banswer[ \t]*=",
    re.IGNORECASE,
)
_BOX = re.compile(r"\\(?:boxed|fbox)[ \t]*\{")
# What may stand between a marker and its number: markup, math delimiters, filler words.
_DECOR = re.compile(
    r"(?:[\s*_:#>`({\[$]|\\boxed|\\fbox|(?:therefore|thus|then|simply|just|exactly|about|"
    r"approximately|around|roughly|either|between|likely|probably|maybe|perhaps|now|still|"
    r"that)\b)*",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?。;](?=\s|$)|\n")
_OPERATOR_NEXT = re.compile(rf"[ \t]*%?[ \t]*[-+*/x][ \t]*[{_CURRENCY}(]?[ \t]*\d")
_CONNECTIVE = re.compile(
    r"\b(?:making|makes|giving|gives|total(?:ing|s)?(?: of)?|which is|that is|so|thus|hence|"
    r"therefore|earn(?:s|ing)?|i\.e\.|or)\W*$",
    re.IGNORECASE,
)
_OPERATOR_GAP = re.compile(r"[ \t]*%?[ \t]*[-+*/x][ \t]*")
_PARENTHETICAL = re.compile(r"\([^()\n]{0,200}\)|\[[^\[\]\n]{0,200}\]")
_OR_GAP = re.compile(
    r"[ \t]*%?[ \t]*(?:[A-Za-z]+[ \t]*)?,?[ \t]*\bor\b(?:[ \t]+(?:maybe|perhaps|possibly|even))?"
    r"[ \t]*(?:[A-Za-z]+[ \t]+)?$"
)
_RANGE_GAP = re.compile(r"[ \t]*%?[ \t]*(?:[A-Za-z]+[ \t]*)?(?:\band\b|\bto\b|-|–|—)[ \t]*$")
_LIST_GAP = re.compile(r"[ \t]*(?:,|\band\b|\bto\b|–|—)[ \t]*$")
_BETWEEN = re.compile(r"\b(?:between|from)[ \t]+$", re.IGNORECASE)

ReadMode = Literal["anchored", "first", "last"]


def read_statement(statement: str, mode: ReadMode) -> Answer | None:
    """Read the answer a short statement gives.

    ``anchored`` (after a marker) needs the number right at the start, past markup; ``first``
    (a box, a bold span) takes the first number or a chain's result ("9 * 2 = 18"); ``last`` (a
    closing sentence) the result of its last "=", else its last number. A second, different
    number offered beside it ("18 or 20", "between 15 and 20") makes the answer hedged.

    >>> read_statement(" **$18** per day.", "anchored")
    Answer(value=Fraction(18, 1), written='$18', offered=())
    >>> read_statement(" 9 * 2 = 18 dollars", "anchored").value
    Fraction(18, 1)
    >>> read_statement(" 18 or 20.", "anchored").offered
    (Fraction(18, 1), Fraction(20, 1))
    """
    outside = _PARENTHETICAL.sub(" ", statement)
    if _LOOSE.search(outside):
        statement = outside
    tokens = list(_LOOSE.finditer(statement))
    if not tokens:
        return None
    if mode == "anchored" and _DECOR.fullmatch(statement, 0, tokens[0].start()) is None:
        return None
    last = mode == "last"
    index = _closing_index(statement, tokens) if last else _result_index(statement, tokens)
    if index is None:
        return None
    return _answer_at(statement, tokens, index, boxed=not last)


def _closing_index(statement: str, tokens: list[re.Match[str]]) -> int | None:
    """Index of a closing sentence's answer: the result after its last "=", else its last number.

    A later number led in by "making", "so", "for a total of" ... restates the result.
    """
    after = _after_equals(statement, tokens)
    if not after:
        end = len(tokens) - 1
        chain = end and _OPERATOR_GAP.fullmatch(statement, tokens[-2].end(), tokens[-1].start())
        return None if chain else end  # "... is 9 * 2" commits to nothing
    index = after[0]
    for i in after[1:]:
        if _CONNECTIVE.search(statement, max(0, tokens[i].start() - 25), tokens[i].start()):
            index = i
    return index


def _result_index(statement: str, tokens: list[re.Match[str]]) -> int | None:
    """Index of the first number, or of the result of the chain it starts ("9 * 2 = 18")."""
    if not _OPERATOR_NEXT.match(statement, tokens[0].end()):
        return 0
    after = _after_equals(statement, tokens)
    return after[0] if after else None  # an expression without its result commits to nothing


def _after_equals(statement: str, tokens: list[re.Match[str]]) -> list[int]:
    equals = statement.rfind("=")
    return [i for i, token in enumerate(tokens) if token.start() > equals >= 0]


def _answer_at(statement: str, tokens: list[re.Match[str]], index: int, *, boxed: bool) -> Answer:
    """Build the answer at ``tokens[index]``, collecting alternatives offered beside it."""
    chosen = tokens[index]
    offered = [chosen]
    if index > 0 and _is_hedge(statement, tokens[index - 1], chosen, boxed=boxed):
        offered.insert(0, tokens[index - 1])
    if index + 1 < len(tokens) and _is_hedge(statement, chosen, tokens[index + 1], boxed=boxed):
        offered.append(tokens[index + 1])
    values = tuple(_token_value(token) for token in offered)
    hedged = len(set(values)) > 1
    return Answer(_token_value(chosen), chosen[0].strip(), values if hedged else ())


def _is_hedge(statement: str, left: re.Match[str], right: re.Match[str], *, boxed: bool) -> bool:
    """Whether two neighbouring numbers are offered as alternatives to each other."""
    gap = statement[left.end() : right.start()]
    if (left["cur"] is None) != (right["cur"] is None):
        return False  # "9 eggs or $18": two quantities, not two answers
    between = _RANGE_GAP.match(gap) and _BETWEEN.search(statement, 0, left.start())
    listed = boxed and _LIST_GAP.match(gap) and "=" not in gap
    return bool(_OR_GAP.match(gap) or between or listed)


# --- 3. where the answer is --------------------------------------------------------------------

_CUE_START = r"(?:^|(?<=[.!?。:,])[ \t]+)[ \t>#*_-]*"
_CORRECTION = re.compile(
    rf"{_CUE_START}(?:wait|hmm+|oops|actually|correction|on second thought|hold on|no,)\b"
    r"|\bI (?:made|have made) an? (?:\w+ ){0,2}(?:mistake|error)"
    r"|\b(?:let me|let's|let us|I need to|I should) (?:re-?calculate|recompute|redo|correct|"
    r"reconsider|re-?evaluate|try again|start over|fix)"
    r"|\bthat(?:'s| is| was) (?:not right|not correct|incorrect|wrong)",
    re.IGNORECASE | re.MULTILINE,
)
_CHECK = re.compile(
    rf"{_CUE_START}(?:(?:let's|let me|let us|to|we can|i will|i'll|now|quick|and|just|lastly)"
    r"[ \t,]+){0,2}(?:double[- ]?check(?:ing)?|check(?:ing)?|verif(?:y|ying|ication)|"
    r"sanity[- ]check|confirm(?:ing|ation)?)\b",
    re.IGNORECASE | re.MULTILINE,
)
_NOTE = re.compile(
    r"^[ \t>*_(-]*(?:note|n\.b\.|explanation|assum(?:ing|ption)|this assumes)\b", re.I | re.M
)
_CONFIRMED = re.compile(r"[✓✔✅]|\b(?:correct|confirm(?:s|ed)|matches|checks out|consistent)\b")
_CONCLUSION = re.compile(
    rf"{_CUE_START}(?:so|therefore|thus|hence|in conclusion|in total|overall|altogether)\b",
    re.IGNORECASE | re.MULTILINE,
)
_BOLD = re.compile(r"\*\*([^*\n]{1,120})\*\*|__([^_\n]{1,120})__")
_HEADING = re.compile(r"(?:step|part|day|week|case|question|problem|option|method)\b|.*:\s*$", re.I)
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
    starts = [m.end() for m in _CORRECTION.finditer(text)][-_MAX_CORRECTIONS:][::-1] + [0]
    for start in starts:
        flexible = _flexible_in(text[start:], truncated=truncated)
        if flexible is not None:
            return Extraction(strict, flexible)
    return Extraction(strict, None)


def _flexible_in(region: str, *, truncated: bool) -> Answer | None:
    """The flexible answer of a region: its last marker, else its closing statement."""
    marked = _last_marked(region, loose=True)
    if marked is not None or truncated:
        return marked
    return _closing_answer(_drop_remarks(region))


def _last_marked(text: str, *, loose: bool) -> Answer | None:
    """The answer of the last marker or box in ``text`` that is followed by a number."""
    spots = [(m.end(), False) for m in _STRICT_MARKER.finditer(text)]
    spots += [(m.end(), True) for m in _BOX.finditer(text)]
    if loose:
        spots += [(m.end(), False) for m in _LOOSE_MARKER.finditer(text)]
    for start, boxed in sorted(spots, reverse=True)[:_MAX_SPOTS]:
        body = _box_body(text, start) if boxed else _sentence_at(text, start)
        answer = read_statement(body, "first" if boxed else "anchored")
        if answer is not None:
            return answer
    return None


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
    lead = _DECOR.match(text, start, start + _WINDOW)
    body_start = lead.end() if lead else start
    end = _SENTENCE_END.search(text, body_start, body_start + _WINDOW)
    return text[start : end.start() if end else body_start + _WINDOW]


def _drop_remarks(region: str) -> str:
    """Drop trailing verification ("Check: 9*2=18 ✓") and notes after the answer is stated."""
    first = _SCAN.search(region)
    if first is None:
        return region
    for _ in range(_MAX_CHECK_CUTS):
        cues = [m for m in _CHECK.finditer(region, first.end())]
        notes = [m for m in _NOTE.finditer(region, first.end())]
        if notes and (not cues or notes[-1].start() > cues[-1].start()):
            region = region[: notes[-1].start()]
        elif cues and _is_verification(region, cues[-1].start()):
            region = region[: cues[-1].start()]
        else:
            return region
    return region


def _is_verification(region: str, cue: int) -> bool:
    """Whether the text from ``cue`` re-derives the answer stated before it."""
    tail = region[cue:]
    if _CONCLUSION.search(tail, 1):
        return False  # "Let's verify: ... So she makes $18." restates a conclusion
    if _CONFIRMED.search(tail):
        return True
    stated = _closing_answer(region[:cue])
    results = (_SCAN.match(tail, m.end()) for m in re.finditer(r"=[ \t]*", tail))
    return stated is not None and any(m and _token_value(m) == stated.value for m in results)


def _closing_answer(region: str) -> Answer | None:
    """The last bold number of the final paragraph, else the last number of the last sentence."""
    last = None
    for last in _SCAN.finditer(region):  # noqa: B007 - only the last match is wanted
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
    return read_statement(sentence, "last")
