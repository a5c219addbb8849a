"""Numbers written in English words, rewritten as digits before a response is read.

This module owns the number-word grammar: units, teens and tens ("twenty-four", "forty two"),
hundreds ("one hundred and five", "twelve hundred") and magnitude words ("two thousand four
hundred", "three million"), also after a count in digits ("2 thousand 5 hundred", "5 hundred").
A phrase becomes its integer ("2400"); one that ends in "million" or
"billion" keeps the word ("2 million"), since the number grammar reads "2 million" as the
quantity a question may count in millions. A lone "one" is a pronoun more often than a number
("each one", "one of them") and is rewritten only where an answer stands: after "is", "are",
"was", "be", ":", "=" or "**". A sequence of words that is not one number ("two three") is left
as it is.
"""

from __future__ import annotations

import re

from evalkit.scoring.number_words import MAGNITUDES
from evalkit.scoring.number_words import TENS as _TENS
from evalkit.scoring.number_words import UNITS as _UNITS

__all__ = ["words_to_digits"]

_SCALES = {k: v for k, v in MAGNITUDES.items() if k != "trillion"}
_WORD = "|".join(sorted([*_UNITS, *_TENS, "hundred", *_SCALES], key=len, reverse=True))
# Words joined by one blank or a hyphen; "and" only after a hundred or a magnitude word.
# A count in digits may lead a hundred or a magnitude word: "2 thousand 5 hundred", "5 hundred".
_COUNT = r"(?<![\d.,/])\d{1,3}(?=[ \t]+(?:hundred|thousand|million|billion)\b)"
_PHRASE = re.compile(
    rf"(?<![\w-])(?:{_WORD}|{_COUNT})(?:(?:[ \t]|-|[ \t]and[ \t])(?:{_WORD}|{_COUNT}))*+(?![\w-])",
    re.IGNORECASE,
)
_ANSWER_BEFORE = re.compile(r"(?:\b(?:is|are|was|be)|[:=]|\*\*)[ \t]*$", re.IGNORECASE)


def _value(words: list[str]) -> int | None:
    """The integer a phrase names, or ``None`` when the words do not form one number."""
    total, current, last = 0, 0, ""
    for word in words:
        if word in _UNITS or word in _TENS or word.isdigit():
            small = int(word) if word.isdigit() else _UNITS.get(word, _TENS.get(word, 0))
            # "twenty four" extends a ten; anything else after a unit or a teen is a new number.
            if last == "unit" or (last == "ten" and (word not in _UNITS or small >= 10)):
                return None
            current, last = current + small, "ten" if word in _TENS else "unit"
        elif word == "hundred":
            if last == "hundred" or current >= 100:
                return None
            current, last = (current or 1) * 100, "hundred"
        else:
            total, current, last = total + (current or 1) * _SCALES[word], 0, "scale"
    return total + current


def _rewrite(match: re.Match[str]) -> str:
    words = re.split(r"[ \t]+and[ \t]+|[ \t]+|-", match[0].lower())
    start = match.start()
    if (
        words[0] == "hundred"
        or words[0] in _SCALES
        or (words[0].isdigit() and len(words) == 2 and words[1] != "hundred")
    ):
        return match[0]  # "3 thousand", "1.5 million": the number grammar reads the digits
    if words == ["one"] and not _ANSWER_BEFORE.search(match.string, max(0, start - 12), start):
        return match[0]
    value = _value(words)
    if value is None:
        return match[0]
    for word in ("billion", "million"):
        scale = _SCALES[word]
        if words[-1] == word and value % scale == 0 and value // scale < 1000:
            return f"{value // scale} {word}"
    return str(value)


def words_to_digits(text: str) -> str:
    """Rewrite every number written in words as digits.

    >>> words_to_digits("The answer is twenty-four.")
    'The answer is 24.'
    >>> words_to_digits("two thousand four hundred and five dollars, or three million people")
    '2405 dollars, or 3 million people'
    >>> words_to_digits("Each one costs $2; the answer is one.")
    'Each one costs $2; the answer is 1.'
    """
    return _PHRASE.sub(_rewrite, text)
