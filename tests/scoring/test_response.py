"""The one reply normaliser, and that every scorer reads replies through it."""

from __future__ import annotations

import pytest

from evalkit.scoring import SCORERS
from evalkit.scoring.response import Reply, read_reply, reply_text
from evalkit.types import Completion, Sample


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("plain", Reply("plain", after_reasoning=False, unfinished=False)),
        ("<think>a</think>b", Reply("b", after_reasoning=True, unfinished=False)),
        ("a</think>b</think>c", Reply("c", after_reasoning=True, unfinished=False)),
        ("x<think>a", Reply("x", after_reasoning=False, unfinished=True)),
        ("<THINK>a</Think >b", Reply("b", after_reasoning=True, unfinished=False)),
        ("< /think>b", Reply("b", after_reasoning=True, unfinished=False)),
        # An answer after closed reasoning, then reasoning again that was cut off.
        ("<think>a</think>B.<think>hmm, or", Reply("B.", after_reasoning=True, unfinished=True)),
        ("<think>a</think><think>b</think>c", Reply("c", after_reasoning=True, unfinished=False)),
        ("a\r\nb\rc", Reply("a\nb\nc", after_reasoning=False, unfinished=False)),
        ("\ufeff1\u200b8\u2060", Reply("18", after_reasoning=False, unfinished=False)),
        ("<th\u200bink>x</thi\u200dnk>y", Reply("y", after_reasoning=True, unfinished=False)),
        ("<thinking>x</thinking>y", Reply("<thinking>x</thinking>y", False, False)),
    ],
)
def test_read_reply(raw: str, expected: Reply) -> None:
    assert read_reply(raw) == expected


def test_reply_text_is_the_reply() -> None:
    assert reply_text("<think>20</think>18") == "18"


def _sample(scorer: str) -> tuple[Sample, str]:
    """A sample each scorer grades right with the reply ``good`` (returned with it)."""
    if scorer == "gsm8k":
        return Sample("q", 0, {}, target="18"), "She makes 18 dollars.\n#### 18"
    if scorer == "math":
        return Sample("q", 0, {}, target="\\frac{1}{2}"), "So $x = \\boxed{\\frac{1}{2}}$."
    if scorer == "choice":
        options = ("red", "blue", "green", "gray")
        return Sample("q", 0, {}, "B", options), "The sky is blue.\n\nAnswer: B"
    if scorer == "ifeval":
        meta = {
            "instruction_id_list": ["length_constraints:number_paragraphs"],
            "kwargs": [{"num_paragraphs": 2}],
        }
        data = {"prompt": "Two paragraphs."}
        return Sample("q", 0, data, "", metadata=meta), "One a.\n\n***\n\nTwo a."
    return Sample("q", 0, {}, target="Paris"), "Paris."


@pytest.mark.parametrize("name", ["gsm8k", "math", "choice", "ifeval", "exact"])
def test_every_scorer_reads_the_normalised_reply(name: str) -> None:
    sample, good = _sample(name)
    scorer = SCORERS.get(name)({})
    clean = scorer.score(sample, Completion(good))
    assert clean.value == 1.0
    noisy = "\ufeff" + good.replace("\n", "\r\n").replace("a", "a\u200b")
    reasoned = "<THINK>Wrong: 7, C, \\boxed{3}.\r\n\r\n</Think>" + noisy
    assert scorer.score(sample, Completion(reasoned)).value == 1.0
    # Cut inside its reasoning: whatever the reasoning said, there is no answer.
    cut = Completion("<think>" + good, finish_reason="length")
    assert scorer.score(sample, cut).value == 0.0
    assert scorer.score(sample, Completion(good + "<think>more")).value == 1.0
