"""Solvers: how a sample becomes a final answer and a transcript.

A solver receives the sample, its rendered request and a :class:`SolveEnv` (the engine's model
call, already cached, retried and limited, and the task's tools), and returns :class:`Solved`.
``generate`` makes one call (the default); ``tool_loop`` lets the model call tools for up to
``max_turns`` turns. Third parties register more under the ``evalkit.solvers`` entry point.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from evalkit.engine.calls import CallResult
from evalkit.registry import Registry
from evalkit.task.params import SolverParams
from evalkit.types import Completion, Message, Request, Sample

SOLVER_STATS = ("turns", "tool_calls", "used_tool", "turn_limit", "tool_error_rate")
"""Per-sample counts a multi-turn solver adds to the metrics (kept as they are on rescore)."""

Stop = Literal["answer", "turn_limit", "error"]
"""Why a solver stopped: the model answered, it was still calling tools, or a call failed."""


@dataclass(frozen=True, slots=True)
class SolveEnv:
    """What the engine lends a solver for one sample.

    Attributes:
        call: The model call (cache, limit, retries); never raises for backend failures.
        tools: The tools offered, by name; empty for plain generation.
        sandbox: The sandbox stateful tools open sessions in, when the task needs one.
    """

    call: Callable[[Sample, Request], Awaitable[CallResult]]
    tools: Mapping[str, Any] = field(default_factory=dict)
    sandbox: Any = None


@dataclass(frozen=True, slots=True)
class Solved:
    """A solver's result for one sample.

    Attributes:
        completion: The final model reply (``None`` when a call failed).
        transcript: Every turn after the prompt (assistant turns, tool results), in order;
            empty for one-call solvers.
        attempts: Model-call attempts in all (0 when every answer came from the cache).
        error: Why the sample failed, when a model call failed after its retries.
        stop: Why the solver stopped.
        stats: Per-sample counts kept as metrics (tool calls, tool errors, turns ...).
        request: The first request as sent, when the solver changed the rendered one (a tool
            protocol's instructions added): the record shows what the model saw.
    """

    completion: Completion | None
    transcript: tuple[Message, ...] = ()
    attempts: int = 0
    error: str | None = None
    stop: Stop = "answer"
    stats: Mapping[str, float] = field(default_factory=dict)
    request: Request | None = None


class Solver(Protocol):
    """Turns a sample and its request into a :class:`Solved`."""

    async def solve(self, sample: Sample, request: Request, env: SolveEnv) -> Solved:
        """Solve ``sample``, starting from ``request``."""
        ...


SolverFactory = Callable[[SolverParams], Solver]
"""Builds a solver from the task's typed solver parameters."""

SOLVERS: Registry[SolverFactory] = Registry(
    "solver",
    {
        "generate": "evalkit.engine.solvers.generate:make_generate",
        "tool_loop": "evalkit.engine.solvers.tool_loop:make_tool_loop",
        "multi_turn": "evalkit.engine.solvers.multi_turn:make_multi_turn",
    },
    group="evalkit.solvers",
)
