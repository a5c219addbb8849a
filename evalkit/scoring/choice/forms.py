"""Reply forms a multiple-choice answer comes in besides plain prose.

This module owns three of them, each a pure function of the reply text:

* JSON: ``{"answer": "B"}``, ``{"reasoning": "...A is wrong...", "答案": "B"}``, fenced or not.
  The value of the answer key is the answer, whatever the reasoning names.
* Ordinals: "the third choice", "the last option", "第三个", "选项三", "第二项" name labels by
  position; :func:`ordinals_to_labels` writes them as the labels themselves.
* Self-corrections: "Wait, actually ...", "on second thought", "Correction:", "不对，", "等等":
  :func:`last_correction` says where the last one ends, so that the answer after it can win.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

__all__ = ["json_answer", "last_correction", "ordinals_to_labels"]

_JSON_MAX = 20_000  # a reply longer than this is prose that may quote JSON, not a JSON reply
_FENCE = re.compile(r"\A\s*```[A-Za-z]*[ \t]*\n(.*?)\n?```\s*\Z", re.DOTALL)
_ANSWER_KEYS = (
    "answer", "final_answer", "correct_answer", "answer_choice", "answer_letter", "choice",
    "selected_option", "option", "letter", "final", "答案", "最终答案", "正确答案", "选项", "答",
)  # fmt: skip
_KEY_SPACE = re.compile(r"[\s_-]+")
_ANSWER_WORD = re.compile(r"answer|choice|option|select|pick|letter|答案|选项|选择|答")
_REASON_WORD = re.compile(
    r"reason|explan|analy|thought|think|step|confiden|why|解析|分析|理由|思路"
)


def _parse_object(text: str) -> dict[str, object] | None:
    """The JSON object the whole reply is (maybe fenced), or ``None``."""
    body = text.strip()
    if len(body) > _JSON_MAX or not body:
        return None
    fenced = _FENCE.match(body)
    body = fenced[1].strip() if fenced else body
    if not (body.startswith("{") and body.endswith("}")):
        return None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def json_answer(text: str) -> tuple[str, ...] | None:
    r"""The answer values of a reply that is one JSON object, or ``None`` if it is not one.

    An empty tuple means a JSON reply without an answer key (its text is read as prose).

    >>> json_answer('{"reasoning": "A is wrong", "answer": "B"}')
    ('B',)
    >>> json_answer('```json\n{"答案": ["A", "C"]}\n```')
    ('A', 'C')
    >>> json_answer("The answer is B.") is None
    True
    """
    data = _parse_object(text)
    if data is None:
        return None
    return _answer_values(data, depth=0)


def _answer_values(data: dict[str, object], depth: int) -> tuple[str, ...]:
    """The answer key's values, or ``()`` without one.

    A known key wins, else the last key naming an answer, else the same one level down
    (``{"response": {"answer": "C"}}``).
    """
    keys = {_KEY_SPACE.sub("_", str(k).strip().casefold()): v for k, v in data.items()}
    named = [k for k in keys if _ANSWER_WORD.search(k) and not _REASON_WORD.search(k)]
    for key in [k for k in _ANSWER_KEYS if k in keys] + named[::-1]:
        value = keys[key]
        if isinstance(value, str | int) and not isinstance(value, bool):
            return (str(value),)
        if isinstance(value, list) and value and all(isinstance(v, str | int) for v in value):
            return tuple(str(v) for v in value)
    for value in keys.values():
        if depth == 0 and isinstance(value, dict):
            found = _answer_values(value, depth + 1)
            if found:
                return found
    return ()


_EN_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
                "ninth", "tenth")  # fmt: skip
_ZH_NUMERALS = "一二三四五六七八九十"
_EN_ORDINAL = re.compile(
    rf"\b(?:the[ \t]+)?(?P<n>{'|'.join(_EN_ORDINALS)}|last)[ \t]+"
    r"(?:(?:answer[ \t]+)?(?:option|choice|alternative|answer)s?|one)\b"
    r"|\b(?:the[ \t]+)?(?P<nd>10|[1-9])(?:st|nd|rd|th)[ \t]+"
    r"(?:option|choice|alternative|answer|one)s?\b"
    r"|\b(?:option|choice)[ \t]+(?:number[ \t]+|no\.[ \t]*|#[ \t]*)?(?P<d>10|[1-9])\b",
    re.IGNORECASE,
)
# "第三个" names an option only where an answer ends or is judged: "热力学第一定律" (the first
# law of thermodynamics), "第一个人" (the first person) and "第一，" (firstly) name none.
_ZH_ORDINAL = re.compile(
    rf"第(?P<n>[{_ZH_NUMERALS}])(?:(?:个|项|条)(?:选项|答案)?|选项|答案)"
    r"(?=选项|答案|正确|对|是|[。，,.!！;；:：\s)）]|$)"
    rf"|选项(?P<m>[{_ZH_NUMERALS}])(?![个项条{_ZH_NUMERALS}])"
)


def _label_at(labels: Sequence[str], position: int) -> str | None:
    return labels[position] if 0 <= position < len(labels) else None


def ordinals_to_labels(text: str, labels: Sequence[str]) -> str:
    """Write options named by position as their labels ("the third choice" -> "option C").

    Numbered options ("option 3") are read as positions only when the labels are not digits.

    >>> ordinals_to_labels("The answer is the third choice.", "ABCD")
    'The answer is option C.'
    >>> ordinals_to_labels("故选第二项。", "ABCD")
    '故选B。'
    """

    def english(m: re.Match[str]) -> str:
        if m["nd"] is not None:
            label = _label_at(labels, int(m["nd"]) - 1)
        elif m["d"] is not None:
            digits = any(x.isdigit() for x in labels)
            label = None if digits else _label_at(labels, int(m["d"]) - 1)
        elif m["n"].lower() == "last":
            label = labels[-1]
        else:
            label = _label_at(labels, _EN_ORDINALS.index(m["n"].lower()))
        return f"option {label}" if label else m[0]

    def chinese(m: re.Match[str]) -> str:
        label = _label_at(labels, _ZH_NUMERALS.index(m["n"] or m["m"]))
        return label or m[0]

    return _ZH_ORDINAL.sub(chinese, _EN_ORDINAL.sub(english, text))


_CORRECTION = re.compile(
    r"(?i:\b(?:wait|actually|hmm+|oops|on[ \t]+second[ \t]+thought|scratch[ \t]+that|"
    r"correction|i[ \t]+made[ \t]+a[ \t]+mistake|no)\b[ \t]*[,.:;!—–-]+)"
    r"|(?i:\bcorrection\b|\bactually\b)"
    r"|不对[，,。:：]?|等等[，,。:：]?|更正[:：]?|纠正[:：]?|修正[:：]?|再想想[，,。]?"
)


def last_correction(text: str) -> int:
    """Where the last self-correction cue ends in ``text``, or -1.

    >>> text = "The answer is A. Wait, actually it's B."
    >>> text[last_correction(text):]
    " it's B."
    """
    end = -1
    for m in _CORRECTION.finditer(text):
        end = m.end()
    return end
