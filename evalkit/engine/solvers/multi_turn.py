"""The ``multi_turn`` solver: a fixed conversation of several user turns (MT-Bench).

The rendered request holds the first user turn. The later user turns are the sample's
``data["turns"][1:]`` (a list of strings, as MT-Bench's questions have them); each is sent after
the model's answer to the one before, so the second turn sees the model's own first answer, not
a reference. At most ``max_turns`` model turns are asked (``-T max_turns``; the default 3 asks
all of MT-Bench's two).

The transcript records every assistant answer and later user turn; the final completion is the
last answer, carrying the token usage and latency of every turn together. A turn whose call
fails after its retries makes the sample an error: a conversation missing a turn is not scored.
"""

from __future__ import annotations

from dataclasses import replace

from evalkit.engine.solvers import Solved, SolveEnv
from evalkit.task.params import SolverParams
from evalkit.types import Completion, Message, Request, Sample, Usage


def later_turns(sample: Sample) -> tuple[str, ...]:
    """The user turns after the first (``data["turns"][1:]``; none when the row has no turns)."""
    turns = sample.data.get("turns")
    if not isinstance(turns, list):
        return ()
    return tuple(str(t) for t in turns[1:])


def _total(completions: list[Completion]) -> Completion:
    """The last completion with the usage and latency of every turn."""
    usage = Usage(
        sum(c.usage.input_tokens for c in completions),
        sum(c.usage.output_tokens for c in completions),
    )
    latency = sum(c.latency_s for c in completions)
    return replace(completions[-1], usage=usage, latency_s=latency)


class MultiTurn:
    """Asks the first turn, then each later user turn after the model's previous answer."""

    def __init__(self, max_turns: int) -> None:
        self.max_turns = max(1, max_turns)

    async def solve(self, sample: Sample, request: Request, env: SolveEnv) -> Solved:
        """Hold the conversation; a failed call becomes the sample's error."""
        if request.messages is None:
            return Solved(None, error="the multi_turn solver needs chat prompts", stop="error")
        messages = list(request.messages)
        transcript: list[Message] = []
        completions: list[Completion] = []
        attempts = 0
        follow_ups = later_turns(sample)[: self.max_turns - 1]
        for index in range(len(follow_ups) + 1):
            if index > 0:
                turn = Message("user", follow_ups[index - 1])
                messages.append(turn)
                transcript.append(turn)
            result = await env.call(sample, replace(request, messages=tuple(messages)))
            attempts += result.attempts
            if result.completion is None:
                return Solved(None, tuple(transcript), attempts, result.error, "error")
            answer = Message("assistant", result.completion.text)
            messages.append(answer)
            transcript.append(answer)
            completions.append(result.completion)
        return Solved(_total(completions), tuple(transcript), attempts)


def make_multi_turn(params: SolverParams) -> MultiTurn:
    """``solver = "multi_turn"``; reads ``max_turns``."""
    return MultiTurn(params.max_turns)
