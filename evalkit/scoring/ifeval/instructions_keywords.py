"""IFEval ``keywords:*`` instructions: words and letters a response must or must not contain.

Matching follows the official checker: keywords match anywhere, case-insensitively, also inside
longer words ("cat" is found in "category"); forbidden words match only as whole words. The
official code uses the dataset's words as regular expressions; they are matched literally here
(no word in the dataset contains a regex metacharacter, so verdicts are the same).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Self

from evalkit.errors import DataError
from evalkit.scoring.ifeval.arguments import Arguments, Relation, compare


@dataclass(frozen=True, slots=True)
class KeywordsExistence:
    """``keywords:existence``: every keyword appears at least once.

    Examples:
        >>> KeywordsExistence(("Moon", "tide")).check("The moon pulls the tides.")
        True
    """

    keywords: tuple[str, ...]

    @classmethod
    def from_arguments(cls, args: Arguments) -> Self:
        """Read ``keywords``."""
        return cls(args.words("keywords"))

    def check(self, response: str) -> bool:
        """Return whether each keyword occurs in ``response``, ignoring case."""
        return all(re.search(re.escape(k), response, flags=re.IGNORECASE) for k in self.keywords)


@dataclass(frozen=True, slots=True)
class KeywordFrequency:
    """``keywords:frequency``: a keyword appears less than / at least N times.

    Occurrences are non-overlapping, case-insensitive, and counted inside longer words too.

    Examples:
        >>> KeywordFrequency("dog", 2, "at least").check("Dogs and hotdogs.")
        True
    """

    keyword: str
    frequency: int
    relation: Relation

    @classmethod
    def from_arguments(cls, args: Arguments) -> Self:
        """Read ``keyword``, ``frequency`` and ``relation``."""
        return cls(args.text("keyword"), args.integer("frequency"), args.relation("relation"))

    def check(self, response: str) -> bool:
        """Return whether the keyword's count in ``response`` satisfies the relation."""
        count = len(re.findall(re.escape(self.keyword), response, flags=re.IGNORECASE))
        return compare(count, self.relation, self.frequency)


@dataclass(frozen=True, slots=True)
class ForbiddenWords:
    """``keywords:forbidden_words``: none of the words appears as a whole word.

    Examples:
        >>> red = ForbiddenWords(("red",))
        >>> red.check("A reddish glow."), red.check("RED!")
        (True, False)
    """

    words: tuple[str, ...]

    @classmethod
    def from_arguments(cls, args: Arguments) -> Self:
        """Read ``forbidden_words``."""
        return cls(args.words("forbidden_words"))

    def check(self, response: str) -> bool:
        """Return whether no forbidden word occurs in ``response`` between word boundaries."""
        return not any(
            re.search(rf"\b{re.escape(word)}\b", response, flags=re.IGNORECASE)
            for word in self.words
        )


@dataclass(frozen=True, slots=True)
class LetterFrequency:
    r"""``keywords:letter_frequency``: a character appears less than / at least N times.

    Letters are counted case-insensitively. The character is counted literally whatever it is:
    two prompts ask about ``#`` and ``!``, which the original code replaced by a random letter
    (its verdicts on those prompts changed from run to run).

    Examples:
        >>> LetterFrequency("#", 2, "at least").check("# Title\n## Part")
        True
    """

    letter: str
    frequency: int
    relation: Relation

    @classmethod
    def from_arguments(cls, args: Arguments) -> Self:
        """Read ``letter`` (one character), ``let_frequency`` and ``let_relation``."""
        letter = args.text("letter")
        if len(letter) != 1:
            raise DataError(f"IFEval {args.instruction_id!r}: letter must be one character")
        return cls(letter, args.integer("let_frequency"), args.relation("let_relation"))

    def check(self, response: str) -> bool:
        """Return whether the character's count in ``response`` satisfies the relation."""
        count = response.lower().count(self.letter.lower())
        return compare(count, self.relation, self.frequency)
