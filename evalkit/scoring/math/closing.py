r"""The answer a reply ends on without any marker: a concluding sentence or a final display.

:func:`closing_statement` is the last reading of the flexible metric
(:mod:`~evalkit.scoring.math.extract`). It takes the last sentence of a reply when that
sentence *concludes* (a cue such as "so", "thus", "therefore", "total", "which is", "we get",
"it follows", "the smallest", or the reply is that one sentence; a lone math line concludes
the sentence before it when that one ends with ":" or has a cue), and reads the value nearest
its end: after the last "is / are / equals / =" outside math, or its last math group.

- A trailing pleasantry ("Let me know if you have questions!") is skipped, and so is an
  explaining clause after the value ("…is $\frac16$, since 6 of the 36 outcomes work").
- A math group that qualifies the answer is not the answer: "$10$ of the $18$
  representatives", "2 values for $B$".
- "So 12 is the answer." names its value first.
- A reply ending in a display (``\[ … = 12 \]``, ``align*``) after a conclusion answers with
  the display's last side.

A sentence that stops mid-way ("First, the base is 6.", "…so the area is") states nothing.
Every window is bounded, so the work is linear in the reply.
"""

from __future__ import annotations

import re

from evalkit.scoring.math.sentences import (
    CUE,
    MATH_GROUP,
    SENTENCE_WINDOW,
    cue_value,
    group_text,
    hedged,
    last_sentence,
    math_run,
)

__all__ = ["closing_statement"]

DISPLAY_WINDOW = 3000
"""Characters at the end of a reply searched for a closing display (``align*`` can be long)."""

_CONCLUSION = re.compile(
    r"\b(?:so|thus|therefore|hence|consequently|then|total|altogether|overall|in all|"
    r"final(?:ly)?|result|answer|which is|that is|we get|we have|we find|gives|giving|comes to|"
    r"works out|follows|conclude|means|obtain|yields|simplifies|smallest|largest|least|"
    r"greatest|maximum|minimum|solutions?|roots?)\b",
    re.IGNORECASE,
)
_MODIFIER = re.compile(
    r"\b(?:of|of the|out of|from|among|than|with|for|in|per)[ \t]*$", re.IGNORECASE
)
_LINK_WORDS = frozenset(
    [
        "when",
        "if",
        "and",
        "or",
        "so",
        "which",
        "since",
        "because",
        "as",
        "for",
        "in",
        "on",
        "at",
        "to",
        "by",
        "with",
        "that",
        "then",
        "but",
    ]
)
_DISPLAY_END = re.compile(r"(?:\\\]|\$\$|\\end\{(?:align|equation|gather|eqnarray)\*?\})[ \t.]*$")
_PENDING = re.compile(
    # Planning, not concluding: "So we have 3 cases to consider.", "Next we need to find h."
    r"\b(?:to (?:consider|check|find|compute|calculate|evaluate|examine|determine|solve|count|"
    r"analy[sz]e)|next|let's|let us|we need to|we must|we will|we'll|we still)\b",
    re.IGNORECASE,
)
_PLEASANTRY = re.compile(
    r"(?:let me know|i hope|hope this|feel free|if you have|please|good luck|happy to|glad to)\b",
    re.IGNORECASE,
)
_EXPLAINING = re.compile(r",[ \t]*(?:since|because|as|given that|where|when)\b")
_NAMED_ANSWER = re.compile(
    r"(?:\$([^$]{1,200})\$|([-\d.,/]{1,40}))[ \t]+(?:is|are)[ \t]+(?:the|our)[ \t]+"
    r"(?:final[ \t]+)?answer"
)
_DISPLAY_OPENERS = {"\\]": "\\[", "$$": "$$"}


def _closing_sentence(reply: str) -> str:
    """The last sentence that is not a pleasantry ("Let me know if ...", "I hope it helps")."""
    text = reply[-SENTENCE_WINDOW * 2 :]
    for _ in range(3):
        sentence = last_sentence(text).strip()
        if not _PLEASANTRY.match(sentence):
            return sentence
        text = text[: text.rstrip(" \t\n.!").rfind(sentence)]
    return ""


def _last_group_run(sentence: str) -> tuple[str, int] | None:
    """The last math group of a sentence that is not a modifier, with the groups listed before it.

    ``… = 10$ of the $18$ representatives``: a group after "of the" followed by a noun
    qualifies the answer; it is not the answer.
    """
    groups = list(MATH_GROUP.finditer(sentence))
    while len(groups) > 1 and _is_modifier(sentence, groups[-1]):
        groups.pop()
    if not groups:
        return None
    start = groups[-1].start()
    while len(groups) > 1:
        run = math_run(sentence, groups[-2].start())
        if run is None or run[1] < groups[-1].end():
            break
        start = groups.pop(-2).start()
    run = math_run(sentence, start)
    return (run[0], start) if run is not None and run[0] else None


