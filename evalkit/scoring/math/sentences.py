r"""Reading the value a sentence states: "…, which is 1,250.5 metres." → ``1,250.5``.

The extraction (:mod:`~evalkit.scoring.math.extract`) finds *where* an answer is declared; this
module reads *what* is declared there, and finds answers stated without any marker:

- :func:`read_value` reads the text after a marker or inside a box: math first (``$…$``,
  ``\(…\)``, ``\[…\]``, ``**…**``; a run of math groups joined by ``,``/``and``/``or`` is one
  list), else a line that is all math in plain text (``x = 5``, ``sqrt(2)/2``), else the value
  after the last "is / are / equals / =" in a sentence ("The area is 12 square units" → ``12``),
  else the sentence itself (prose answers such as ``Evelyn``).
- :func:`bare_answer`: a reply that is only the answer (``5``, ``$x = 5$``, ``\[ [2, 3) \]``,
  ``{1, 2}``, ``forty-two``).
- :func:`closing_statement`: the last sentence of a reply, when it concludes ("so", "thus",
  "therefore", "total", "which is", …, or the reply is that one sentence) and states a value.
- :func:`hedged`: a sentence that doubts its answer ("maybe", "perhaps", "possibly") commits to
  nothing; an undeclared one must not qualify it either ("either", "I think", "at least").

Windows are bounded (:data:`SENTENCE_WINDOW`) and every pattern is free of nested quantifiers,
so the work is linear in the reply.
"""

from __future__ import annotations

import re

from evalkit.scoring.math.words import NUMBER_WORDS, words_to_number

SENTENCE_WINDOW = 600
"""Characters at the end of a reply (or after a marker) that are read as its last sentence."""

BARE_LIMIT = 400
"""Longest reply read as being only the answer."""

MATH_GROUP = re.compile(  # one math group: $…$, $$…$$, \(…\), \[…\] or **…**
    # ``\$`` inside math is a dollar sign, not a delimiter: $\$36$ is one group.
    r"\$\$((?:[^$\\]|\\.){1,500})\$\$|(?<!\\)\$((?:[^$\\]|\\.){1,500})\$"
    r"|\\\((.{1,500}?)\\\)|\\\[(.{1,500}?)\\\]"
    r"|\*\*\$?([^*$\n]{1,200})\$?\*\*",
    re.DOTALL,
)
_LIST_GAP = re.compile(
    r"[ \t]{0,3}(?:,|;|\\quad|\\qquad)?[ \t]{0,3}"
    r"(?:(?:and|or|&|\\text\{ ?(?:and|or) ?\})[ \t]{0,3})?"
    r"(?:[A-Za-z](?:_\d)?[ \t]{0,2}=[ \t]{0,2})?"
)
# Every pattern below guards its words on both sides, so the order of the alternatives is moot.
_NUMBER_WORDS = "|".join(sorted(NUMBER_WORDS, key=lambda w: (-len(w), w)))
_MATH_WORDS = (
    r"sqrt|cbrt|pi|infinity|inf|oo|sin|cos|tan|cot|sec|csc|ln|log|exp|U|or|and|percent|"
    r"per cent|pct|degrees|degree"
)
_PLAIN = re.compile(
    # Environments and text groups first: at a backslash the first alternative that fits wins.
    r"(?:\\(?:begin|end)\{[A-Za-z]{1,12}\*?\}|\\text ?\{[^{}$]{0,60}\}"
    r"|(?<=\d)[a-z]{1,3}(?![A-Za-z])"  # variables glued to a coefficient: 3qr, 2xy
    r"|[-+*/^_=<>!|()\[\]{}\\\d.,;:%'√π∞±°\u2212∈∪∩≤≥≠×÷·⋅ℝ∅²³½¼¾⅓⅔& \t]|\\?\$ ?(?=\d)"
    r"|(?<![A-Za-z])(?i:" + _NUMBER_WORDS + "|" + _MATH_WORDS + r")(?![A-Za-z])"
    r"|(?<![A-Za-z])[A-Za-z](?![A-Za-z])|(?<=\\)[A-Za-z]+"
    r"|(?<![A-Za-z])in(?= ?[(\[{\\])|(?i:all real numbers|the real numbers|all reals))+"
)
_MATHY = re.compile(
    r"[\d\\√π∞]|\b(?:sqrt|pi|inf|infinity|oo|reals?)\b|(?<![A-Za-z])[A-Za-z](?![A-Za-z])",
    re.IGNORECASE,
)
_NUMBER_TOKEN = re.compile(
    r"-?\d+(?:[.,]\d+)*|(?<![A-Za-z])(?i:"
    + _NUMBER_WORDS
    + r")(?:[ -](?i:"
    + _NUMBER_WORDS
    + r"))*"
    r"(?![A-Za-z])"
)
_NUMBER_WORD = re.compile(r"\b(?:" + _NUMBER_WORDS + r")\b", re.IGNORECASE)
CUE = re.compile(  # words that introduce a value
    r"\b(?:is|are|was|were|equals?|equal to|be|becomes|gives|giving|get|gets|obtain|yields|"
    r"comes to|works out to|total of|sum of|has|have|had|needs|takes|costs|makes|made|weighs|"
    # the colon of 1:03 or of a 1:2 ratio introduces nothing
    r"measures|holds|contains|so|thus|hence|therefore)\b|=|:(?!\d)",
    re.IGNORECASE,
)
_DOUBT = re.compile(
    r"\b(?:maybe|perhaps|possibly|probably|not sure|unsure|uncertain|i guess|can't tell|"
    r"cannot tell|cannot be determined)\b",
    re.IGNORECASE,
)
_QUALIFIED = re.compile(
    r"\b(?:either(?! way)|i think|i believe|might be|could be|or so|or more|or less|or fewer|"
    r"at least|at most)\b",
    re.IGNORECASE,
)
_ALTERNATIVE = re.compile(
    r"[\s$).,;*]{0,6}(?:\(|,)?[ \t]{0,3}(?:or|alternatively)\b", re.IGNORECASE
)
_SENTENCE_END = re.compile(
    # Not a decimal point, nor LaTeX's \! or \. spacing inside math.
    r"(?<![\d\\])[.!?](?=[ \t]|\n|$)|(?<!\\)[.!?](?=[ \t]+[A-Z])|\n[ \t]*\n|\n"
)
_WORD = re.compile(r"[A-Za-z]{2,}")


