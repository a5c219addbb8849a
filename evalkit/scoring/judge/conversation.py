"""A judged conversation: the user turns of a sample and the answers given to each.

The user turns are the sample's ``data["turns"]`` (MT-Bench's questions, the ``judged`` task's
one prompt). The answers are the assistant turns of the transcript (the ``multi_turn`` solver
records each), or the final completion alone for one-call solvers; each is read through the
one reply normaliser (``<think>`` blocks dropped), so the judge sees what the user would.
The same reading serves a baseline run's recorded sample lines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evalkit.scoring.response import reply_text
from evalkit.types import Completion, Message, Sample


@dataclass(frozen=True, slots=True)
class Conversation:
    """Questions and answers, turn by turn (answers may be fewer than questions)."""

    questions: tuple[str, ...]
    answers: tuple[str, ...]

    @property
    def turns(self) -> int:
        """How many turns were answered."""
        return min(len(self.questions), len(self.answers))


def questions_of(sample: Sample) -> tuple[str, ...]:
    """The sample's user turns (``data["turns"]``)."""
    turns = sample.data.get("turns")
    if not isinstance(turns, list) or not turns:
        raise ValueError(f"sample {sample.id} has no 'turns' list to judge")
    return tuple(str(t) for t in turns)


def answers_of(completion_text: str, transcript: Sequence[Message]) -> tuple[str, ...]:
    """Each assistant turn of the transcript, or the final completion when it has none."""
    texts = [m.content for m in transcript if m.role == "assistant" and not m.tool_calls]
    return tuple(reply_text(t) for t in (texts or [completion_text]))


def conversation(
    sample: Sample, completion: Completion, transcript: Sequence[Message]
) -> Conversation:
    """The sample's judged conversation."""
    return Conversation(questions_of(sample), answers_of(completion.text, transcript))


def line_answers(line: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The answers of a recorded sample line; ``None`` when it has none (an errored sample)."""
    if line.get("error") is not None or line.get("completion") is None:
        return None
    transcript = [Message.from_dict(m) for m in line.get("transcript") or ()]
    return answers_of(str(line["completion"]), transcript)


def references_of(sample: Sample) -> tuple[str, ...]:
    """The sample's reference answers, turn by turn (``data["reference"]``; empty for none)."""
    refs = sample.data.get("reference")
    if not isinstance(refs, list):
        return ()
    return tuple(str(r) for r in refs)


def judge_fields(
    questions: Sequence[str],
    answers: Mapping[str, Sequence[str]],
    references: Sequence[str],
    turn: int,
) -> dict[str, str]:
    """The fields a judge prompt for ``turn`` (1-based) is filled with, named as FastChat's.

    ``question`` / ``question_1`` ... ``question_<turn>``; ``ref_answer_<i>`` (and ``reference``,
    the rubric's name for the turn's reference) when there are references; for each key of
    ``answers`` (``""`` for single grading, ``"_a"`` / ``"_b"`` for a pair), ``answer<key>`` and
    ``answer<key>_<i>``.

    >>> sorted(judge_fields(["q1", "q2"], {"_a": ["a1", "a2"], "_b": ["b1", "b2"]}, [], 2))[:4]
    ['answer_a', 'answer_a_1', 'answer_a_2', 'answer_b']
    """
    out = {"question": questions[turn - 1], "reference": ""}
    if len(references) >= turn:
        out["reference"] = references[turn - 1]
    for i in range(1, turn + 1):
        out[f"question_{i}"] = questions[i - 1]
        if len(references) >= i:
            out[f"ref_answer_{i}"] = references[i - 1]
    for key, texts in answers.items():
        out[f"answer{key}"] = texts[turn - 1]
        for i in range(1, turn + 1):
            out[f"answer{key}_{i}"] = texts[i - 1]
    return out