def _final_display(reply: str) -> str | None:
    r"""The result a reply ends on in a display (``\[…= 12\]``, ``align*``), after a conclusion.

    "This gives us \[(-1)^{611} + 1 = 12.\]" answers 12: the last line's last side.
    """
    tail = reply[-DISPLAY_WINDOW:].rstrip()
    end = _DISPLAY_END.search(tail)
    if end is None:
        return None
    closer = end.group().strip(" \t.")
    opener = _DISPLAY_OPENERS.get(closer, "\\begin{")
    start = tail.rfind(opener, 0, end.start())
    if start < 0:
        return None
    before = last_sentence(tail[:start]) if tail[:start].strip() else ""
    if _CONCLUSION.search(before) is None and not before.rstrip().endswith(":"):
        return None
    body = tail[start + len(opener) : end.start()]
    if opener.endswith("{"):  # an environment: its name, then rows; the last row counts
        rows = re.split(r"\\\\", body.split("}", 1)[-1])
        body = next((row for row in reversed(rows) if row.strip()), "").replace("&", " ")
    last = body.strip(" \t\n.,")
    # a = b = 12 (a worked chain) ends on its result; y = 2x + 3 keeps its label.
    chained = last.count("=") >= 2 or (opener.endswith("{") and "=" in last)
    return (last.rsplit("=", 1)[-1].strip(" \t\n.,") if chained else last) or None


def _concludes(reply: str, sentence: str) -> bool:
    """Whether the last sentence concludes: a cue in it, or a lone math line after one.

    "Factoring, we have: $99^2 + 99 + 1 = 9901$." concludes with its math line.
    """
    if _CONCLUSION.search(sentence) is not None or sentence.startswith("="):
        return True  # "= 42" on its own line is the result of the line before
    run = math_run(sentence)
    if run is None or run[1] < len(sentence.rstrip(" .")):
        return False
    before = reply[: reply.rfind(sentence)].rstrip()
    return before.endswith(":") or _CONCLUSION.search(last_sentence(before)) is not None


def _is_modifier(sentence: str, group: re.Match[str]) -> bool:
    """``of the $18$ representatives``, ``values for $B$``: a group that qualifies the answer."""
    before = sentence[max(0, group.start() - 12) : group.start()]
    if _MODIFIER.search(before) is None:
        return False
    if re.fullmatch(r"[A-Za-z](?:_\{?\w{1,3}\}?)?", group_text(group)):
        return True  # "for $B$": a variable named after the value
    noun = re.match(r"[A-Za-z]{2,}", sentence[group.end() :].strip(" .!"))
    return noun is not None and noun.group().lower() not in _LINK_WORDS


def closing_statement(reply: str) -> str | None:
    r"""The value a concluding last sentence states ("So the total is $42$.").

    The sentence must conclude (a cue such as "so", "thus", "total", "which is") unless it is
    the whole reply; a value stated mid-way ("First, the base is 6.") is not an answer. A
    trailing pleasantry ("Let me know if you have questions.") is skipped, and so is a clause
    that explains the answer after it ("…is $\frac16$, since there are 6 outcomes").
    """
    display = _final_display(reply)
    if display is not None:
        return display
    sentence = _closing_sentence(reply)
    if not sentence or sentence.endswith((":", ",")) or hedged(sentence):
        return None
    if _PENDING.search(sentence) is not None:
        return None
    single = len(reply.strip()) <= len(sentence) + 2
    if not single and not _concludes(reply, sentence):
        return None
    sentence = _main_clause(sentence)
    named = _NAMED_ANSWER.search(sentence)  # "So 12 is the answer."
    if named is not None:
        return (named.group(1) or named.group(2)).strip()
    # The value nearest the end: "The least is 29, so you had $29 \cdot 7 = 203$ coins."
    found = [f for f in (cue_value(sentence), _last_group_run(sentence)) if f is not None]
    return max(found, key=lambda value: value[1])[0] if found else None


def _main_clause(sentence: str) -> str:
    """``sentence`` without an explaining clause after its value (", since …", ", because …")."""
    clause = _EXPLAINING.search(sentence)
    if clause is None or CUE.search(sentence, 0, clause.start()) is None:
        return sentence
    return sentence[: clause.start()]
