r"""LaTeX answer normalisation: strip what does not change the mathematical object.

:func:`normalize_answer` removes delimiters and wrappers (``$``, ``\boxed{}``, ``\left``/
``\right``, ``\displaystyle``), spacing commands (``\,`` ``\!`` ``\;`` ``\quad``), money
and percent signs (``\$``, ``\%``: MATH's convention is that ``20\%`` answers ``20``),
degree marks (``^\circ``), units (``\text{ cm}^2``, a trailing ``inches``), thousands
separators (``10,\!080``, ``58,500``), a trailing period, and rewrites spelling variants
(``\dfrac`` → ``\frac``, ``\le`` → ``\leq``, unicode ``π`` → ``\pi``). Prose connectors
``\text{ or }`` / ``\text{ and }`` become a list comma, so ``5 \text{ or } 6`` is a
two-item answer (and so wrong for a single gold value).

All rewrites are regular expressions without nested quantifiers: linear in the input.
"""

from __future__ import annotations

import re
from typing import Literal

from evalkit.scoring.math.lex import brace_pairs
from evalkit.scoring.math.plaintext import rewrite_plain_text
from evalkit.scoring.math.words import words_to_number

PercentReading = Literal["number", "fraction"]
r"""What ``\%`` means: ``number`` drops it (``20\%`` is 20), ``fraction`` divides by 100."""

_UNICODE = {
    "\u2212": "-",
    "\u2013": "-",
    "\u00d7": "\\times ",
    "\u00b7": "\\cdot ",
    "\u03c0": "\\pi ",
    "\u221e": "\\infty ",
    "\u221a": "\\sqrt",
    "\u2264": "\\leq ",
    "\u2265": "\\geq ",
    "\u2260": "\\neq ",
    "\u00b1": "\\pm ",
    "\u222a": "\\cup ",
    "\u00b0": "^\\circ ",
    "\u00a0": " ",
    "\u00b2": "^2",
    "\u00b3": "^3",
    "\u2208": "\\in ",
    "\u2229": "\\cap ",
    "\u2205": "\\emptyset ",
    "\u211d": "\\mathbb{R}",
    "\u00f7": "\\div ",
    "\u22c5": "\\cdot ",
    "\u00bd": "\\frac{1}{2}",
    "\u00bc": "\\frac{1}{4}",
    "\u00be": "\\frac{3}{4}",
    "\u2153": "\\frac{1}{3}",
    "\u2154": "\\frac{2}{3}",
}

_SIMPLE = [
    (re.compile(r"\\[dtc]frac"), r"\\frac"),
    (re.compile(r"\\[dt]binom"), r"\\binom"),
    (re.compile(r"\\(?:left|right|big|Big|bigg|Bigg)[lr]?(?![a-zA-Z])\.?"), ""),
    (re.compile(r"\\(?:displaystyle|textstyle|scriptstyle|limits)(?![a-zA-Z])"), ""),
    (re.compile(r"\\lbrace(?![a-zA-Z])"), r"\\{"),
    (re.compile(r"\\rbrace(?![a-zA-Z])"), r"\\}"),
    (re.compile(r"\\[lr]?vert(?![a-zA-Z])|\\mid(?![a-zA-Z])"), "|"),
    (re.compile(r"\\infinity(?![a-zA-Z])"), r"\\infty"),
    (re.compile(r"\{ ?([^{}]{1,50}?) ?\\choose ?([^{}]{1,50}?) ?\}"), r"\\binom{\1}{\2}"),
    (re.compile(r"\\dots|\\ldots|\\cdots"), r"\\dots"),
    (re.compile(r"\\operatorname\{(sin|cos|tan|cot|sec|csc|ln|log|exp)\}"), r"\\\1"),
]

