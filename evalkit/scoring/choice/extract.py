r"""Multiple-choice answers: which option label a free-text response commits to.

Extraction (:func:`extract_choice`) works in tiers, strongest first. The first tier that finds a
statement decides; inside a tier the *last* statement wins (models correct themselves)::

    final   "Answer: B", "The correct answer is (B)", "\boxed{B}", "答案：B", "故选B", "答：B"
    bare    a line that is only a choice: "B", "(B)", "**B**", "B. Paris" (any line, if they agree)
    commit  "B is correct", "I'd go with B", "it's B", "so B.", "选B", "B选项正确", "我觉得是B"
    verdict a per-option list marking exactly one option: "- B) 24: correct", "C) 42 — false"
    lead    the response starts with a letter: "B because Paris is the capital"
    text    the last line names exactly one option's text: "The capital is Paris."

Before the tiers: a reply that is one JSON object with an answer key (``answer``,
``final_answer``, ``答案``, ``选项`` ...) is answered by that key's value alone, whatever its
reasoning names (method ``json``); options named by position ("the third choice", "第三个",
"选项三") are written as their labels (:mod:`evalkit.scoring.choice.forms`). After the last
self-correction ("Wait, actually ...", "on second thought", "Correction:", "不对，") the tiers
final, bare, commit and lead are read first: the last committed letter counts. Between the
verdict and lead tiers, a reply that rejects every option but one ("A is wrong ... C isn't
... we can rule out D", "A、C、D三项均错误") answers with that one (method ``elimination``); the
text tier does not read a line that rejects a label. A cue's label parted by a comma from a
rejected list commits to the first ("答案选B，A、C、D均错误" is B).

A cue followed by an option's text ("The answer is Paris.") counts as that option; a label
followed by exactly another option's text ("B) Lyon" when Lyon is A) names two options. A
statement naming two labels ("A or C", "both A and B", "答案：AC") gives no label, reason
``multiple_answers``: a hedge is wrong whatever the gold. The reply is read by
:func:`~evalkit.scoring.response.reply_text` (no reasoning block), then NFKC-normalized
(full-width ``Ｂ``/``：``); ``\text{}``, ``$``, ``\(``/``\)``, ``\[``/``\]`` and markdown
emphasis go; a base model's run-on into a new question (``\nQuestion:``, ``\n题目：``,
``\n以下是``, or a paragraph of question text, lines "A. ...", and "Answer:" whose options are
not this question's) is cut. A reply cut at the token limit (``truncated``) is read by the final
and commit tiers only: an option it was still weighing is no answer.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from evalkit.scoring.choice.forms import json_answer, last_correction, ordinals_to_labels
from evalkit.scoring.choice.patterns import (
    CLOSE,
    COMMIT_POST,
    FIRST_CHAR,
    HEAD_LABEL,
    NEG_AFTER,
    OPEN,
    PAYLOAD_END,
    REJECT_CUE,
    TRIM,
    VERDICT_LINE,
    LabelPatterns,
    clean_response,
    label_patterns,
    plain,
    stands_alone,
)
from evalkit.scoring.response import reply_text

ExtractionReason = Literal["no_answer_found", "multiple_answers"]
"""Why :func:`extract_choice` returned no single label."""

ExtractionMethod = Literal[
    "json", "final", "bare", "commit", "verdict", "elimination", "lead", "text"
]
"""The tier of :func:`extract_choice` that decided (see the module docstring)."""

DEFAULT_LABELS = "ABCDEFGHIJ"
"""Option labels in order; a question with n options uses the first n."""

# Only the last statements can win, and a real response has a few dozen cues at most; looking at
# the last thousand bounds the work on adversarial text made of nothing but cues.
_MAX_CUES = 1000
# What parts a label from the option text after it: "B) ", "B. ", "D - ", "C: " (not "-5").
_LABEL_TAIL = re.compile(r"\A[.):\]」 \t]*(?:[-–—:](?=\s))?\s*")
_ARTICLE = re.compile(r"(?i:the|an?)\s+(?!(?i:answer|option|choice|correct|right|best)\b)")


@dataclass(frozen=True, slots=True)
class ChoiceExtraction:
    """What :func:`extract_choice` found.

    Attributes:
        letter: The label the response commits to, or ``None``.
        reason: Why ``letter`` is ``None`` (``None`` when a label was found).
        method: The tier that decided, or ``None`` when nothing was found.
        candidates: The distinct labels of the deciding statement in order of mention (two or
            more exactly when ``reason`` is ``multiple_answers``).
    """

    letter: str | None
    reason: ExtractionReason | None = None
    method: ExtractionMethod | None = None
    candidates: tuple[str, ...] = ()


def extract_choice(
    text: str, labels: Sequence[str], options: Sequence[str] = (), *, truncated: bool = False
) -> ChoiceExtraction:
    r"""Find the option label a free-text response commits to (tiers: see the module doc).

    The article "a" and the pronoun "I" are told apart from labels by the next word; lowercase
    labels count only where unambiguous. Time is linear in ``len(text)``.

    Args:
        text: The model's response (untrusted, any length).
        labels: The option labels in order, e.g. ``"ABCD"`` or ``["A", "B", "C", "D"]``.
        options: The option texts aligned with ``labels``; empty turns off option-text matching.
        truncated: The reply hit the token limit: only final and commit statements count.

    Returns:
        The label, or ``letter=None`` with ``reason`` ``no_answer_found`` or
        ``multiple_answers``.

    Examples:
        >>> extract_choice("The correct answer is (B) because Paris...", "ABCD").letter
        'B'
        >>> extract_choice("A is wrong, B is wrong, so the answer is C.", "ABCD").letter
        'C'
        >>> extract_choice("A good answer is C", "ABCD").letter
        'C'
        >>> extract_choice("<think>Maybe A? No.</think>\n\n**答案：C**", "ABCD").letter
        'C'
        >>> extract_choice("The answer is Paris.", "ABCD", ["Rome", "Paris", "Oslo", "Bern"]).letter
        'B'
        >>> extract_choice(" B\n\nQuestion: next one...\nAnswer: D", "ABCD").letter
        'B'
        >>> extract_choice(" C\n\nWhat is 1 + 1?\nA. 2\nB. 3\nAnswer: A", "ABCD").letter
        'C'
        >>> extract_choice("- A) 12: incorrect\n- B) 42: correct", "AB").letter
        'B'
        >>> extract_choice("answer: b", "ABCD").letter
        'B'
        >>> extract_choice("It is either A or C.", "ABCD")  # doctest: +NORMALIZE_WHITESPACE
        ChoiceExtraction(letter=None, reason='multiple_answers', method='commit',
                         candidates=('A', 'C'))
        >>> extract_choice("I am not sure.", "ABCD").reason
        'no_answer_found'
    """
    labels = tuple(labels)
    reply = reply_text(text)
    values = json_answer(reply)
    if values:
        return _json_choice(values, labels, options)
    normed = tuple(norm_option(options[i]) if i < len(options) else "" for i in range(len(labels)))
    initials = frozenset(o[0] for o in normed if o)
    cleaned = ordinals_to_labels(clean_response(reply, normed), labels)
    response = _Response(cleaned, label_patterns(labels), labels, normed, initials)
    cut = last_correction(cleaned)
    if cut >= 0:
        later = _decide(replace(response, text=cleaned[cut:]), ("final", "bare", "commit", "lead"))
        if later.letter is not None or later.reason == "multiple_answers":
            return later
    return _decide(response, ("final", "commit") if truncated else _TIERS)


_TIERS: tuple[ExtractionMethod, ...] = (
    "final", "bare", "commit", "verdict", "elimination", "lead", "text"
)  # fmt: skip


def _decide(response: _Response, tiers: Sequence[ExtractionMethod]) -> ChoiceExtraction:
    """The answer of the first of ``tiers`` that finds a statement in ``response``."""
    scans: dict[ExtractionMethod, Callable[[], tuple[str, ...]]] = {
        "final": response.final,
        "bare": response.bare,
        "commit": response.commit,
        "verdict": response.verdicts,
        "elimination": response.eliminated,
        "lead": response.lead,
        "text": response.restated,
    }
    for method in tiers:
        found = scans[method]()
        if len(found) > 1:
            return ChoiceExtraction(None, "multiple_answers", method, found)
        if found:
            return ChoiceExtraction(found[0], None, method, found)
    return ChoiceExtraction(None, "no_answer_found")


def _json_choice(
    values: tuple[str, ...], labels: tuple[str, ...], options: Sequence[str]
) -> ChoiceExtraction:
    """The answer of a JSON reply: each value of its answer key read as a reply of its own."""
    found: list[str] = []
    for value in values:
        one = extract_choice(value[:2000], labels, options)
        if one.reason == "multiple_answers":
            return replace(one, method="json")
        found += [one.letter] if one.letter else []
    distinct = tuple(dict.fromkeys(found))
    if len(distinct) == 1:
        return ChoiceExtraction(distinct[0], None, "json", distinct)
    if distinct:
        return ChoiceExtraction(None, "multiple_answers", "json", distinct)
    return ChoiceExtraction(None, "no_answer_found")


def norm_option(text: str) -> str:
    """Compare-ready option text: plain, casefolded, collapsed spaces, outer punctuation off."""
    return " ".join(plain(text).casefold().split()).strip(TRIM)


@dataclass(frozen=True, slots=True)
class _Response:
    """One cleaned response read against one label set; each method is a tier."""

    text: str
    pats: LabelPatterns
    labels: tuple[str, ...]
    options: tuple[str, ...]
    initials: frozenset[str]

    def letters(self, text: str, start: int, end: int) -> tuple[str, ...]:
        """The distinct labels of the group ``text[start:end]``; empty if it is no choice."""
        span = text[start:end]
        if self.pats.run is not None and self.pats.run.fullmatch(span):
            return tuple(span) if len(set(span)) == len(span) else ()
        tokens = list(self.pats.token.finditer(text, start, end))
        if tokens and not stands_alone(text, tokens[-1].end(), tokens[-1].group()):
            tokens.pop()
        by_upper = {x.upper(): x for x in self.labels}
        found = (by_upper.get(t.group().strip(OPEN + CLOSE).upper()) for t in tokens)
        return tuple(dict.fromkeys(x for x in found if x is not None))

    def cues(self, pattern: re.Pattern[str]) -> tuple[int, tuple[str, ...]]:
        """Position and labels of the last cue followed by a choice or an option's text."""
        for m in reversed(deque(pattern.finditer(self.text), maxlen=_MAX_CUES)):
            if m.group("g") is None:
                found = self.option_at(m.end())
            elif NEG_AFTER.match(self.text, m.end("g")):
                # "so A is wrong" rejects; "答案选B，A、C、D均错误" commits to B, rejects the rest.
                head = HEAD_LABEL.match(self.text, m.start("g"), m.end("g"))
                if head is None or head[1] not in self.labels:
                    continue
                found = (head[1],)
            else:
                found = self.letters(self.text, m.start("g"), m.end("g"))
                # Some options start with labels: "both A and B", "C(s) + H2O(g) → CO(g) + H2(g)".
                if found:
                    found = self.option_at(m.start("p"), exact=len(found) == 1) or found
                if len(found) == 1:  # "B) Lyon" when Lyon is A names two options
                    found = tuple(dict.fromkeys(found + self.option_after(m.end("g"))))
            if found:
                return (m.start(), found)
        return (-1, ())

    def final(self) -> tuple[str, ...]:
        """Explicit final-answer statements ("Answer: B", "答案是B")."""
        return self.cues(self.pats.final)[1]

    def commit(self) -> tuple[str, ...]:
        """The last committed statement, with a cue before ("选B") or after ("B is correct")."""
        start, found = self.cues(self.pats.commit_pre)
        for cue in reversed(deque(COMMIT_POST.finditer(self.text, max(start, 0)), _MAX_CUES)):
            # The group must end at the cue; short windows keep this linear.
            end = cue.start()
            tail = self.pats.commit_post_tail.search(self.text, max(0, end - 16), end)
            m = (
                self.pats.commit_post_group.search(self.text, max(0, end - 40), end)
                if tail
                else None
            )
            if m is None or m.start() <= start:
                continue
            later = self.letters(self.text, m.start("g"), m.end("g"))
            if later:
                return self.name_with_letter(m.start("g"), m.end("g")) or later
        return found

    def name_with_letter(self, start: int, end: int) -> tuple[str, ...]:
        """The option named "Hepatitis B" or "维生素C" when the letter at ``start`` ends a name."""
        named = self.named(self.text[max(0, start - 60) : end], anywhere=True)
        letter = self.text[start:end].strip().casefold()
        return named if named and self.options[self.labels.index(named[0])].endswith(letter) else ()

    def bare(self) -> tuple[str, ...]:
        """Lines holding only a choice ("B", "(B)", "B. Paris"), when they all agree."""
        whole = norm_option(self.text)
        if whole and self.options.count(whole) == 1:
            return (self.labels[self.options.index(whole)],)  # the reply is one option's text
        pure: set[tuple[str, ...]] = set()
        restated: set[tuple[str, ...]] = set()
        for line in dict.fromkeys(self.text.split("\n")):
            m = self.pats.bare.fullmatch(line) if len(line) <= 320 else None
            found = self.letters(line, m.start("g"), m.end("g")) if m else ()
            rest = norm_option(m.group("rest")) if m else ""
            if found and not rest:
                pure.add(found)
            elif len(found) == 1 and rest == self.options[self.labels.index(found[0])]:
                restated.add(found)
            elif len(found) == 1 and rest and self.options.count(rest) == 1:
                pure.add(found + (self.labels[self.options.index(rest)],))  # "B. Lyon", Lyon is A
        # Bare lines naming different options are a restated option list, not an answer.
        for group in (pure, restated):
            if group:
                return group.pop() if len(group) == 1 else ()
        return ()

    def verdicts(self) -> tuple[str, ...]:
        """The options a per-option verdict list marks correct ("- C) 42: correct")."""
        marks: dict[str, bool] = {}
        for line in self.text.split("\n"):
            m = VERDICT_LINE.fullmatch(line) if len(line) <= 320 else None
            if m is None or m.group("g") not in self.labels:
                continue
            option = self.options[self.labels.index(m.group("g"))]
            if norm_option(line[m.end("g") + 1 :]) == option:
                continue  # "A) True" restates the option "True"; it is no verdict
            marks[m.group("g")] = m.group("yes") is not None
        # One marked line is a remark, not a list; the last verdict on each option stands.
        return tuple(x for x in self.labels if marks.get(x)) if len(marks) > 1 else ()

    def lead(self) -> tuple[str, ...]:
        """The label the response starts with ("B because ..."), unless it lists options."""
        text = self.text.lstrip()
        m = self.pats.lead.match(text)
        if m is None or NEG_AFTER.match(text, m.end("g")) or self.is_listing():
            return ()
        return self.letters(text, m.start("g"), m.end("g"))

    def restated(self) -> tuple[str, ...]:
        """The one option whose text the last line names ("The capital is Paris.")."""
        lines = [x for x in self.text[-2000:].split("\n") if x.strip()]
        if not lines or (self.pats.listing.match(lines[-1]) and self.is_listing()):
            return ()  # nothing, or the last line of a restated option list
        if self.rejected(lines[-1]):
            return ()  # "A is wrong: Lyon is not the capital" names Lyon to reject it
        return self.named(lines[-1], anywhere=True)

    def eliminated(self) -> tuple[str, ...]:
        """The one option left when the reply rejects all others ("A is wrong. C is false.")."""
        out = self.rejected(self.text)
        left = [x for x in self.labels if x not in out]
        return (left[0],) if out and len(left) == 1 else ()

    def rejected(self, text: str) -> set[str]:
        """The labels ``text`` rejects: a label group right before "is wrong", "错误" ..."""
        out: set[str] = set()
        for cue in deque(REJECT_CUE.finditer(text), _MAX_CUES):
            end = cue.start()
            m = self.pats.commit_post_group.search(text, max(0, end - 40), end)
            if m is not None:
                out.update(self.letters(text, m.start("g"), m.end("g")))
        for m in deque(self.pats.reject_pre.finditer(text), _MAX_CUES):
            out.update(self.letters(text, m.start("g"), m.end("g")))
        return out

    def option_after(self, pos: int) -> tuple[str, ...]:
        """The option whose whole text follows a label ending at ``pos`` ("B) Paris.")."""
        head = _LABEL_TAIL.sub("", self.text[pos : pos + 300], count=1)
        said = norm_option(PAYLOAD_END.split(head, maxsplit=1)[0])
        return (self.labels[self.options.index(said)],) if self.options.count(said) == 1 else ()

    def option_at(self, pos: int, exact: bool = False) -> tuple[str, ...]:
        """The option whose text starts (or is, if ``exact``) the sentence at ``pos``."""
        first = FIRST_CHAR.match(self.text, pos)
        if first is None:
            return ()
        starts = [first.start(1)]
        article = None if exact else _ARTICLE.match(self.text, first.start(1))
        if article:  # "the answer is the cell membrane": an article may lead the option's text
            starts.append(article.end())
        for start in starts:
            if self.text[start : start + 1].casefold() not in self.initials:
                continue  # cheap reject: most cues are not followed by an option text
            sentence = PAYLOAD_END.split(self.text[start : start + 300], maxsplit=1)[0]
            if not exact:
                found = self.named(sentence, anywhere=False)
                if found:
                    return found
                continue
            said = norm_option(sentence)
            label_like = said in (x.casefold() for x in self.labels)  # "C" is a label first
            return () if label_like or self.options.count(said) != 1 else self.named(said, False)
        return ()

    def named(self, sentence: str, anywhere: bool) -> tuple[str, ...]:
        """The one option ``sentence`` equals, starts with, or (``anywhere``) mentions."""
        said, opts = norm_option(sentence), self.options
        if said and opts.count(said) == 1:
            return (self.labels[opts.index(said)],)
        find = re.search if anywhere else re.match
        hits = [
            i
            for i, o in enumerate(opts)
            if len(o) > 1 and find(rf"(?<![a-z0-9]){re.escape(o)}(?![a-z0-9])", said)
        ]
        # "Paris, Texas" names "Paris" too: a hit inside a longer hit does not count.
        hits = [i for i in hits if not any(i != j and opts[i] in opts[j] for j in hits)]
        return (self.labels[hits[0]],) if len(hits) == 1 else ()

    def is_listing(self) -> bool:
        """Whether lines start with two different labels, as in a restated option list."""
        seen: set[str] = set()
        for m in self.pats.listing.finditer(self.text):
            seen.add(m.group("g").strip(OPEN + CLOSE))
            if len(seen) > 1:
                return True
        return False
