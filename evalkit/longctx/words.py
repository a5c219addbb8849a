"""Seeded random material: keys, values, variable names, pseudo-words and haystack sentences.

Everything is generated here from word lists written for evalkit (no download, no third-party
text): a key is an adjective-noun pair (``quiet-harbor``), a value a 7-digit number, a word or a
UUID, a variable name five capital letters, and a common-words list is made of pronounceable
pseudo-words (``bakotu``) so that any number of distinct words can be drawn.
"""

from __future__ import annotations

import random
import uuid

_ADJECTIVE_TEXT = (
    "amber ancient bitter bold brave brisk calm clever cosmic crimson curious dusty eager "
    "electric elegant fancy fierce frozen gentle giant golden graceful hidden hollow humble "
    "icy jolly lazy little lively lucky marble merry mighty misty modest noble odd orange "
    "pale patient polite proud purple quick quiet rapid rare restless rough royal rusty "
    "scarlet shy silent silver simple sleepy slow smooth solar spicy steady stormy sturdy "
    "sunny swift tame tender tidy tiny vivid wandering warm wild windy wise witty young"
)
_NOUN_TEXT = (
    "anchor apple arrow badger banjo beacon beetle blossom bridge canyon castle cedar "
    "comet compass cottage crane crystal dolphin dragon eagle ember falcon feather fern "
    "fountain garden glacier harbor hazel heron island jasmine kettle kitten lantern "
    "lemon lighthouse maple meadow mirror mountain nectar needle oasis orchard otter "
    "panther pebble pepper pillow planet quartz rabbit raven ribbon river rocket saddle "
    "sailor salmon shadow spider sparrow summit thistle thunder tiger tulip valley "
    "velvet violin walnut whale willow window wizard zebra"
)
ADJECTIVES = tuple(_ADJECTIVE_TEXT.split())
NOUNS = tuple(_NOUN_TEXT.split())
_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"

NOISE = (
    "The grass is green.",
    "The sky is blue.",
    "The sun is yellow.",
    "Here we go.",
    "There and back again.",
)
"""RULER's noise haystack: these five sentences, repeated."""


def key(rng: random.Random) -> str:
    """An adjective-noun key such as ``quiet-harbor``."""
    return f"{rng.choice(ADJECTIVES)}-{rng.choice(NOUNS)}"


def distinct_keys(rng: random.Random, n: int, avoid: set[str] | None = None) -> list[str]:
    """``n`` different keys, none in ``avoid``."""
    seen = set(avoid or ())
    out: list[str] = []
    while len(out) < n:
        k = key(rng)
        if k not in seen:
            seen.add(k)
            out.append(k)
    return out


def value(rng: random.Random, kind: str) -> str:
    """A needle value: a 7-digit ``number``, a ``word`` or a ``uuid``."""
    if kind == "number":
        return str(rng.randint(1_000_000, 9_999_999))
    if kind == "word":
        return pseudo_word(rng, 3)
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def distinct_values(rng: random.Random, kind: str, n: int) -> list[str]:
    """``n`` different values of one kind."""
    out: list[str] = []
    while len(out) < n:
        v = value(rng, kind)
        if v not in out:
            out.append(v)
    return out


def variable(rng: random.Random) -> str:
    """A variable name of five capital letters (``QXRTA``)."""
    return "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(5))


def pseudo_word(rng: random.Random, syllables: int) -> str:
    """A pronounceable made-up word of consonant-vowel syllables (``bakotu``)."""
    return "".join(rng.choice(_CONSONANTS) + rng.choice(_VOWELS) for _ in range(syllables))


def distinct_words(rng: random.Random, n: int, avoid: set[str] | None = None) -> list[str]:
    """``n`` different pseudo-words of three syllables, none in ``avoid``."""
    seen = set(avoid or ())
    out: list[str] = []
    while len(out) < n:
        w = pseudo_word(rng, 3)
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out
