r"""IFEval ``length_constraints:*`` instructions: sentences, words and paragraphs.

Two paragraph notions coexist, as in the official checker: ``number_paragraphs`` counts
paragraphs separated by the markdown divider ``***``, while ``nth_paragraph_first_word`` counts
paragraphs separated by a blank line (``\n\n``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Self

from evalkit.errors import DataError
from evalkit.scoring.ifeval.arguments import Arguments, Relation, compare
from evalkit.scoring.ifeval.text import count_sentences, count_words

_DIVIDER = re.compile(r"\s?\*\*\*\s?")
_BLANK_LINE = re.compile(r"\n\n")
# A paragraph's first word ends at the first of these characters.
_WORD_END = frozenset(".,?!'\"")


@dataclass(frozen=True, slots=True)
class NumberOfSentences:
    """``length_constraints:number_sentences``: less than / at least N Punkt sentences.

    Examples:
        >>> NumberOfSentences(2, "less than").check("One. Two.")
        False
    """

    num_sentences: int
    relation: Relation

    @classmethod
    def from_arguments(cls, args: Arguments) -> Self:
        """Read ``num_sentences`` and ``relation``."""
        return cls(args.integer("num_sentences"), args.relation("relation"))

    def check(self, response: str) -> bool:
        """Return whether the sentence count of ``response`` satisfies the relation."""
        return compare(count_sentences(response), self.relation, self.num_sentences)


@dataclass(frozen=True, slots=True)
class NumberOfWords:
    r"""``length_constraints:number_words``: less than / at least N words (``\w+`` runs).

    Examples:
        >>> NumberOfWords(3, "at least").check("It's fine.")
        True
    """

    num_words: int
    relation: Relation

    @classmethod
    def from_arguments(cls, args: Arguments) -> Self:
        """Read ``num_words`` and ``relation``."""
        return cls(args.integer("num_words"), args.relation("relation"))

    def check(self, response: str) -> bool:
        """Return whether the word count of ``response`` satisfies the relation."""
        return compare(count_words(response), self.relation, self.num_words)


@dataclass(frozen=True, slots=True)
class NumberOfParagraphs:
    r"""``length_constraints:number_paragraphs``: exactly N paragraphs divided by ``***``.

    An empty piece before the first or after the last divider is not a paragraph; an empty
    piece between two dividers fails the instruction.

    Examples:
        >>> NumberOfParagraphs(2).check("First.\n***\nSecond.\n***")
        True
    """

    num_paragraphs: int

    @classmethod
    def from_arguments(cls, args: Arguments) -> Self:
        """Read ``num_paragraphs``."""
        return cls(args.integer("num_paragraphs"))

    def check(self, response: str) -> bool:
        """Return whether ``response`` has exactly the required number of paragraphs."""
        pieces = _DIVIDER.split(response)
        count = len(pieces)
        for index, piece in enumerate(pieces):
            if not piece.strip():
                if 0 < index < len(pieces) - 1:
                    return False
                count -= 1
        return count == self.num_paragraphs


def _first_word(paragraph: str) -> str:
    # Leading quotes are dropped; the word ends at the first punctuation mark or quote.
    word = paragraph.split()[0].strip().lstrip("'").lstrip('"')
    letters: list[str] = []
    for char in word:
        if char in _WORD_END:
            break
        letters.append(char.lower())
    return "".join(letters)


@dataclass(frozen=True, slots=True)
class NthParagraphFirstWord:
    r"""``length_constraints:nth_paragraph_first_word``: N paragraphs, the k-th starts with a word.

    Paragraphs are separated by ``\n\n``; the count leaves out blank pieces. As in the official
    checker, the k-th paragraph is looked up among all pieces (blank ones included), and the
    word comparison ignores case.

    Examples:
        >>> NthParagraphFirstWord(2, 2, "then").check("First.\n\n\"Then, second.")
        True
    """

    num_paragraphs: int
    nth_paragraph: int
    first_word: str

    @classmethod
    def from_arguments(cls, args: Arguments) -> Self:
        """Read ``num_paragraphs``, ``nth_paragraph`` (1-based) and ``first_word``."""
        num = args.integer("num_paragraphs", minimum=1)
        nth = args.integer("nth_paragraph", minimum=1)
        if nth > num:
            raise DataError(f"IFEval {args.instruction_id!r}: nth_paragraph > num_paragraphs")
        return cls(num, nth, args.text("first_word"))

    def check(self, response: str) -> bool:
        """Return whether the paragraph count and the k-th paragraph's first word match."""
        pieces = _BLANK_LINE.split(response)
        count = sum(1 for piece in pieces if piece.strip())
        if self.nth_paragraph > count:
            return False
        paragraph = pieces[self.nth_paragraph - 1].strip()
        if not paragraph:
            return False
        return count == self.num_paragraphs and _first_word(paragraph) == self.first_word.lower()
