"""The vocabulary of multiple-choice answers: cue phrases and label regexes, per label set.

What English and Chinese responses say when they commit to an option ("the answer is", "答案是",
"故选", "B is correct", "B选项正确"), what rejects one ("A is wrong", "A项错误"), and how labels are
joined ("A or C", "A、C", "AC"). :func:`label_patterns` compiles them once per label set;
:mod:`evalkit.scoring.choice.scorer` reads responses with them, after :func:`clean_response` has
dropped markup and a base model's run-on into the next question (:func:`run_on_start`) from the
reply (reasoning already dropped by :func:`evalkit.scoring.response.reply_text`). Every pattern
avoids nested unbounded repetition, and :func:`clean_response` collapses whitespace runs first,
so each scan is linear in the response length.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

# Telling a label from a word.
# Closed-class words cannot follow the article "a": "answer is A because" names a letter, "A good
# answer is C" does not. "I" is stricter, since "I think" is the pronoun.
_AFTER_ARTICLE = frozenset(
    re.findall(
        r"\w+",
        "because since as and or but so is are was were which that who with for from in on at by"
        " of to if when while though although however given based according due here there this"
        " these it its the not only also then thus hence therefore would should could must can may"
        " might will does did has have had being seems appears",
    )
)
_AFTER_PRONOUN_I = frozenset({"is", "was", "because", "since", "as", "and", "or", "which"})
_NEXT_WORD = re.compile(r" ([A-Za-z]+)")
_LOWER_END = frozenset(["", "\n", ".", ")", ":", ",", ";", "!", "?", "。", "，", "、"])
OPEN, CLOSE = "([\"'“‘", ")]\"'”’"
"""Brackets and quotes that may wrap a label: ``(B)``, ``[B]``, ``"B"``."""

# Joining labels.
# A bare comma joins letters only if the next letter does not start a clause ("B, A is wrong").
_CLAUSE = r"\s+(?:is|was|seems|can|could|would|should|does|has)\b"
_SEP = (
    r"\s*(?:,\s*(?:and|or)\b|,(?!{tok}{clause})|/|&|\band\b|\bor\b|以及|或者|和|或|、|及|与)"
    r"\s*(?:(?i:options?)\s+|选项)?"
)


# Cues are checked in tiers by evalkit.scoring.choice.scorer: final answers beat commitments.
_FINAL_CUES = (
    r"(?i:\b(?:(?:final|correct|right|best|my)\s+)?answers?(?:\s+(?:choice|option|letter))?"
    r"(?:\s+(?:to\s+(?:this|the)\s+question|here|therefore|thus|then|now|clearly))?"
    r"[\"'”]?\s*(?:[:=–—]|-(?=\s)|\b(?:is|are)\b|\b(?:would|should|must|will)\s+be\b)(?:\s*:)?)"
    r"|(?i:\b(?:correct|right|best|final|my)\s+(?:option|choice|response|letter|pick)"
    r"\s*(?:[:=]|\bis\b|\bwould\s+be\b)(?:\s*:)?)"
    r"|(?i:\b(?:conclusion|verdict|final)\s*:)"
    r"|答\s*:|答案\s*(?:[】\]]\s*)?(?:应该?(?:是|为|选)|应当是|是|为|选|:)?"
    r"|正确(?:的)?(?:选项|答案|的是|项)\s*(?:是|为|:)?|正确的是"
    r"|(?:故|因此|所以|综上所述|综上|本题)\s*[,，]?\s*(?:应)?选(?:择)?(?:项)?"
)
_COMMIT_PRE = (
    r"(?i:\b(?:i(?:'d|’d|\s+would|\s+will)?\s+(?:choose|pick|select|go\s+with|say|guess)"
    r"|i\s+(?:think|believe)|(?:choose|pick|select|go\s+with)"
    r"|it(?:'s|’s|\s+is|\s+(?:must|should|would|could|might)\s+be)"
    r"|(?:would|must|should|could|might)\s+be|(?:most\s+)?(?:likely|probably)"
    r"|(?:which|that)\s+(?:is|would\s+be)|so|therefore|thus|hence"
    r"|(?:that|this|which)\s+leaves|leaving|(?:the\s+)?(?:only\s+)?remaining\s+(?:one|option|choice)"
    r"(?:\s+is)?)\b[,:]?)"
    r"|选项|我?选(?:择)?|应(?:该|当)?(?:选|是|为)|(?:觉得|认为)(?:应该)?(?:是|选)|可能是"
)
COMMIT_POST = re.compile(
    r"(?i:(?:is|are)\s+(?:both\s+|all\s+)?(?:the\s+)?(?:(?:most\s+)?correct|right|best"
    r"|(?:most\s+)?(?:appropriate|accurate|likely)|answer)\b)"
    r"|(?:都|均|也)?(?:正确|是正确的|是对的|对|符合题意|当选|是答案|为正确答案|是正确答案)"
)
"""What follows a label that a response commits to: "is correct", "正确", "当选"."""
NEG_AFTER = re.compile(
    r"\s*(?:选项|项)?\s*(?:(?i:(?:is|are)\s+(?:(?:both|all|also|clearly)\s+)?"
    r"(?:not|wrong|incorrect|false|eliminated|ruled out|out)\b)"
    r"|(?:[两三四五六七八九]项)?(?:都|均|皆|全|也)?(?:是)?(?:错误|不正确|不对|错|排除|不符合))"
)
"""What follows a label that a response rejects: "is wrong", "错误", "不正确", "三项均错误"."""
HEAD_LABEL = re.compile(r"\s*[(\[\"'“‘]?([A-J])[)\]\"'”’]?\s*[,;]")
"""A label that a comma or semicolon parts from the labels after it ("B, A、C、D均错误")."""
REJECT_CUE = re.compile(
    r"(?i:\b(?:is|are)\s+(?:(?:both|all|also|clearly)\s+)?(?:not|wrong|incorrect|false|eliminated"
    r"|ruled out|out)\b|\b(?:isn't|isn’t|aren't|aren’t)\b)"
    r"|(?:[两三四五六七八九]项)?(?:都|均|皆|全|也)?(?:是)?(?:错误|不正确|不对|错|排除|不符合)"
)
"""A rejection cue on its own; the labels it rejects end right before it ("A, C are wrong")."""
_REJECT_PRE = (
    r"(?i:\b(?:rule[sd]?\s+out|ruling\s+out|eliminat(?:e|es|ed|ing)|exclud(?:e|es|ed|ing)"
    r"|cross(?:es|ed)?\s+out)\b\s*(?:(?:options?|choices?)\s+)?)|排除(?:选项)?|去掉(?:选项)?"
)
# The first characters of the cues above (either case). Leading with them as a lookahead lets the
# regex engine skip most positions at once: 3-20x faster on long text. Keep in sync with the cues.
_FINAL_FIRST = "afcrbmv答正故因所综本"
_COMMIT_FIRST = "icpsgtwmlhr我选应觉认可"
# Filler between a cue and its label: "the answer is actually option B", "故选：B".
_PREFIX = (
    r":?\s*+(?:(?:[–—]|-(?=\s))\s*+)?(?:(?i:both|either|actually|indeed|only|just|clearly"
    r"|definitely|probably|likely|perhaps|maybe|possibly|surely|certainly"
    r"|options?|choices?|letters?)\s+){0,2}(?:选项|选)?\s*"
)

# Cleaning a response before the tiers read it.
CONTINUATION = re.compile(
    r"\n[ \t]*(?:(?:Question|Q|问题|题目)\s*\d*\s*[:.]|The following (?:are|is) |以下是)"
)
"""A base model running on into the next few-shot question."""
# The original MMLU few-shot format has no "Question:" prefix: a run-on is a paragraph of question
# text, then option lines "A. ...", then "Answer:". choice.py checks each paragraph with these.
RUN_ON_OPTION = re.compile(r"[ \t]*\(?([A-J])[.)][ \t]*([^\n]*)")
"""One option line of a new question: the label (group 1) and its text (group 2)."""
RUN_ON_ANSWER = re.compile(r"[ \t]*(?:Answer|答案)[ \t]*[:：]")
"""The answer line that ends a few-shot question block."""
# A per-option verdict list: "- C) 42: correct", "B. 24 — incorrect", "D) ✗". The verdict is the
# last one on the line after a separator (or right after the label); negatives come first so that
# "incorrect" and "not correct" never read as "correct".
_VERDICT_NO = r"(?i:incorrect|false|wrong|not\s+(?:correct|true|right))|[✗✘❌×]|错误|不正确|错"
_VERDICT_YES = r"(?i:correct|true|right)|[✓✔✅√]|正确|对"
VERDICT_LINE = re.compile(
    r"[ \t>#-]*[(\[]?(?P<g>[A-J])[.):\]][ \t]*"
    r"(?:(?P<body>[^\n]{0,200})(?:[:：=→(—–]|\s-|\s(?i:is|are)|\s(?=[✗✘❌×✓✔✅√]))[ \t]*)?"
    rf"(?:(?P<no>{_VERDICT_NO})|(?P<yes>{_VERDICT_YES}))(?![A-Za-z])[ \t.!。)]*"
)
"""A whole line (``fullmatch``) giving one option a verdict (group ``yes`` or ``no``)."""
MATH_DELIMS = re.compile(r"\\[()\[\]]")
"""LaTeX inline and display math delimiters: ``\\(C\\)``, ``\\[C\\]``."""
LATEX_WRAP = re.compile(r"\\(?:text|textbf|mathrm|mathbf|mathit|rm|bf)\s*\{([^{}\n]{0,200})\}")
BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{([^{}\n]{0,200})\}")
SPACES = re.compile(r"[ \t\u00a0]+")
BLANK_LINES = re.compile(r"\n(?: ?\n)+")
PAYLOAD_END = re.compile(r"\n|。|\. ")
"""The end of the sentence that follows a cue."""
# Punctuation around an option's text that does not change which option it is ("-5" keeps its sign).
TRIM = " \t\"'“”‘’「」《》()[]{}.。,，:：;；!！?？"
FIRST_CHAR = re.compile(rf"[{re.escape(TRIM)}\n]{{0,20}}(.)")
"""The first character of a sentence after its opening punctuation (group 1)."""


@dataclass(frozen=True, slots=True)
class LabelPatterns:
    """The regexes of one label set. Named group ``g`` is the label group in each.

    Attributes:
        token: One label, maybe bracketed or quoted, either case.
        run: Two or more single-letter labels written together ("AC"); ``None`` when the labels
            are not single uppercase letters.
        final: A final-answer cue, then a label group (``g``) or nothing (an option text follows).
        commit_pre: A commitment cue ("I'd go with", "选"), then a label group or nothing.
        commit_post_group: A label group ending at ``endpos`` (searched before a
            :data:`COMMIT_POST` cue).
        commit_post_tail: A cheap test that a label ends at ``endpos``.
        bare: A whole line that is a choice, with the rest of the line in ``rest``.
        lead: A label group at the start of the text.
        listing: A line starting with a label and punctuation, as in a list of options.
        reject_pre: A rejection cue, then the label group it rejects ("rule out A and C").
    """

    token: re.Pattern[str]
    run: re.Pattern[str] | None
    final: re.Pattern[str]
    commit_pre: re.Pattern[str]
    commit_post_group: re.Pattern[str]
    commit_post_tail: re.Pattern[str]
    bare: re.Pattern[str]
    lead: re.Pattern[str]
    listing: re.Pattern[str]
    reject_pre: re.Pattern[str]


def _group(letters: str, runs: str | None) -> str:
    """A regex for one label or several joined by separators ("A or C", "A、C")."""
    # "B's" and "I'm" are words, but a quoted 'B' is a letter.
    tok = rf"[(\[\"'“‘]?(?<![A-Za-z0-9])(?:{letters})(?![A-Za-z0-9]|['’][A-Za-z])[)\]\"'”’]?"
    sep = _SEP.format(tok=r"\s*(?:(?i:options?)\s+)?" + tok, clause=_CLAUSE)
    group = rf"{tok}(?:{sep}{tok}){{0,9}}"
    return group if runs is None else rf"(?<![A-Za-z0-9]){runs}(?![A-Za-z0-9])|{group}"


def _first(chars: str) -> str:
    return f"(?=[{chars}{chars.upper()}])"


@functools.lru_cache(maxsize=64)
def label_patterns(labels: tuple[str, ...]) -> LabelPatterns:
    """Compile the patterns of ``labels`` (cached: a run reuses one label set)."""
    ordered = sorted(labels, key=len, reverse=True)
    upper = "|".join(re.escape(x) for x in ordered)
    both = "|".join(dict.fromkeys(re.escape(y) for x in ordered for y in (x, x.lower())))
    # "答案：AC" lists two single-letter labels without a separator.
    single = all(len(x) == 1 and x.isalpha() and x.isupper() for x in labels)
    runs = f"[{''.join(labels)}]{{2,{len(labels)}}}" if single else None
    g_up, g_any = _group(upper, runs), _group(both, runs)
    line_head = r"[ \t>#-]*"
    post_end = r"\s*(?:选项|项|(?i:option))?\s*\Z"
    return LabelPatterns(
        token=re.compile(
            rf"[{re.escape(OPEN)}]?(?<![A-Za-z0-9])(?:{both})(?![A-Za-z0-9])[{re.escape(CLOSE)}]?"
        ),
        run=re.compile(runs) if runs else None,
        final=re.compile(
            rf"{_first(_FINAL_FIRST)}(?:{_FINAL_CUES})(?P<p>{_PREFIX})(?P<g>{g_any})?"
        ),
        commit_pre=re.compile(
            rf"{_first(_COMMIT_FIRST)}(?:{_COMMIT_PRE})(?P<p>{_PREFIX})(?P<g>{g_up})?"
        ),
        commit_post_group=re.compile(rf"(?P<g>{g_up}){post_end}"),
        commit_post_tail=re.compile(rf"(?:{upper})[{re.escape(CLOSE)}]?{post_end}"),
        bare=re.compile(
            rf"{line_head}(?:(?i:answer|option|choice)\s*:?\s*)?(?P<g>{g_any})[.:)。]?"
            r"(?P<rest>[^\n]{0,300})"
        ),
        lead=re.compile(rf"{line_head}(?P<g>{g_any})"),
        listing=re.compile(rf"^{line_head}(?P<g>[(\[]?(?:{upper}))[.):\]]", re.MULTILINE),
        reject_pre=re.compile(rf"(?:{_REJECT_PRE})(?P<g>{g_up})"),
    )


def stands_alone(text: str, end: int, token: str) -> bool:
    """Whether ``token`` (ending at ``end``) is a label, not the article "a" or pronoun "I"."""
    if token[0] in OPEN and token[-1] in CLOSE:
        return True
    nxt = _NEXT_WORD.match(text, end)
    if nxt is None:
        # A lowercase letter must end its sentence: "answer: b." but not "(a + b)".
        return not token.islower() or text[end : end + 2].lstrip(" ")[:1] in _LOWER_END
    word = nxt.group(1).lower()
    if token == "I":
        return word in _AFTER_PRONOUN_I
    if token == "A" or token.islower():
        return word in _AFTER_ARTICLE
    return True


def clean_response(reply: str, options: Sequence[str]) -> str:
    """Normalize a reply and keep only the part that can hold its answer.

    ``reply`` is already read by :func:`~evalkit.scoring.response.reply_text` (no reasoning).
    ``options`` (compare-ready texts) tell a restated option list from a run-on new question.
    """
    text = plain(reply)
    text = BOXED.sub(lambda m: f"\nAnswer: {m.group(1)}\n", text)
    # Collapsed whitespace keeps every \s* in the patterns short, so scans stay linear.
    text = BLANK_LINES.sub("\n\n", SPACES.sub(" ", text))
    for m in CONTINUATION.finditer(text):
        if text[: m.start()].strip():
            text = text[: m.start()]
            break
    cut = run_on_start(text, options)
    return text if cut < 0 else text[:cut]


def plain(text: str) -> str:
    r"""NFKC text without markup (``\text{}``, ``$``, ``\(``, markdown emphasis, code ticks)."""
    text = LATEX_WRAP.sub(r"\1", unicodedata.normalize("NFKC", text))
    text = MATH_DELIMS.sub("", text)
    return text.replace("*", "").replace("`", "").replace("$", "").replace("\r", "")


def run_on_start(text: str, options: Sequence[str]) -> int:
    """Where a new few-shot question with no "Question:" prefix starts in ``text``, or -1.

    A run-on is a paragraph (after a blank line, with text before it) of question lines, then
    option lines "A. ...", "B. ..." in label order, then an "Answer:" line. A paragraph whose
    options are mostly ``options`` (compare-ready texts) restates the question being answered.
    """
    first = len(text) - len(text.lstrip())  # no answer before this: nothing to keep
    pos = text.find("\n\n")
    while pos >= 0:
        nxt = text.find("\n\n", pos + 2)
        block = text[pos + 2 : nxt if nxt >= 0 else len(text)]
        if pos > first and _is_new_question(block.split("\n"), options):
            return pos
        pos = nxt
    return -1


def _is_new_question(lines: list[str], options: Sequence[str]) -> bool:
    """Whether ``lines`` are question text, options from "A" on, and an "Answer:" line."""
    head = 0
    while head < len(lines) and lines[head].strip() and not RUN_ON_OPTION.fullmatch(lines[head]):
        head += 1
    said: list[str] = []
    for line in lines[head:]:
        m = RUN_ON_OPTION.fullmatch(line)
        if m is None or m.group(1) != "ABCDEFGHIJ"[len(said)]:
            break
        said.append(" ".join(m.group(2).casefold().split()).strip(TRIM))
    end = head + len(said)
    if head == 0 or len(said) < 2 or end >= len(lines) or not RUN_ON_ANSWER.match(lines[end]):
        return False
    same = sum(i < len(options) and x == options[i] for i, x in enumerate(said))
    return 2 * same < len(said)
