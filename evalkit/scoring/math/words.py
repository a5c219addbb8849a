r"""Numbers written in words: ``twenty-one``, ``one hundred and five``, ``3 million``, ``one half``.

:func:`words_to_number` reads an answer that is *only* a number in English words (or digits
followed by a magnitude word) and returns its digits, so the parser can compare it:

- units, teens, tens and their hyphenated compounds (``forty-two``), ``hundred`` and the
  magnitudes ``thousand``, ``million``, ``billion``, ``trillion`` (``two thousand and
  twenty-six`` = 2026); ``a hundred`` = 100;
- a magnitude after digits multiplies them: ``3 million`` = 3000000, ``2.5 thousand`` = 2500;
- simple fractions: ``one half``, ``a third``, ``three quarters``, ``two fifths`` (numerator
  and a denominator word up to ``tenths``), mixed ones (``two and a half``), and
  ``negative``/``minus`` before any of these.

Anything else (``five apples``, ``a few``) is not a number: ``None``. The input is short (an
extracted answer); the work is one pass over its words.
"""

from __future__ import annotations

import re
from fractions import Fraction

from evalkit.scoring.number_words import MAGNITUDES as _MAGNITUDES
from evalkit.scoring.number_words import TENS as _TENS
from evalkit.scoring.number_words import UNITS as _UNITS

_DENOMINATORS = {
    "half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4,
    "fourth": 4, "fourths": 4, "fifth": 5, "fifths": 5, "sixth": 6, "sixths": 6,
    "seventh": 7, "sevenths": 7, "eighth": 8, "eighths": 8, "ninth": 9, "ninths": 9,
    "tenth": 10, "tenths": 10,
}  # fmt: skip
NUMBER_WORDS = frozenset(
    {*_UNITS, *_TENS, "hundred", *_MAGNITUDES, *_DENOMINATORS, "negative", "minus"}
)
"""Every word that names part of a number here ("a" and "and" only join them)."""
_DIGITS_TIMES_WORD = re.compile(r"(\d+(?:\.\d+)?) ?(thousand|million|billion|trillion)")
_WORDS = re.compile(r"[a-z]+(?:-[a-z]+)?(?: [a-z]+(?:-[a-z]+)?){0,15}")
MAX_CHARS = 120
"""Longer texts are not read as number words."""


def _word_value(word: str) -> int | None:
    if word in _UNITS:
        return _UNITS[word]
    if word in _TENS:
        return _TENS[word]
    tens, _, unit = word.partition("-")
    if tens in _TENS and unit in _UNITS and 0 < _UNITS[unit] < 10:
        return _TENS[tens] + _UNITS[unit]
    return None


def _cardinal(words: list[str]) -> int | None:
    """``["two", "hundred", "and", "five"]`` → 205; ``None`` unless every word is part of it."""
    total, current, seen = 0, 0, False
    for index, word in enumerate(words):
        if word == "and" and seen and index + 1 < len(words):
            continue
        if word == "a" and index == 0 and len(words) > 1:
            current, seen = 1, True
        elif (value := _word_value(word)) is not None:
            current, seen = current + value, True
        elif word == "hundred" and seen:
            current = max(current, 1) * 100
        elif word in _MAGNITUDES and seen:
            total, current = total + max(current, 1) * _MAGNITUDES[word], 0
        else:
            return None
    return total + current if seen else None


def _fraction(words: list[str]) -> Fraction | None:
    """``one half``, ``a third``, ``three quarters`` (the last word names the denominator)."""
    if len(words) < 2 or words[-1] not in _DENOMINATORS:
        return None
    numerator = 1 if words[:-1] == ["a"] else _cardinal(words[:-1])
    if numerator is None:
        return None
    return Fraction(numerator, _DENOMINATORS[words[-1]])


def _mixed(words: list[str]) -> Fraction | None:
    """``two and a half``, ``three and three quarters``."""
    if "and" not in words:
        return None
    cut = len(words) - 1 - words[::-1].index("and")
    whole, part = _cardinal(words[:cut]), _fraction(words[cut + 1 :])
    return whole + part if whole is not None and part is not None and part < 1 else None


def _format(value: Fraction) -> str:
    return (
        str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    )


def words_to_number(text: str) -> str | None:
    """Return the digits of a number written in words, else ``None``.

    >>> words_to_number("forty-two"), words_to_number("Two thousand and twenty-six")
    ('42', '2026')
    >>> words_to_number("3 million"), words_to_number("three quarters")
    ('3000000', '3/4')
    >>> words_to_number("minus five")
    '-5'
    >>> words_to_number("five apples") is None
    True
    """
    if len(text) > MAX_CHARS:
        return None
    lowered = " ".join(text.lower().replace(",", " ").split())
    digits = _DIGITS_TIMES_WORD.fullmatch(lowered)
    if digits is not None:
        value = Fraction(digits.group(1)) * _MAGNITUDES[digits.group(2)]
        return _format(value)
    if _WORDS.fullmatch(lowered) is None:
        return None
    words = lowered.split()
    sign = ""
    if words[0] in ("negative", "minus") and len(words) > 1:
        sign, words = "-", words[1:]
    cardinal = _cardinal(words)
    found = Fraction(cardinal) if cardinal is not None else _mixed(words) or _fraction(words)
    if found is None:
        return None
    return sign + _format(found) if found else _format(found)
