"""Scorers: extraction and comparison of answers, one module per family.

A scorer is built from a task's parameters by a factory registered in :data:`SCORERS` and exposes
one method: :meth:`Scorer.score` for pure checkers (deterministic: the same sample and completion
always give the same :class:`~evalkit.types.Score`; the engine runs them off the event loop with a
time bound), or :meth:`ResourceScorer.ascore` for scorers that need a judge model or the sandbox,
which the engine lends them through :class:`ScoringResources`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from evalkit.registry import Registry
from evalkit.types import Completion, Message, Request, Sample, Score

if TYPE_CHECKING:
    from evalkit.sandbox import Sandbox


@runtime_checkable
class Scorer(Protocol):
    """Turns a completion for a sample into a :class:`Score` (pure, deterministic)."""

    def score(self, sample: Sample, completion: Completion) -> Score:
        """Score ``completion`` against ``sample.target``."""
        ...


ModelCall = Callable[[Request], Awaitable[Completion]]
"""A model call made through the engine: cached, retried and within the concurrency budget."""


@dataclass(frozen=True, slots=True)
class ScoringResources:
    """What the engine lends a resource scorer; a scorer never builds its own clients.

    Attributes:
        judge: Calls the judge model (``--judge``); ``None`` when no judge was configured.
        sandbox: The sandbox that runs model-written code; ``None`` when not needed.
    """

    judge: ModelCall | None = None
    sandbox: Sandbox | None = None


@runtime_checkable
class ResourceScorer(Protocol):
    """A scorer that needs resources (a judge model, a sandbox): async, lent by the engine.

    ``needs`` names what it uses (``"judge"``, ``"sandbox"``) so the run can refuse before the
    first request when a resource is missing.
    """

    needs: frozenset[str]

    async def ascore(
        self,
        sample: Sample,
        completion: Completion,
        transcript: tuple[Message, ...],
        resources: ScoringResources,
    ) -> Score:
        """Score the final ``completion`` (and the whole ``transcript``) of ``sample``."""
        ...


ScorerFactory = Callable[[Mapping[str, Any]], "Scorer | ResourceScorer"]
"""Builds a scorer from the task's resolved parameters."""

SCORERS: Registry[ScorerFactory] = Registry(
    "scorer",
    {
        "gsm8k": "evalkit.scoring.numeric.scorer:make_gsm8k_scorer",
        "math": "evalkit.scoring.math.scorer:make_math_scorer",
        "choice": "evalkit.scoring.choice.scorer:make_choice_scorer",
        "ifeval": "evalkit.scoring.ifeval:make_ifeval_scorer",
        "exact": "evalkit.scoring.exact:make_exact_scorer",
        "code_tests": "evalkit.scoring.code:make_code_tests_scorer",
        "rubric": "evalkit.scoring.judge:make_rubric_scorer",
        "bfcl": "evalkit.scoring.calls:make_bfcl_scorer",
        "ruler": "evalkit.longctx.scorer:make_ruler_scorer",
    },
    group="evalkit.scorers",
)
