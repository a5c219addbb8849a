"""The one-pass IFEval markup finders give exactly what the official backtracking patterns give.

The official patterns are the specification; they are run here on every short string over an
alphabet of the characters that matter (so every way of nesting, closing and crossing lines is
tried), where their O(n^2) worst case costs nothing.
"""

from __future__ import annotations

import itertools
import random
import re

import pytest

from evalkit.scoring.ifeval.instructions_format import (
    BulletLists,
    Postscript,
    count_placeholders,
    titles,
)

OFFICIAL_STAR = re.compile(r"^\s*\*[^*].*$", flags=re.MULTILINE)
OFFICIAL_DASH = re.compile(r"^\s*-.*$", flags=re.MULTILINE)
OFFICIAL_TITLE = re.compile(r"<<[^\n]+>>")
OFFICIAL_PLACEHOLDER = re.compile(r"\[.*?\]")


def strings(alphabet: str, longest: int) -> list[str]:
    """Every string over ``alphabet`` up to ``longest`` characters."""
    return [
        "".join(chars)
        for size in range(longest + 1)
        for chars in itertools.product(alphabet, repeat=size)
    ]


def official_bullets(text: str) -> int:
    return len(OFFICIAL_STAR.findall(text)) + len(OFFICIAL_DASH.findall(text))


@pytest.mark.parametrize("alphabet", ["*- \na", "*-\n\t\u3000x", "* \n\r-"])
def test_bullet_count_matches_the_official_patterns(alphabet: str) -> None:
    for text in strings(alphabet, 6):
        count = official_bullets(text)
        assert BulletLists(count).check(text), repr(text)
        assert not BulletLists(count + 1).check(text), repr(text)


@pytest.mark.parametrize("alphabet", ["<> a\n", "<>\n\t"])
def test_titles_match_the_official_pattern(alphabet: str) -> None:
    for text in strings(alphabet, 7):
        assert titles(text) == OFFICIAL_TITLE.findall(text), repr(text)


@pytest.mark.parametrize("alphabet", ["[]a\n", "[] \n"])
def test_placeholders_match_the_official_pattern(alphabet: str) -> None:
    for text in strings(alphabet, 7):
        assert count_placeholders(text) == len(OFFICIAL_PLACEHOLDER.findall(text)), repr(text)


@pytest.mark.parametrize(
    ("marker", "official"),
    [
        ("P.S.", r"\s*p\.\s?s\..*$"),
        ("P.P.S", r"\s*p\.\s?p\.\s?s.*$"),
        ("Note:", r"\s*note:.*$"),
    ],
)
def test_postscript_matches_the_official_pattern(marker: str, official: str) -> None:
    rng = random.Random(12)
    alphabet = ["p", "P", ".", " ", "s", "S", "\n", "note", ":", "x"]
    for _ in range(4000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(12)))
        expected = bool(re.search(official, text.lower(), flags=re.MULTILINE))
        assert Postscript(marker).check(text) == expected, repr(text)
