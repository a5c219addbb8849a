"""Log-likelihood of a continuation given a context, from a local model's logits.

Local backends (llama.cpp, transformers) share this math so that they score the same tokens the same
way, which is what makes their numbers comparable:

* The context and the continuation are tokenized separately (the continuation without special
  tokens) and concatenated, so every continuation token is scored and no token straddles the
  boundary. Trailing whitespace of the context moves to the continuation first (``"Answer: "`` +
  ``"A"`` is scored as ``"Answer:"`` + ``" A"``), because BPE vocabularies attach the space to the
  following word.
* ``logits[i]`` is the model's output after reading token ``i``: it predicts token ``i + 1``. The
  log-softmax is taken in float64 so that the sum over the vocabulary adds no error of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from evalkit.errors import FatalBackendError


@dataclass(frozen=True, slots=True)
class ScoringSplit:
    """A context/continuation pair after whitespace has moved to the continuation."""

    context: str
    continuation: str


def split_whitespace(context: str, continuation: str) -> ScoringSplit:
    """Move the context's trailing spaces onto the continuation.

    >>> split_whitespace("Answer: ", "A")
    ScoringSplit(context='Answer:', continuation=' A')
    """
    stripped = context.rstrip(" ")
    return ScoringSplit(stripped, context[len(stripped) :] + continuation)


def continuation_logprob(
    logits: npt.NDArray[np.floating], tokens: Sequence[int], start: int
) -> float:
    """Return the summed log-probability of ``tokens[start:]`` given ``tokens[:start]``.

    Args:
        logits: One row per position, ``logits[i]`` predicting ``tokens[i + 1]``; at least
            ``len(tokens) - 1`` rows.
        tokens: Context tokens followed by continuation tokens.
        start: Index of the first continuation token; at least 1 (the first token of a
            sequence has no prediction to score).

    Raises:
        FatalBackendError: the context is empty or the logits are too short.
    """
    if start < 1:
        raise FatalBackendError("cannot score a continuation with an empty context")
    if len(logits) < len(tokens) - 1:
        raise FatalBackendError(f"got {len(logits)} logit rows for {len(tokens)} tokens")
    rows = np.asarray(logits[start - 1 : len(tokens) - 1], dtype=np.float64)
    targets = np.asarray(tokens[start:], dtype=np.int64)
    peak = rows.max(axis=1, keepdims=True)
    log_norm = peak[:, 0] + np.log(np.exp(rows - peak).sum(axis=1))
    picked = rows[np.arange(len(targets)), targets]
    return float((picked - log_norm).sum())


def shared_inputs(sequences: Sequence[Sequence[int]]) -> tuple[list[list[int]], list[int]]:
    """Plan the fewest forward passes that score every sequence.

    Scoring ``tokens`` needs the model's logits after reading ``tokens[:-1]``; a pass over a longer
    input that starts with those tokens yields the same rows. So the options of a multiple-choice
    question that are one token long (`` A``, `` B`` ...) all share one pass over the question.

    Returns:
        The inputs to run, and for each sequence the index of the input that serves it.

    >>> shared_inputs([[1, 2, 7], [1, 2, 8], [1, 3, 9, 9]])
    ([[1, 3, 9], [1, 2]], [1, 1, 0])
    """
    order = sorted(range(len(sequences)), key=lambda i: -len(sequences[i]))
    inputs: list[list[int]] = []
    served_by = [0] * len(sequences)
    for index in order:
        needed = list(sequences[index][: max(len(sequences[index]) - 1, 1)])
        match = next((k for k, run in enumerate(inputs) if run[: len(needed)] == needed), None)
        if match is None:
            inputs.append(needed)
            match = len(inputs) - 1
        served_by[index] = match
    return inputs, served_by


def common_prefix(left: Sequence[int], right: Sequence[int]) -> int:
    """Return the length of the longest common prefix of two token sequences."""
    for index, (a, b) in enumerate(zip(left, right, strict=False)):
        if a != b:
            return index
    return min(len(left), len(right))
