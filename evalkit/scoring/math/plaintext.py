r"""Plain-text math notation rewritten as the LaTeX the parser reads.

Models often answer without LaTeX. Each rewrite below turns one plain-text habit into the LaTeX
it means, and only where the reading is unambiguous:

- function calls: ``sqrt(2)`` → ``\sqrt(2)``, ``cbrt(x)`` → ``\sqrt[3](x)``, ``sin(x)``,
  ``ln(x)``, ``log(x)``, ``exp(x)`` → ``\sin(x)`` ..., ``log2(8)`` → ``\log_{2}(8)``,
  ``abs(x)`` → ``|x|``;
- words for constants: ``pi`` (also glued to a coefficient, ``2pi``, ``3pi/4``) → ``\pi``;
  ``inf``, ``infinity``, ``oo`` → ``\infty``;
- ``U`` between two intervals → ``\cup``: ``(-inf, 2) U (3, inf)``, ``{-1} U [0, 7)`` (plain
  braces beside a union are a set);
- ``45 degrees`` → ``45^\circ`` (so lists and trig arguments read it too);
- ASCII relations: ``!=`` → ``\neq`` (``>=`` and ``<=`` are read by the parser as they are);
- a mixed number written with a space or "and", ``2 1/2`` / ``2 and 1/2`` →
  ``2\frac{1}{2}`` (a proper fraction only: ``2 3/2`` is left alone and fails to parse, as two
  numbers side by side);
- ``x in [1, 2)`` → ``x \in [1, 2)``; "all real numbers" → ``\mathbb{R}``;
- a base subscript on a parenthesised numeral, ``(101)_2`` → ``101_2``;
- ``percent``, ``per cent``, ``pct`` after a number → ``\%`` (what ``\%`` means is the
  scorer's ``percent`` convention, see :mod:`~evalkit.scoring.math.scorer`).

Every pattern is a single regular expression without nested quantifiers (linear in the text);
letters are guarded on both sides so ``spin``, ``inform`` or ``\pi`` are never touched.
"""

from __future__ import annotations

import re

_NOT_AFTER = r"(?<![\\A-Za-z])"
_NOT_BEFORE = r"(?![A-Za-z])"
_FUNCTION_CALL = re.compile(
    _NOT_AFTER + r"(sqrt|sin|cos|tan|cot|sec|csc|arcsin|arccos|arctan|ln|log|exp)(?=[ ]?[({\d])"
)
_ABS = re.compile(_NOT_AFTER + r"abs\(([^()]{1,200})\)")
_LOG_BASE = re.compile(_NOT_AFTER + r"log_?(\d{1,3})(?=\()")
_CUBE_ROOT = re.compile(_NOT_AFTER + r"cbrt(?=[ ]?[({])")
_PI = re.compile(_NOT_AFTER + r"(?:pi|Pi|PI)" + _NOT_BEFORE)
_INFINITY = re.compile(_NOT_AFTER + r"(?:[Ii]nfinity|[Ii]nf|oo)" + _NOT_BEFORE)
_UNION = re.compile(r"(?<=[)\]}])[ ]?U[ ]?(?=[(\[{])")
_SET_BESIDE_UNION = re.compile(
    # {-1} U [0, 7): plain braces beside a union are a set, not a group
    r"(?<![\\^_A-Za-z}])\{([^{}]{1,200})\}(?= \\cup)|(?<=\\cup )\{([^{}]{1,200})\}"
)
_DEGREE_WORD = re.compile(r"(?<=\d) ?degrees?(?![A-Za-z])")
_NOT_EQUAL = re.compile(r"!=(?!=)|=/=|<>")
_MIXED = re.compile(r"(?<![\d.,/^_])(-?\d{1,9})(?: | and )(\d{1,9})/(\d{1,9})(?![\d./^])")
_MEMBER_OF = re.compile(r"(?<=[A-Za-z]) (?:is )?in (?=[(\[{]|\\\{|\\mathbb)")
_ALL_REALS = re.compile(r"(?i:all real numbers|the real numbers|all reals)")
_BASE_PARENS = re.compile(r"\(([0-9A-Za-z]{1,64})\)_(?=\{?\d)")
_PERCENT_WORD = re.compile(
    r"(?<=[\d}.)])[ ]?(?:\\text\{[ ]?(?:percent|per cent|pct)[ ]?\}|(?:percent|per cent|pct)"
    + _NOT_BEFORE
    + r")"
)


def _mixed(match: re.Match[str]) -> str:
    whole, numerator, denominator = match.group(1), int(match.group(2)), int(match.group(3))
    if not 0 < numerator < denominator:
        return match.group(0)
    return f"{whole}\\frac{{{numerator}}}{{{denominator}}}"


def rewrite_plain_text(text: str) -> str:
    r"""Rewrite plain-text notation as LaTeX (``text`` has single spaces between words).

    >>> rewrite_plain_text("2 sqrt(3) + pi/2")
    '2 \\sqrt(3) + \\pi /2'
    >>> rewrite_plain_text("(-inf, 2) U (3, oo)")
    '(-\\infty , 2) \\cup (3, \\infty )'
    >>> rewrite_plain_text("2 1/2"), rewrite_plain_text("(101)_2"), rewrite_plain_text("x != 3")
    ('2\\frac{1}{2}', '101_2', 'x \\neq 3')
    >>> rewrite_plain_text("12.5 percent")
    '12.5\\%'
    """
    text = _ABS.sub(r"|\1|", text)
    text = _LOG_BASE.sub(r"\\log_{\1}", text)
    text = _FUNCTION_CALL.sub(r"\\\1", text)
    text = _CUBE_ROOT.sub(r"\\sqrt[3]", text)
    text = _PI.sub(r"\\pi ", text)
    text = _INFINITY.sub(r"\\infty ", text)
    text = _UNION.sub(r" \\cup ", text)
    text = _SET_BESIDE_UNION.sub(lambda m: "\\{" + (m.group(1) or m.group(2)) + "\\}", text)
    text = _DEGREE_WORD.sub(r"^\\circ ", text)
    text = _NOT_EQUAL.sub(r" \\neq ", text)
    text = _MIXED.sub(_mixed, text)
    text = _BASE_PARENS.sub(r"\1_", text)
    text = _MEMBER_OF.sub(r" \\in ", text)
    text = _ALL_REALS.sub(r"\\mathbb{R}", text)
    return " ".join(_PERCENT_WORD.sub(r"\\%", text).split())