_DEGREES = re.compile(
    r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ(?![a-zA-Z])|\\circ(?![a-zA-Z])|\\degrees?(?![a-zA-Z])"
)
_FORMATTING = re.compile(r"\\(?:mathbf|boldsymbol|bm|mathit|mathsf|mathnormal)(?![a-zA-Z])\s*")
_THOUSANDS_MARK = re.compile(
    # 10,\!080 / 1{,}000 / 1\,000 / 1\ 000 / 1~000: LaTeX spacing between digit groups.
    r"(?<=\d)(?:\{,\}|, ?\\[!,] ?|\\[,;:! ]|~)(?=\d{3}(?!\d))"
)
_SPACING = re.compile(r"(\\\\)|\\(?:[,;:! ]|quad(?![a-zA-Z])|qquad(?![a-zA-Z]))|~")
_CONNECTOR = re.compile(r"\\(?:text|mbox|textrm|textnormal)\{\s*(or|and)\s*\}|\s+(or|and)\s+")
_PLAIN_THOUSANDS = re.compile(r"^(-?)(\d{1,3}(?:,\d{3})+)(\.\d+)?$")
_SPACED_THOUSANDS = re.compile(r"^(-?)(\d{1,3}(?: \d{3})+)(\.\d+)?$")
_PROSE_GROUP = re.compile(
    r"\\(?:text|textbf|textit|textrm|textnormal|mbox|mathrm|textsf)\s*\{([^{}]*)\}"
    r"(?:\s*\^\s*\{?[23]\}?)?"
)
_UNIT_WORDS = (
    "units?|square units?|sq units?|cubic units?|inches|inch|feet|foot|ft|yards?|miles?|"
    "meters?|metres?|centimeters?|cm|mm|km|kilometers?|degrees?|radians?|cents?|dollars?|"
    "hours?|hrs?|minutes?|mins?|seconds?|days?|weeks?|years?|mph|pounds?|lbs?|ounces?|"
    "gallons?|liters?|litres?|students|people|ways|points|sq|square|cubic|m|kg|gm|ml"
)
_TRAILING_UNIT = re.compile(
    rf"(?<=[\w}}).\s])\s+(?:{_UNIT_WORDS})(?:\s+(?:{_UNIT_WORDS}))*(?:\s*\^\s*\{{?[23]\}}?)?\s*$"
)
_UNIT_TAIL = 200
_COUNTED = re.compile(r"(-?\d[\d,]*(?:\.\d+)?)(?: [a-z]{2,20}){1,3}")
"""``9 multiples``, ``65 children tickets``: a number and the plain words that count it."""


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """``text[start:end]`` bounds without surrounding whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def unwrap_command(text: str, command: str) -> str:
    r"""Return ``text`` without a ``\command{...}`` that wraps all of it (repeatedly).

    Linear in ``text``: brace pairs are found once, however deep the nesting.
    """
    prefix = "\\" + command
    pairs = brace_pairs(text) if prefix in text else {}
    start, end = _trim(text, 0, len(text))
    while text.startswith(prefix, start):
        brace = start + len(prefix)
        while brace < end and text[brace].isspace():
            brace += 1
        if brace >= end or text[brace] != "{" or pairs.get(brace) != end:
            break
        start, end = _trim(text, brace + 1, end - 1)
    return text[start:end]


def _strip_trailing_punctuation(text: str) -> str:
    r"""Drop trailing whitespace and periods (``5.``; ``\.`` too)."""
    end = len(text)
    while end:
        if text[end - 1].isspace():
            end -= 1
        elif text[end - 1] == ".":
            end -= 2 if end >= 2 and text[end - 2] == "\\" else 1
        else:
            break
    return text[:end]


def _strip_trailing_unit(text: str) -> str:
    """Drop a trailing unit word; only the tail is searched (units are short)."""
    cut = max(0, len(text) - _UNIT_TAIL)
    return text[:cut] + _TRAILING_UNIT.sub("", text[cut:])


def _strip_delimiters(text: str) -> str:
    text = text.replace("\\$", "").replace("$", "")
    for left, right in (("\\(", "\\)"), ("\\[", "\\]")):
        if text.startswith(left) and text.endswith(right):
            text = text[len(left) : -len(right)]
    return text.strip()


def _drop_prose(text: str) -> str:
    r"""Drop ``\text{...}`` unit words when there is math beside them; keep lone prose."""

    def replace(match: re.Match[str]) -> str:
        content = match.group(1).strip()
        if re.fullmatch(r"\([A-Za-z]\)|[ie]|[-+]?[\d.,]+", content):
            return content  # \text{(B)}, \mathrm{i}, \text{5}: a choice or number, not a unit.
        return " " if re.fullmatch(r"[A-Za-z.() ]*", content) else match.group(0)

    dropped = _PROSE_GROUP.sub(replace, text)
    return dropped if re.search(r"[\w\\]", dropped) else text


def _join_thousands(text: str) -> str:
    for pattern in (_PLAIN_THOUSANDS, _SPACED_THOUSANDS):
        match = pattern.match(text)
        if match:
            digits = match.group(2).replace(",", "").replace(" ", "")
            return match.group(1) + digits + (match.group(3) or "")
    return text


def normalize_answer(text: str, percent: PercentReading = "number") -> str:
    r"""Return the canonical spelling of an answer, ready for the parser.

    >>> normalize_answer(r"\$10,\!080.")
    '10080'
    >>> normalize_answer(r"\left( 3, \dfrac{\pi}{2} \right)")
    '( 3, \\frac{\\pi}{2} )'
    >>> normalize_answer(r"5 \text{ or } 6")
    '5 , 6'
    >>> normalize_answer("20 percent", percent="fraction"), normalize_answer("one hundred")
    ('20/100', '100')
    """
    text = " ".join(text.split())  # one space between words: keeps the regexes below linear
    text = _strip_trailing_punctuation(_strip_delimiters(text))
    text = unwrap_command(text, "boxed")
    text = unwrap_command(text, "fbox")
    words = words_to_number(_strip_trailing_unit(text))  # "two and a half" before "and" splits it
    if words is not None:
        return words
    for char, replacement in _UNICODE.items():
        text = text.replace(char, replacement)
    text = rewrite_plain_text(text)
    text = _THOUSANDS_MARK.sub("", text)
    for pattern, replacement in _SIMPLE:
        text = pattern.sub(replacement, text)
    text = _DEGREES.sub("^\\\\circ ", text)
    text = _FORMATTING.sub("", text)
    text = _SPACING.sub(lambda match: match.group(1) or " ", text)
    mark = "/100" if percent == "fraction" else ""
    text = text.replace("\\%", "%").replace("%", mark)
    text = _CONNECTOR.sub(" , ", text)
    text = _drop_prose(text)
    text = _strip_trailing_unit(text)
    text = _strip_trailing_punctuation(text)
    text = re.sub(r"\s+", " ", text).strip()
    if text.startswith("="):
        text = text[1:].strip()
    counted = _COUNTED.fullmatch(text)
    return _join_thousands(counted.group(1) if counted else text)
