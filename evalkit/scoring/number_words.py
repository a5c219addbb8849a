"""The English number-word lexicon shared by the scorers that read numbers in words.

The GSM8K reader (:mod:`evalkit.scoring.numeric.words`) rewrites number phrases inside a reply;
the MATH checker (:mod:`evalkit.scoring.math.words`) reads an answer that is only a number in
words. Each owns its grammar; the words and their values live here once.
"""

from __future__ import annotations

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
"""Zero to nineteen."""

TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
"""The tens from twenty."""

MAGNITUDES = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
"""Magnitude words and their multipliers."""
