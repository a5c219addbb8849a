"""IFEval ``detectable_format:*`` and ``detectable_content:*`` instructions: visible markup.

Bullets, highlights, sections, JSON, titles, placeholders, postscripts and the fixed yes/no/maybe
answers, each recognised by the same patterns as the official checker.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Self

from evalkit.scoring.ifeval.arguments import Arguments

# The official patterns are bullets r"^\s*\*[^*].*$" and r"^\s*-.*$" (multiline), titles
# r"<<[^\n]+>>" and placeholders r"\[.*?\]". Backtracking, each costs O(n^2) on a long run of
# blank lines, "<<" or "[" that never closes (every start scans to the end of the run). The
# bullet forms below take a run of blanks once and count only the matches that hold a bullet;
# titles and placeholders are found line by line with str.find. Same spans, one pass.
_STAR_BULLET = re.compile(r"^\s*+(\*[^*].*$)?", flags=re.MULTILINE)
_DASH_BULLET = re.compile(r"^\s*+(-.*$)?", flags=re.MULTILINE)
_HIGHLIGHT = re.compile(r"\*[^\n*]*\*")
_BOLD = re.compile(r"\*\*[^\n*]*\*\*")
_CONSTRAINED_ANSWERS = ("My answer is yes.", "My answer is no.", "My answer is maybe.")
_JSON_FENCES = ("```json", "```Json", "```JSON", "```")


def titles(response: str) -> list[str]:
    r"""Return what the official ``re.findall(r"<<[^\n]+>>", response)`` returns, in one pass.

    On each line the span runs from the first ``<<`` to the last ``>>`` after it (the greedy
    ``+``), with at least one character between.

    >>> titles("<<A>> and <<B>>\n<<>> <<")
    ['<<A>> and <<B>>']
    """
    spans = []
    for line in response.split("\n"):
        start = line.find("<<")
        while start >= 0:
            end = line.rfind(">>", start + 3)
            if end < 0:
                break  # no later "<<" on this line can close either
            spans.append(line[start : end + 2])
            start = line.find("<<", end + 2)
    return spans


def count_placeholders(response: str) -> int:
    r"""Count what the official ``re.findall(r"\[.*?\]", response)`` finds, in one pass.

    >>> count_placeholders("[a] [[b] [c\n] []")
    3
    """
    count = 0
    for line in response.split("\n"):
        start = line.find("[")
        while start >= 0:
            end = line.find("]", start + 1)
            if end < 0:
                break
            count += 1
            start = line.find("[", end + 1)
    return count


@dataclass(frozen=True, slots=True)
class BulletLists:
    r"""``detectable_format:number_bullet_lists``: exactly N markdown bullets (``*`` or ``-``).

    Examples:
        >>> BulletLists(2).check("* one\n- two\n**bold** is not a bullet")
        True
    """

    num_bullets: int

    @classmethod
    def from_arguments(cls, args: Arguments) -> Self:
        """Read ``num_bullets``."""
        return cls(args.integer("num_bullets"))

    def check(self, response: str) -> bool:
        """Return whether ``response`` has exactly the required number of bullet lines."""
        bullets = (*_STAR_BULLET.finditer(response), *_DASH_BULLET.finditer(response))
        return sum(1 for m in bullets if m[1] is not None) == self.num_bullets


@dataclass(frozen=True, slots=True)
class ConstrainedResponse:
    """``detectable_format:constrained_response``: contains "My answer is yes./no./maybe.".

    Examples:
        >>> ConstrainedResponse().check("My answer is maybe.")
        True
    """

    @classmethod
    def from_arguments(cls, args: Arguments) -> Self:
        """Take no argument."""
        return cls()

    def check(self, response: str) -> bool:
        """Return whether one of the allowed answers occurs in ``response``."""
        return any(answer in response for answer in _CONSTRAINED_ANSWERS)


@dataclass(frozen=True, slots=True)
class HighlightedSections:
    """``detectable_format:number_highlighted_sections``: at least N ``*highlighted*`` spans.

    Non-blank ``*...*`` spans within a line count, and so do non-blank ``**...**`` spans (a bold
    span is thus counted by both patterns when its text is non-blank, as in the official code).

    Examples:
        >>> HighlightedSections(2).check("*one* and * * and *two*")
        True
    """

    num_highlights: int

    @classmethod
    def from_arguments(cls, args: Arguments) -> Self:
        """Read ``num_highlights``."""
        return cls(args.integer("num_highlights"))

    def check(self, response: str) -> bool:
        """Return whether ``response`` has at least the required number of highlights."""
        single = sum(1 for span in _HIGHLIGHT.findall(response) if span.strip("*").strip())
        double = sum(1 for span in _BOLD.findall(response) if span[2:-2].strip())
        return single + double >= self.num_highlights


@dataclass(frozen=True, slots=True)
class MultipleSections:
    r"""``detectable_format:multiple_sections``: at least N sections headed "<splitter> <number>".

    Examples:
        >>> MultipleSections("Section", 2).check("Section 1\nA\nSection 2\nB")
        True
    """

    splitter: str
    num_sections: int

    @classmethod
    def from_arguments(cls, args: Arguments) -> Self:
        """Read ``section_spliter`` (sic, the dataset's spelling) and ``num_sections``."""
        return cls(args.text("section_spliter"), args.integer("num_sections"))

    def check(self, response: str) -> bool:
        """Return whether ``response`` has at least the required number of section headers."""
        pattern = rf"\s?{re.escape(self.splitter)}\s?\d+\s?"
        return len(re.split(pattern, response)) - 1 >= self.num_sections


@dataclass(frozen=True, slots=True)
class JsonFormat:
    r"""``detectable_format:json_format``: the whole response is JSON, optionally fenced.

    Examples:
        >>> JsonFormat().check('```json\n{"a": 1}\n```'), JsonFormat().check("{a: 1}")
        (True, False)
    """

    @classmethod
    def from_arguments(cls, args: Arguments) -> Self:
        """Take no argument."""
        return cls()

    def check(self, response: str) -> bool:
        """Return whether ``response``, without a markdown code fence, parses as JSON."""
        text = response.strip()
        for fence in _JSON_FENCES:
            text = text.removeprefix(fence)
        text = text.removesuffix("```").strip()
        try:
            json.loads(text)
        except (ValueError, RecursionError):
            return False
        return True


@dataclass(frozen=True, slots=True)
class Title:
    r"""``detectable_format:title``: a non-blank title in double angular brackets.

    Examples:
        >>> Title().check("<<Ode to Joy>>\nText"), Title().check("<< >>")
        (True, False)
    """

    @classmethod
    def from_arguments(cls, args: Arguments) -> Self:
        """Take no argument."""
        return cls()

    def check(self, response: str) -> bool:
        """Return whether ``response`` has a ``<<title>>`` on one line with non-blank text."""
        return any(t.lstrip("<").rstrip(">").strip() for t in titles(response))


@dataclass(frozen=True, slots=True)
class Placeholders:
    """``detectable_content:number_placeholders``: at least N ``[placeholder]`` spans.

    Examples:
        >>> Placeholders(2).check("Dear [name], see you at [address].")
        True
    """

    num_placeholders: int

    @classmethod
    def from_arguments(cls, args: Arguments) -> Self:
        """Read ``num_placeholders``."""
        return cls(args.integer("num_placeholders"))

    def check(self, response: str) -> bool:
        """Return whether ``response`` has at least the required number of placeholders."""
        return count_placeholders(response) >= self.num_placeholders


@dataclass(frozen=True, slots=True)
class Postscript:
    r"""``detectable_content:postscript``: the response contains the postscript marker.

    The match ignores case and, as in the official pattern (which has no line anchor), the
    marker may stand anywhere; "P.S." and "P.P.S" also allow one space after each period.

    Examples:
        >>> Postscript("P.P.S").check("Bye.\np. p. s. One more thing.")
        True
    """

    marker: str

    @classmethod
    def from_arguments(cls, args: Arguments) -> Self:
        """Read ``postscript_marker``."""
        return cls(args.text("postscript_marker"))

    def _pattern(self) -> str:
        # The official patterns wrap these in r"\s*...(.*$)" (multiline): both ends match
        # anything, empty included, so they cannot change the verdict, only cost O(n^2).
        if self.marker == "P.P.S":
            return r"p\.\s?p\.\s?s"
        if self.marker == "P.S.":
            return r"p\.\s?s\."
        return re.escape(self.marker.lower())

    def check(self, response: str) -> bool:
        """Return whether the marker occurs in ``response``, matched as the official code does."""
        return bool(re.search(self._pattern(), response.lower()))
