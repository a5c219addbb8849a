"""Scorers: extraction and comparison of answers, one module per family.

A scorer is built from a task's parameters by a factory registered in :data:`SCORERS` and exposes
one method: :meth:`Scorer.score` for pure checkers (deterministic: the same sample and completion
always give the same :class:`~evalkit.types.Score`; the engine runs them off the event loop with a
time bound), or :meth:`ResourceScorer.ascore` for scorers that need a judge model or the sandbox,
which the engine lends them through :class:`ScoringResources`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from evalkit.registry import Registry
from evalkit.types import Completion, Message, Request, Sample, Score

if TYPE_CHECKING:
    from evalkit.sandbox import Sandbox
    from evalkit.scoring.judge.baseline import BaselineRun


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
        baseline: The run pairwise scorers compare with (``--baseline-run``), when needed.
    """

    judge: ModelCall | None = None
    sandbox: Sandbox | None = None
    baseline: BaselineRun | None = None


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


@runtime_checkable
class RunSummarizer(Protocol):
    """A scorer with metrics that are not per-sample means (optional, beside ``score``/``ascore``).

    ``summarize`` gets every sample line of the run (``samples.jsonl``) and returns extra
    entries of ``run.json["metrics"]`` (metric summaries: mean, stderr, CI, n), computed as a
    pure function of the lines and the run's seed, e.g. a regression over all pairs.
    """

    def summarize(self, lines: Sequence[Mapping[str, Any]], seed: int) -> dict[str, Any]:
        """Run-level metrics of ``lines``."""
        ...


def run_metrics(
    scorer: str, params: Mapping[str, Any], lines: Sequence[Mapping[str, Any]], seed: int
) -> dict[str, Any]:
    """The run-level metrics of the named scorer (``{}`` when it has no ``summarize``)."""
    if not SCORERS.has(scorer):
        return {}
    built = SCORERS.get(scorer)(params)
    return built.summarize(lines, seed) if isinstance(built, RunSummarizer) else {}


def judge_settings(scorer: Scorer | ResourceScorer) -> dict[str, Any]:
    """What a judge-scored run records beside the judge model (``run.json["judge"]``).

    A scorer states its judging in an optional ``judge_settings`` mapping: the prompt
    templates' sha256, the judge's generation parameters, the score scale, the mode.
    """
    settings = getattr(scorer, "judge_settings", None)
    return dict(settings) if isinstance(settings, Mapping) else {}


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
        "mtbench": "evalkit.scoring.judge.modes:make_mtbench_scorer",
        "judged": "evalkit.scoring.judge.modes:make_judged_scorer",
        "bfcl": "evalkit.scoring.calls:make_bfcl_scorer",
        "ruler": "evalkit.longctx.scorer:make_ruler_scorer",
    },
    group="evalkit.scorers",
)