def group_text(match: re.Match[str]) -> str:
    """The math inside a :data:`MATH_GROUP` match."""
    return next(group for group in match.groups() if group is not None).strip()


def math_run(text: str, start: int = 0) -> tuple[str, int] | None:
    """The math group at ``text[start]`` and any joined to it as a list, with the end index.

    ``$-2$ and $1$`` gives ``"-2, 1"``: the groups of one answer split by ``,``/``and``/``or``.
    """
    match = MATH_GROUP.match(text, start)
    if match is None:
        return None
    parts, end = [group_text(match)], match.end()
    for _ in range(20):
        gap = _LIST_GAP.match(text, end)
        following = (
            MATH_GROUP.match(text, gap.end()) if gap is not None and gap.end() > end else None
        )
        if following is None:
            break
        parts.append(group_text(following))
        end = following.end()
    return ", ".join(part for part in parts if part), end


def _plain_value(text: str) -> str | None:
    """A value written in plain text at the start of ``text`` (``1,250.5`` of "1,250.5 m")."""
    match = _PLAIN.match(text)
    if match is None:
        return None
    value = match.group().strip().rstrip(".,;:*([{ ").strip()
    while value.count("(") + value.count("[") > value.count(")") + value.count("]"):
        value = value[: max(value.rfind("("), value.rfind("["))].rstrip(" ,")  # "12 (a dozen)"
    value = re.sub(r"(?:\s+(?:and|or))+$", "", value)
    if value in ("a", "A", "I"):
        return None  # an article or a pronoun, not a variable
    if not value or not (_MATHY.search(value) or _NUMBER_WORD.search(value)):
        return None
    return value


def _sole_number(sentence: str) -> str | None:
    """The one number of a sentence ("Rick can choose from exactly six numbers" → ``six``)."""
    found = {match.group().strip() for match in _NUMBER_TOKEN.finditer(sentence[:SENTENCE_WINDOW])}
    return found.pop() if len(found) == 1 else None


def _sentence(text: str) -> str:
    """``text`` up to its first sentence end (a period not inside a number)."""
    end = _SENTENCE_END.search(text)
    return text[: end.start()] if end else text


def cue_value(sentence: str) -> tuple[str, int] | None:
    """The value after the last cue ("is", "equals") of ``sentence`` that has one, and where."""
    inside = [group.span() for group in MATH_GROUP.finditer(sentence)]
    cues = [cue for cue in CUE.finditer(sentence) if not _within(cue.start(), inside)]
    for cue in reversed(cues[-10:]):
        rest = sentence[cue.end() :].lstrip(" \t,")
        run = math_run(rest)
        value = run[0] if run is not None else _plain_value(rest)
        if value:
            return value, len(sentence) - len(rest)
    return None


def _after_cue(sentence: str) -> str | None:
    """The value after the last cue ("is", "equals", "=") of ``sentence`` that has one."""
    found = cue_value(sentence)
    return found[0] if found else None


def _within(index: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= index < end for start, end in spans)


