r"""Answer forms compared as written rather than as numbers: choices, based numerals, prose.

Each function looks at a *gold* answer's form and, when it recognises it, returns the verdict
for a prediction; ``None`` means "not this form, compare mathematically".

- Multiple-choice letters: gold ``\text{(B)}``/``(B)``/``B`` equals a prediction that starts
  with that letter, bare or in parentheses (``B``, ``(B)``, ``\textbf{(B) } 12``).
- Numerals with a base subscript (``2516_8``): equal to the same digits in the same base, or
  the same digits with no subscript (read in the gold's base). The decimal value (``1358``)
  is not accepted: the question asked for base 8. A plain gold number never equals a based
  prediction unless its base is 10.
- Prose (``\text{Evelyn}``, ``\text{even}``): equal when the words match, ignoring case,
  ``\text{}`` wrappers and spacing; any gold written as one ``\text{…}`` (``\text{June 20}``,
  ``\text{4:30 p.m.}``) likewise, and a list of letters there is a set (``\text{B, E, G}``).
"""

from __future__ import annotations

import re

_TEXT_WRAPPER = re.compile(
    r"\\(?:text|textbf|textit|textrm|textnormal|mbox|mathrm|textsf)(?![a-zA-Z])\s*"
)
_GOLD_CHOICE = re.compile(r"\(([A-Z])\)|([A-E])")
_PRED_CHOICE = re.compile(r"\(?([A-Z])\)?(?=$|[\s:.,)])")
_OTHER_CHOICE = re.compile(r"\([A-Z]\)|(?<![A-Za-z\\])[A-E](?![A-Za-z])")
_BASED = re.compile(r"([0-9A-Z]+)_\{?(\d{1,2})\}?")
_PROSE = re.compile(r"[A-Za-z][A-Za-z' -]*[A-Za-z]")


def _plain(text: str) -> str:
    r"""``text`` without ``\text``-like commands and braces, whitespace collapsed."""
    stripped = _TEXT_WRAPPER.sub("", text).replace("{", "").replace("}", "")
    return " ".join(stripped.split())


def choice_verdict(gold: str, pred: str) -> bool | None:
    """Compare a multiple-choice gold letter; ``None`` when ``gold`` is not one."""
    gold_match = _GOLD_CHOICE.fullmatch(_plain(gold))
    if gold_match is None:
        return None
    letter = gold_match.group(1) or gold_match.group(2)
    pred_plain = _plain(pred)
    pred_match = _PRED_CHOICE.match(pred_plain)
    if pred_match is None or pred_match.group(1) != letter:
        return False
    # "(B) or (C)" and "B, E" name two choices: a hedge, not an answer.
    return _OTHER_CHOICE.search(pred_plain, pred_match.end()) is None


def _based(text: str) -> tuple[str, int] | None:
    match = _BASED.fullmatch(_plain(text).replace(" ", ""))
    if match is None:
        return None
    digits, base = match.group(1).lstrip("0") or "0", int(match.group(2))
    if not 2 <= base <= 36:
        return None
    try:
        int(digits, base)
    except ValueError:
        return None
    return digits, base


def based_verdict(gold: str, pred: str) -> bool | None:
    """Compare numerals written with a base subscript; ``None`` when neither has one."""
    gold_based, pred_based = _based(gold), _based(pred)
    pred_plain = _plain(pred).replace(" ", "")
    gold_plain = _plain(gold).replace(" ", "")
    if gold_based is not None:
        if pred_based is not None:
            return pred_based == gold_based
        return pred_plain.isalnum() and (pred_plain.lstrip("0") or "0") == gold_based[0]
    if pred_based is not None:
        digits, base = pred_based
        return base == 10 and gold_plain.isdigit() and (gold_plain.lstrip("0") or "0") == digits
    return None


def prose_verdict(gold: str, pred: str) -> bool | None:
    """Compare a prose gold answer (two or more letters, no math); ``None`` otherwise."""
    gold_words = _plain(gold)
    if "\\" in gold_words or not _PROSE.fullmatch(gold_words) or not _is_prose(gold):
        return None
    return _plain(pred).casefold() == gold_words.casefold()


_WHOLE_TEXT = re.compile(
    r"\\(?:text|textbf|textrm|textnormal|mbox|mathrm|textsf)\{([^{}]{1,200})\}"
)
_LETTER_LIST = re.compile(r"\(?[A-Z]\)?(?:,\(?[A-Z]\)?)+")


def _squeezed(text: str) -> str:
    return "".join(text.split()).rstrip(".").casefold()


def text_verdict(gold: str, pred: str) -> bool | None:
    r"""Compare a gold written as one ``\text{…}`` (``\text{June 20}``, ``\text{A,C,F}``).

    Equal when the words are, ignoring spaces, case and a final period; a list of letters
    (the statements that are true) is a set: ``\text{B, E, G}`` = ``E, B, G``.
    """
    whole = _WHOLE_TEXT.fullmatch(gold.strip())
    if whole is None:
        return None
    gold_text, pred_text = _squeezed(whole.group(1)), _squeezed(_plain(pred))
    if _LETTER_LIST.fullmatch(gold_text.upper()) and _LETTER_LIST.fullmatch(pred_text.upper()):
        return set(re.findall(r"[a-z]", gold_text)) == set(re.findall(r"[a-z]", pred_text))
    return gold_text == pred_text


def _is_prose(gold: str) -> bool:
    r"""Words are prose when written in ``\text{}`` or when one has three or more letters.

    ``ab`` or ``p - q`` in math mode is algebra; ``east``, ``Evelyn`` and ``\text{no}`` are
    words.
    """
    if _TEXT_WRAPPER.match(gold.strip()):
        return True
    return re.search(r"[A-Za-z]{3}", gold) is not None
