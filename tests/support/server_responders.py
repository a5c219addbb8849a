"""Reply text for the test server: the :class:`Responder` protocol, the built-in responders, and
the answer files they read (GSM8K answer sheets, multiple-choice answer keys).

Responders are deterministic: the same prompt always gets the same reply, whatever the sampling
parameters, so a benchmark run against the server has a known expected score.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

NO_ANSWER = "I am not sure how to solve this problem."
"""What the GSM8K responder says about a question that is not on its answer sheet."""

_KEY_WORDS = 6
_CALCULATOR = re.compile(r"<<[^>]*>>")


class Responder(Protocol):
    """Chooses the reply to a prompt."""

    def respond(self, prompt: str) -> str:
        """Return the reply to ``prompt`` (the last user message, or the completion prompt)."""
        ...


class EchoResponder:
    """Replies with the prompt itself."""

    def respond(self, prompt: str) -> str:
        """Return ``prompt`` unchanged."""
        return prompt


@dataclass(frozen=True, slots=True)
class FixedResponder:
    """Replies with the same text to everything."""

    text: str

    def respond(self, prompt: str) -> str:
        """Return the fixed text."""
        return self.text


class Gsm8kResponder:
    """Looks up which known question the prompt contains and replies with its sheet answer.

    The question is usually embedded in a template (few-shot examples, instructions), so the
    prompt is searched word by word: questions are indexed by their first words, and the last
    question found wins (a few-shot prompt ends with the question being asked).
    """

    def __init__(self, answers: Mapping[str, str]) -> None:
        self._index: dict[tuple[str, ...], list[tuple[tuple[str, ...], str]]] = {}
        for question, answer in answers.items():
            words = tuple(question.split())
            if words:
                self._index.setdefault(words[:_KEY_WORDS], []).append((words, answer))
        self._key_lengths = sorted({len(key) for key in self._index})

    @classmethod
    def from_file(cls, path: Path) -> Gsm8kResponder:
        """Load an answer sheet written by :func:`write_gsm8k_answers`."""
        rows = _read_jsonl(path)
        return cls({str(row["question"]): str(row["answer"]) for row in rows})

    def respond(self, prompt: str) -> str:
        """Return the sheet answer of the last known question in ``prompt``."""
        words = prompt.split()
        # Scan from the end: the asked question follows any few-shot examples.
        for start in range(len(words) - 1, -1, -1):
            for length in self._key_lengths:
                for question, answer in self._index.get(tuple(words[start : start + length]), ()):
                    if tuple(words[start : start + len(question)]) == question:
                        return answer
        return NO_ANSWER


@dataclass(frozen=True, slots=True)
class MultipleChoiceKey:
    """Which answer the server should prefer for prompts containing a given text.

    Attributes:
        entries: ``(match, answer)`` pairs; the first pair whose ``match`` occurs in the prompt
            applies. ``answer`` is usually a letter, but any continuation text works.
    """

    entries: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_file(cls, path: Path) -> MultipleChoiceKey:
        """Load a JSONL file of ``{"match": ..., "answer": ...}`` rows."""
        return cls(tuple((str(r["match"]), str(r["answer"])) for r in _read_jsonl(path)))

    def answer_for(self, prompt: str) -> str | None:
        """Return the preferred answer for ``prompt``, or ``None`` when no entry matches."""
        for match, answer in self.entries:
            if match in prompt:
                return answer
        return None


def write_mc_answers(out_path: Path, entries: Mapping[str, str]) -> Path:
    """Write a multiple-choice key file (``match -> answer``) for ``--mc-answers``."""
    rows = ({"match": match, "answer": answer} for match, answer in entries.items())
    _write_jsonl(out_path, rows)
    return out_path


@dataclass(frozen=True, slots=True)
class Gsm8kAnswerSheet:
    """What :func:`write_gsm8k_answers` wrote.

    Attributes:
        path: The JSONL answer sheet (``question``, ``answer``, ``correct`` per row).
        correct: Per data row, in file order, whether its answer is right.
    """

    path: Path
    correct: tuple[bool, ...]

    @property
    def accuracy(self) -> float:
        """Share of rows answered correctly."""
        return sum(self.correct) / len(self.correct) if self.correct else 0.0


def write_gsm8k_answers(
    data_path: Path, out_path: Path, accuracy: float = 0.6, seed: int = 0
) -> Gsm8kAnswerSheet:
    """Write an answer sheet for GSM8K-style data that a model of known accuracy would produce.

    Exactly ``round(accuracy * rows)`` rows, chosen by ``random.Random(seed)``, get the right final
    answer; the others get a wrong number. Each reply is the row's worked solution without the
    calculator annotations, ending ``The answer is N.``

    Args:
        data_path: JSONL with ``question`` and ``answer`` (solution ending ``#### N``).
        out_path: Where to write the sheet (read it with ``--responder gsm8k --answers``).
        accuracy: Share of rows to answer correctly.
        seed: Seed of the choice of correct rows and of the wrong numbers.
    """
    rows = _read_jsonl(data_path)
    rng = random.Random(seed)
    right = set(rng.sample(range(len(rows)), round(accuracy * len(rows))))
    sheet = []
    for index, row in enumerate(rows):
        reply = _solution_reply(str(row["answer"]), index in right, rng)
        sheet.append({"question": row["question"], "answer": reply, "correct": index in right})
    _write_jsonl(out_path, sheet)
    return Gsm8kAnswerSheet(out_path, tuple(index in right for index in range(len(rows))))


def _solution_reply(solution: str, correct: bool, rng: random.Random) -> str:
    """Turn a ``#### N`` solution into a model-style reply with a right or wrong final answer."""
    reasoning, _, gold = solution.rpartition("####")
    gold = gold.strip()
    final = gold if correct else _wrong_number(gold, rng)
    steps = _CALCULATOR.sub("", reasoning).strip()
    return f"{steps}\nThe answer is {final}."


def _wrong_number(gold: str, rng: random.Random) -> str:
    try:
        value = int(gold.replace(",", ""))
    except ValueError:
        return gold + "1"  # still a different number, whatever the gold's format
    return str(value + rng.choice((1, 2, 3, 10, -1)))


def _read_jsonl(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _write_jsonl(path: Path, rows: Iterable[Mapping[str, object]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
