"""IFEval ``language:*`` and ``change_case:*`` instructions: which language, which letter case.

Language verdicts come from :func:`~evalkit.scoring.ifeval.language.detect_language` (langdetect
with a fixed seed). When langdetect finds nothing to go on (no letters), the official checker
counts the instruction as followed, and so do these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from evalkit.scoring.ifeval.arguments import Arguments, Relation, compare
from evalkit.scoring.ifeval.language import detect_language
from evalkit.scoring.ifeval.text import word_tokenize


def _language_is(response: str, language: str) -> bool:
    detected = detect_language(response)
    return detected is None or detected == language


@dataclass(frozen=True, slots=True)
class ResponseLanguage:
    """``language:response_language``: the whole response is in the given language.

    Examples:
        >>> ResponseLanguage("fr").check("Je pense que le ciel est bleu aujourd'hui.")
        True
    """

    language: str

    @classmethod
    def from_arguments(cls, args: Arguments) -> Self:
        """Read ``language`` (an ISO 639-1 code such as ``"fr"``)."""
        return cls(args.text("language"))

    def check(self, response: str) -> bool:
        """Return whether langdetect finds the required language (or none at all)."""
        return _language_is(response, self.language)


@dataclass(frozen=True, slots=True)
class EnglishCapital:
    """``change_case:english_capital``: English, all cased characters upper case.

    Examples:
        >>> EnglishCapital().check("THE WEATHER IS NICE TODAY, ISN'T IT?")
        True
    """

    @classmethod
    def from_arguments(cls, args: Arguments) -> Self:
        """Take no argument."""
        return cls()

    def check(self, response: str) -> bool:
        """Return whether ``response`` is upper case (``str.isupper``) and English."""
        return response.isupper() and _language_is(response, "en")


@dataclass(frozen=True, slots=True)
class EnglishLowercase:
    """``change_case:english_lowercase``: English, all cased characters lower case.

    Examples:
        >>> EnglishLowercase().check("the weather is nice today, isn't it?")
        True
    """

    @classmethod
    def from_arguments(cls, args: Arguments) -> Self:
        """Take no argument."""
        return cls()

    def check(self, response: str) -> bool:
        """Return whether ``response`` is lower case (``str.islower``) and English."""
        return response.islower() and _language_is(response, "en")


@dataclass(frozen=True, slots=True)
class CapitalWordFrequency:
    """``change_case:capital_word_frequency``: less than / at least N all-capital words.

    Words are Penn Treebank tokens, so "I'M" is two capital words ("I", "'M"), "WELL-KNOWN" is
    one, and a lone "I" or "A" counts.

    Examples:
        >>> CapitalWordFrequency(3, "at least").check("I'M SO HAPPY")
        True
    """

    frequency: int
    relation: Relation

    @classmethod
    def from_arguments(cls, args: Arguments) -> Self:
        """Read ``capital_frequency`` and ``capital_relation``."""
        return cls(args.integer("capital_frequency"), args.relation("capital_relation"))

    def check(self, response: str) -> bool:
        """Return whether the number of upper-case tokens satisfies the relation."""
        count = sum(1 for token in word_tokenize(response) if token.isupper())
        return compare(count, self.relation, self.frequency)
