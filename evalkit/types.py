r"""The values that flow through evalkit: samples, requests, completions, scores.

Every record here is a frozen, slotted dataclass. Stages of the pipeline take these values and
return new ones; nothing fills in fields on an old object.

Flow::

    Sample --render--> Request --Backend.generate--> Completion --Scorer.score--> Score
                                                         \\______________________/
                                                                SampleResult
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

Role = Literal["system", "user", "assistant", "tool", "environment"]
"""Who speaks a chat message: ``tool`` carries a native tool result (OpenAI protocol);
``environment`` carries a tool result in text protocols (InternLM2's interpreter role)."""

FinishReason = Literal["stop", "length", "content_filter", "tool_calls", "unknown"]
"""Why the model stopped: ``length`` means the output was truncated at ``max_tokens``."""
FINISH_REASONS: frozenset[str] = frozenset(get_args(FinishReason))
"""Every :data:`FinishReason`, to check one read from a server, a cache or a file."""


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A call the model asked for.

    Attributes:
        id: The call's id (the backend's, or ``call_<n>`` when the protocol has none).
        name: The tool's name as the model wrote it (may name no declared tool).
        arguments: The arguments exactly as the model wrote them (JSON text for native calls,
            the raw block for text protocols); parsed only by the tool that runs it.
    """

    id: str
    name: str
    arguments: str

    @classmethod
    def many_from_dicts(cls, raw: Sequence[Mapping[str, Any]] | None) -> tuple[ToolCall, ...]:
        """Read calls in the wire form :meth:`to_dict` writes (``None``: no calls)."""
        return tuple(
            cls(str(c["id"]), str(c["function"]["name"]), str(c["function"]["arguments"]))
            for c in raw or ()
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the OpenAI wire form of an assistant's tool call."""
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool offered to the model: name, description and JSON-schema parameters."""

    name: str
    description: str
    parameters: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the OpenAI ``tools`` entry."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": dict(self.parameters),
            },
        }


@dataclass(frozen=True, slots=True)
class Message:
    """One chat turn.

    Attributes:
        role: Who speaks.
        content: The text of the turn.
        tool_calls: Calls an assistant turn asked for (native tool protocol).
        tool_call_id: For a ``tool`` turn, the id of the call it answers.
        name: For a ``tool`` turn, the tool's name.
    """

    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the OpenAI wire form; plain turns stay ``{"role": ..., "content": ...}``."""
        out: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            out["tool_calls"] = [c.to_dict() for c in self.tool_calls]
        if self.tool_call_id is not None:
            out["tool_call_id"] = self.tool_call_id
        if self.name is not None:
            out["name"] = self.name
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Message:
        """Read the wire form written by :meth:`to_dict` (a recorded transcript turn)."""
        return cls(
            role=d["role"],
            content=str(d.get("content") or ""),
            tool_calls=ToolCall.many_from_dicts(d.get("tool_calls")),
            tool_call_id=d.get("tool_call_id"),
            name=d.get("name"),
        )


@dataclass(frozen=True, slots=True)
class Sample:
    """One dataset item after the task's adapter, before rendering.

    Attributes:
        id: Stable identifier: the same row always gets the same id (a content hash or the
            dataset's own key), whatever subset or order is loaded.
        index: Position of the row in the full loaded dataset (used for deterministic order).
        data: The row's fields as the templates see them.
        target: The gold answer as text (what the scorer compares against).
        choices: Answer options for multiple-choice tasks, empty otherwise.
        metadata: Fields used to break metrics down (subject, level, ...) and scorer extras.
    """

    id: str
    index: int
    data: Mapping[str, Any]
    target: str
    choices: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GenerateParams:
    """Generation settings sent with every request of a task.

    Attributes:
        max_tokens: Upper bound on generated tokens; ``None`` leaves it to the server.
        temperature: Sampling temperature; 0 asks for greedy decoding.
        top_p: Nucleus sampling mass.
        seed: Sampling seed passed to backends that accept one.
        stop: Stop sequences.
    """

    max_tokens: int | None = 1024
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int | None = 1234
    stop: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (stop as a list)."""
        return {
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "seed": self.seed,
            "stop": list(self.stop),
        }


@dataclass(frozen=True, slots=True)
class Request:
    """What a backend is asked: chat messages, or a plain text prompt, plus params.

    Exactly one of ``messages`` (chat) and ``prompt`` (text completion) is set.
    """

    sample_id: str
    params: GenerateParams
    messages: tuple[Message, ...] | None = None
    prompt: str | None = None
    epoch: int = 0
    sample_index: int = -1
    tools: tuple[ToolSpec, ...] = ()
    """Tools offered natively (OpenAI ``tools``); empty for plain generation."""
    tool_choice: str | None = None
    """``auto``, ``none`` or ``required``; ``None`` leaves it to the server."""

    @property
    def is_chat(self) -> bool:
        """Whether the request goes to a chat endpoint."""
        return self.messages is not None

    def prompt_json(self) -> list[dict[str, Any]] | str:
        """Return the prompt in the form it is recorded in ``samples.jsonl``."""
        if self.messages is not None:
            return [m.to_dict() for m in self.messages]
        return self.prompt or ""


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts reported by the backend (0 when unknown)."""

    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Completion:
    """The backend's answer to one request."""

    text: str
    finish_reason: FinishReason = "stop"
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    latency_s: float = 0.0
    cached: bool = False
    option_logprobs: tuple[float, ...] | None = None
    """Log-likelihood of each option, when the answer was chosen by ranking options."""
    tool_calls: tuple[ToolCall, ...] = ()
    """Native tool calls in the reply (``finish_reason`` is then usually ``tool_calls``)."""


@dataclass(frozen=True, slots=True)
class Score:
    """A scorer's verdict on one completion.

    Attributes:
        value: The primary per-sample score (usually 0.0 or 1.0).
        answer: The answer the scorer extracted, or ``None`` when none was found.
        reason: Why the score is what it is, when notable: ``no_answer_found``,
            ``truncated``, ``hedged``, ``timeout`` ...
        metrics: Named per-sample values aggregated into run metrics (e.g. ``strict`` and
            ``flexible``). Keys absent from a sample leave it out of that metric.
        weights: Optional weight per metric key (default 1). A metric is aggregated as the
            weighted mean, so instruction-level accuracy is ``value=fraction, weight=count``.
        details: JSON-ready extras kept in ``samples.jsonl`` (e.g. per-instruction verdicts).
    """

    value: float
    answer: str | None = None
    reason: str | None = None
    metrics: Mapping[str, float] = field(default_factory=dict)
    weights: Mapping[str, float] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SampleResult:
    """Everything recorded about one sample: request, completion, score or error.

    ``completion`` is the final model reply; ``transcript`` holds every turn after the prompt
    for multi-turn solvers (assistant turns with their tool calls, tool results), empty for
    one-request samples.
    """

    sample: Sample
    request: Request
    completion: Completion | None
    score: Score | None
    error: str | None = None
    attempts: int = 1
    transcript: tuple[Message, ...] = ()
