"""IFEval ``startend:*``, ``combination:*`` and ``punctuation:*`` instructions: overall shape.

How it starts (repeating the prompt) and ends (a fixed phrase, a closing quotation mark), whether
it holds two answers, and whether it avoids commas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from evalkit.scoring.ifeval.arguments import Arguments

_RESPONSE_DIVIDER = "******"


@dataclass(frozen=True, slots=True)
class EndPhrase:
    r"""``startend:end_checker``: the response ends with the phrase, ignoring case.

    Surrounding whitespace and double quotes around the response are ignored.

    Examples:
        >>> EndPhrase("Any other questions?").check('"Done. any other questions?"\n')
        True
    """

    phrase: str

    @classmethod
    def from_arguments(cls, args: Arguments) -> Self:
        """Read ``end_phrase``."""
        return cls(args.text("end_phrase"))

    def check(self, response: str) -> bool:
        """Return whether ``response`` ends with the phrase."""
        return response.strip().strip('"').lower().endswith(self.phrase.lower())


@dataclass(frozen=True, slots=True)
class Quotation:
    """``startend:quotation``: the whole response is wrapped in double quotation marks.

    Examples:
        >>> Quotation().check(' "Hello." '), Quotation().check('"')
        (True, False)
    """

    @classmethod
    def from_arguments(cls, args: Arguments) -> Self:
        """Take no argument."""
        return cls()

    def check(self, response: str) -> bool:
        """Return whether the stripped response starts and ends with ``"``."""
        text = response.strip()
        return len(text) > 1 and text[0] == '"' and text[-1] == '"'


@dataclass(frozen=True, slots=True)
class TwoResponses:
    r"""``combination:two_responses``: two different answers separated by ``******``.

    Blank text may stand before the first or after the last divider, not between dividers.

    Examples:
        >>> TwoResponses().check("Yes.\n******\nNo."), TwoResponses().check("A\n******\nA")
        (True, False)
    """

    @classmethod
    def from_arguments(cls, args: Arguments) -> Self:
        """Take no argument."""
        return cls()

    def check(self, response: str) -> bool:
        """Return whether ``response`` holds exactly two different non-blank answers."""
        pieces = response.split(_RESPONSE_DIVIDER)
        answers: list[str] = []
        for index, piece in enumerate(pieces):
            if piece.strip():
                answers.append(piece.strip())
            elif 0 < index < len(pieces) - 1:
                return False
        return len(answers) == 2 and answers[0] != answers[1]


@dataclass(frozen=True, slots=True)
class RepeatPrompt:
    """``combination:repeat_prompt``: the response starts by repeating the request verbatim.

    The comparison ignores case and surrounding whitespace.

    Examples:
        >>> RepeatPrompt("Say hi.").check("say hi. Hi!")
        True
    """

    prompt_to_repeat: str

    @classmethod
    def from_arguments(cls, args: Arguments) -> Self:
        """Read ``prompt_to_repeat``."""
        return cls(args.text("prompt_to_repeat"))

    def check(self, response: str) -> bool:
        """Return whether ``response`` starts with the request to repeat."""
        return response.strip().lower().startswith(self.prompt_to_repeat.strip().lower())


@dataclass(frozen=True, slots=True)
class NoComma:
    """``punctuation:no_comma``: the response contains no ASCII comma.

    Examples:
        >>> NoComma().check("Fine. Thanks."), NoComma().check("Yes, thanks.")
        (True, False)
    """

    @classmethod
    def from_arguments(cls, args: Arguments) -> Self:
        """Take no argument."""
        return cls()

    def check(self, response: str) -> bool:
        """Return whether ``response`` has no ``,``."""
        return "," not in response
