"""The ``tool_loop`` solver: the model calls tools, evalkit runs them, up to ``max_turns``.

The loop ends when the model gives a final answer or ``max_turns`` model turns are spent.

Each turn is one model call through the engine (cached, retried, limited) with the whole
conversation so far; a reply without tool calls is the final answer. Calls run one after another
in the order the model wrote them, each in the sample's own tool session (a sandboxed interpreter
keeps its variables across turns). Whatever the model writes — arguments that are not JSON, a
tool that does not exist, code that crashes or never ends — becomes a tool result the model sees
and the run counts; nothing raises. A model still calling tools after ``max_turns`` stops with
``turn_limit`` and its sample is scored wrong.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from evalkit.engine.solvers import Solved, SolveEnv, Stop
from evalkit.engine.solvers.protocols import MAX_CALLS_PER_TURN, ToolProtocol
from evalkit.engine.tools import ToolResult, ToolSession
from evalkit.task.params import SolverParams
from evalkit.types import Completion, Message, Request, Sample, ToolCall


@dataclass(slots=True)
class _Conversation:
    """The growing state of one sample's loop."""

    first: Request
    """The first request as sent (the prompt with the protocol's instructions)."""
    messages: list[Message]
    transcript: list[Message]
    attempts: int = 0
    calls: int = 0
    errors: int = 0
    turns: int = 0

    def add(self, *turns: Message) -> None:
        self.messages.extend(turns)
        self.transcript.extend(turns)

    def solved(self, completion: Completion | None, stop: Stop, error: str | None = None) -> Solved:
        stats = {
            "turns": float(self.turns),
            "tool_calls": float(self.calls),
            "used_tool": 1.0 if self.calls else 0.0,
            "turn_limit": 1.0 if stop == "turn_limit" else 0.0,
        }
        if self.calls:
            stats["tool_error_rate"] = self.errors / self.calls
        transcript = tuple(self.transcript)
        return Solved(completion, transcript, self.attempts, error, stop, stats, self.first)


_OUTPUT_BLOCK = re.compile(r"```output\n(.*?)\n```", re.S)
_FRAC = re.compile(r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}")


def last_tool_output(transcript: Sequence[Message]) -> str | None:
    """The text of the last tool result in a transcript (any protocol), if there was one."""
    for message in reversed(transcript):
        if message.role in ("tool", "environment"):
            return message.content
        if message.role == "user":
            blocks = _OUTPUT_BLOCK.findall(message.content)
            if blocks:
                return str(blocks[-1])
    return None


def _plain(text: str) -> str:
    text = _FRAC.sub(r"\1/\2", text.strip().strip("$"))
    return re.sub(r"\s+|\\!|\\,|\{|\}", "", text)


def agrees(answer: str, output: str) -> bool:
    r"""Whether a final answer is what the last tool output says (OpenCompass's agreement rate).

    The output's last non-empty line is compared with the answer as text (spaces, ``$`` and
    braces ignored, ``\frac{a}{b}`` read as ``a/b``), or as numbers when both are numbers.

    >>> agrees(r"\frac{1}{2}", "x = 3\n1/2\n")
    True
    >>> agrees("72", "72.0")
    True
    >>> agrees("71", "72")
    False
    """
    lines = [ln for ln in output.strip().splitlines() if ln.strip()]
    if not lines:
        return False
    a, b = _plain(answer), _plain(lines[-1])
    if a == b:
        return True
    try:
        x, y = float(a.replace(",", "")), float(b.replace(",", ""))
    except ValueError:
        return False
    return abs(x - y) <= 1e-9 * max(1.0, abs(x))


def with_instructions(messages: Sequence[Message], instructions: str | None) -> list[Message]:
    """The prompt with the protocol's instructions added to its system message (or as one)."""
    if instructions is None:
        return list(messages)
    if messages and messages[0].role == "system":
        system = Message("system", f"{messages[0].content}\n\n{instructions}")
        return [system, *messages[1:]]
    return [Message("system", instructions), *messages]


class ToolLoop:
    """See the module docstring."""

    def __init__(self, params: SolverParams) -> None:
        self.params = params

    async def solve(self, sample: Sample, request: Request, env: SolveEnv) -> Solved:
        """Run the loop for ``sample`` from its rendered chat request."""
        protocol = ToolProtocol(self.params.protocol, env.tools)
        if self.params.protocol == "native":
            request = replace(request, tools=tuple(t.spec for t in env.tools.values()))
        prompt = with_instructions(request.messages or (), protocol.instructions())
        request = replace(request, messages=tuple(prompt))
        convo = _Conversation(request, prompt, [])
        # Sessions open with the sample: a sandboxed interpreter starts while the model thinks.
        sessions = {name: tool.open(env.sandbox) for name, tool in env.tools.items()}
        try:
            return await self._loop(sample, request, env, protocol, convo, sessions)
        finally:
            for session in sessions.values():
                await session.aclose()

    async def _loop(
        self,
        sample: Sample,
        request: Request,
        env: SolveEnv,
        protocol: ToolProtocol,
        convo: _Conversation,
        sessions: dict[str, ToolSession],
    ) -> Solved:
        completion: Completion | None = None
        for _ in range(self.params.max_turns):
            result = await env.call(sample, replace(request, messages=tuple(convo.messages)))
            convo.attempts += result.attempts
            if result.completion is None:
                return convo.solved(None, "error", result.error)
            completion = result.completion
            convo.turns += 1
            calls = protocol.calls(completion)
            convo.add(protocol.assistant_turn(completion))
            if not calls:
                return convo.solved(completion, "answer")
            results = [await self._run(c, n, env, sessions) for n, c in enumerate(calls)]
            convo.calls += len(calls)
            convo.errors += sum(1 for r in results if r.error is not None)
            convo.add(*protocol.result_turns(calls, results))
        return convo.solved(completion, "turn_limit")

    async def _run(
        self, call: ToolCall, n: int, env: SolveEnv, sessions: dict[str, ToolSession]
    ) -> ToolResult:
        if n >= MAX_CALLS_PER_TURN:
            return ToolResult(
                f"Error: not run: at most {MAX_CALLS_PER_TURN} calls per turn", "too_many_calls"
            )
        tool = env.tools.get(call.name)
        if tool is None:
            known = ", ".join(sorted(env.tools)) or "none"
            shown = f"Error: unknown tool '{call.name[:100]}' (tools: {known})"
            return ToolResult(shown, "unknown_tool")
        return await sessions[call.name].run(call)  # every tool's session opened with the sample


def make_tool_loop(params: SolverParams) -> ToolLoop:
    """``solver = "tool_loop"``: tools from ``-T tools=...``, protocol, ``max_turns``."""
    return ToolLoop(params)