def read_value(text: str) -> str | None:
    r"""Read the value declared at the start of ``text`` (after a marker, or a box's content).

    >>> read_value("$\\frac12$. I hope it is correct.")
    '\\frac12'
    >>> read_value("The area of the garden is 1,250.5 square metres.")
    '1,250.5'
    >>> read_value("x = 5"), read_value("Evelyn.")
    ('x = 5', 'Evelyn')
    """
    text = text[:SENTENCE_WINDOW].lstrip()
    run = math_run(text)
    if run is not None:
        return run[0] or None
    sentence = _sentence(text).strip()
    whole = _PLAIN.fullmatch(sentence)
    if whole is not None and _plain_value(sentence) is not None:
        return _plain_value(sentence)
    stated = _after_cue(sentence) or _plain_value(sentence)
    if not stated and len(sentence.split()) > 4:  # "June 20" is a prose answer, not 20
        stated = _sole_number(sentence)
    if stated:
        return stated
    cues = list(CUE.finditer(sentence))
    words = sentence[cues[-1].end() :] if cues else sentence
    # Prose answers ("Evelyn", "is Evelyn"): a few words, not a sentence of working.
    words = words.strip(" *")
    return words if 0 < len(words.split()) <= (3 if cues else 4) else None


def is_sentence(text: str) -> bool:
    r"""Whether a box holds a sentence rather than math (``\text{The answer is } 5``)."""
    plain = re.sub(r"\\(?:text|textbf|mathrm|mbox)\{", " ", text)
    return len(_WORD.findall(plain[:SENTENCE_WINDOW])) >= 3 and CUE.search(plain) is not None


def bare_answer(reply: str) -> str | None:
    """The whole reply, when it is only an answer (short, math or a number, one statement)."""
    text = reply.strip()
    if not text or len(text) > BARE_LIMIT:
        return None
    run = math_run(text)
    if run is not None and not text[run[1] :].strip(" \t\n.*"):
        return run[0]
    if "\n\n" in text:
        return None
    line = text.rstrip(" .")
    value = _plain_value(line) if _PLAIN.fullmatch(line) is not None else None
    if value is not None:
        return value  # "5", "x = 5", "sqrt(2)/2"
    if len(line.split()) <= 3 and "\n" not in line and re.search(r"[\d\\]", line):
        stated = _after_cue(line)  # "Result: 12", "It equals 10."
        return stated or line  # "12 square units", "1:03 PM", "$ 10": the checker reads the rest
    if re.fullmatch(r"[A-Za-z]{1,20}", line) or words_to_number(line) is not None:
        return line  # a one-word answer (Evelyn, odd) or a number in words
    return None


def plain_answer(line: str) -> str | None:
    """``line`` when it is all math (a math group, or plain-text math such as ``x = 5``)."""
    line = line.strip().rstrip(" .")
    run = math_run(line)
    if run is not None and not line[run[1] :].strip(" \t.*"):
        return run[0]
    return _plain_value(line) if _PLAIN.fullmatch(line) is not None else None


def last_sentence(text: str) -> str:
    """The last sentence of ``text`` (only its tail is read)."""
    tail = text[-SENTENCE_WINDOW:].rstrip(" \t\n")
    if tail.endswith((".", "!")):
        tail = tail[:-1]
    ends = list(_SENTENCE_END.finditer(tail))
    return tail[ends[-1].end() :] if ends else tail


def hedged(sentence: str, declared: bool = False) -> bool:
    r"""Whether a sentence doubts its answer ("maybe", "perhaps", "possibly", "not sure").

    A sentence that states an answer without declaring it must also not qualify it ("either",
    "I think", "could be", "at least", "or more"); a declared answer may ("Rick could be
    thinking of $\boxed{4}$ numbers", "at most $\boxed{2}$ pencils" state their answers).
    """
    window = sentence[:SENTENCE_WINDOW]
    if _DOUBT.search(window) is not None:
        return True
    return not declared and _QUALIFIED.search(window) is not None


def alternative(text: str, end: int) -> str | None:
    r"""The value offered after an answer ending at ``end`` with "or …", else ``None``.

    "$\frac12$ (or equivalently $0.5$)" offers ``0.5``; "$5$, or $6$" offers ``6``. The caller
    lists both: a restatement of the same value is one answer, two values are a hedge. An "or"
    followed by something unreadable offers ``"?"``, which no gold equals.
    """
    window = text[end : end + 120]
    found = _ALTERNATIVE.match(window)
    if found is None:
        return None
    sentence = _sentence(window[found.end() :])
    group, number = MATH_GROUP.search(sentence), _NUMBER_TOKEN.search(sentence)
    if group is None and number is None:
        return None  # "…, or in other words the area": no second value
    if group is not None and (number is None or group.start() <= number.start()):
        return group_text(group)
    return number.group() if number is not None else "?"
