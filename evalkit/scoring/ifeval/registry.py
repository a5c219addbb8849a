"""The 25 IFEval instruction types and how each is built from a dataset row's arguments.

Instruction ids are those of the dataset (``"<group>:<name>"``). Each maps to a checker class
whose ``from_arguments`` reads its kwargs and whose ``check(response)`` says whether a response
follows it. Checkers are immutable and pure; building one validates its arguments.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from evalkit.errors import DataError
from evalkit.scoring.ifeval import (
    instructions_case,
    instructions_format,
    instructions_keywords,
    instructions_length,
    instructions_shape,
)
from evalkit.scoring.ifeval.arguments import Arguments


class Instruction(Protocol):
    """A verifiable instruction with its arguments bound."""

    def check(self, response: str) -> bool:
        """Return whether ``response`` follows the instruction."""
        ...


InstructionFactory = Callable[[Arguments], Instruction]
"""Builds a checker from an instruction's arguments (raises :class:`DataError` if invalid)."""

INSTRUCTIONS: Mapping[str, InstructionFactory] = {
    "keywords:existence": instructions_keywords.KeywordsExistence.from_arguments,
    "keywords:frequency": instructions_keywords.KeywordFrequency.from_arguments,
    "keywords:forbidden_words": instructions_keywords.ForbiddenWords.from_arguments,
    "keywords:letter_frequency": instructions_keywords.LetterFrequency.from_arguments,
    "language:response_language": instructions_case.ResponseLanguage.from_arguments,
    "length_constraints:number_sentences": instructions_length.NumberOfSentences.from_arguments,
    "length_constraints:number_paragraphs": instructions_length.NumberOfParagraphs.from_arguments,
    "length_constraints:number_words": instructions_length.NumberOfWords.from_arguments,
    "length_constraints:nth_paragraph_first_word": (
        instructions_length.NthParagraphFirstWord.from_arguments
    ),
    "detectable_content:number_placeholders": instructions_format.Placeholders.from_arguments,
    "detectable_content:postscript": instructions_format.Postscript.from_arguments,
    "detectable_format:number_bullet_lists": instructions_format.BulletLists.from_arguments,
    "detectable_format:constrained_response": (
        instructions_format.ConstrainedResponse.from_arguments
    ),
    "detectable_format:number_highlighted_sections": (
        instructions_format.HighlightedSections.from_arguments
    ),
    "detectable_format:multiple_sections": instructions_format.MultipleSections.from_arguments,
    "detectable_format:json_format": instructions_format.JsonFormat.from_arguments,
    "detectable_format:title": instructions_format.Title.from_arguments,
    "combination:two_responses": instructions_shape.TwoResponses.from_arguments,
    "combination:repeat_prompt": instructions_shape.RepeatPrompt.from_arguments,
    "startend:end_checker": instructions_shape.EndPhrase.from_arguments,
    "startend:quotation": instructions_shape.Quotation.from_arguments,
    "change_case:capital_word_frequency": instructions_case.CapitalWordFrequency.from_arguments,
    "change_case:english_capital": instructions_case.EnglishCapital.from_arguments,
    "change_case:english_lowercase": instructions_case.EnglishLowercase.from_arguments,
    "punctuation:no_comma": instructions_shape.NoComma.from_arguments,
}
"""Every instruction type of IFEval, by its dataset id."""


def build_instruction(
    instruction_id: str, kwargs: Mapping[str, Any] | None, prompt: str = ""
) -> Instruction:
    """Return the checker for ``instruction_id`` with ``kwargs`` bound.

    Args:
        instruction_id: A dataset instruction id such as ``"punctuation:no_comma"``.
        kwargs: The instruction's arguments from the dataset row (``None`` values are absent).
        prompt: The sample's prompt.

    Raises:
        DataError: The id is unknown, or an argument is missing or malformed.

    Examples:
        >>> build_instruction("punctuation:no_comma", {}).check("No commas here.")
        True
    """
    factory = INSTRUCTIONS.get(instruction_id)
    if factory is None:
        close = difflib.get_close_matches(instruction_id, list(INSTRUCTIONS), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise DataError(f"unknown IFEval instruction {instruction_id!r}{hint}")
    values = {key: value for key, value in (kwargs or {}).items() if value is not None}
    return factory(Arguments(instruction_id, values, prompt))
