"""Model calls as the engine makes them: from the cache, or limited and retried.

Every model call of a run goes through one :class:`ModelCaller`: the evaluated model's turns
(whatever the solver) and a judge's verdicts alike, so all of them are cached, retried and
bounded by the same rules. A call that fails after its retries is a :class:`CallResult` with an
error, never an exception and never fake text.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from evalkit.backends import Backend
from evalkit.engine.cache import ResponseCache, cache_key
from evalkit.engine.limiter import AdaptiveLimiter
from evalkit.engine.ranking import rank_options
from evalkit.engine.retry import RetryPolicy, with_retries
from evalkit.errors import JudgeCallFailed, TransientBackendError
from evalkit.task.params import ScoringMode
from evalkit.types import Completion, Request, Sample


@dataclass(frozen=True, slots=True)
class CallResult:
    """A finished call: the completion, or the error that ended its retries."""

    completion: Completion | None
    attempts: int
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ModelCaller:
    """Calls one backend for a run: cache, adaptive limit and retries around each call."""

    backend: Backend
    policy: RetryPolicy
    rng: random.Random
    limiter: AdaptiveLimiter
    cache: ResponseCache | None = None
    mode: ScoringMode = ScoringMode()

    async def __call__(self, sample: Sample, request: Request) -> CallResult:
        """Answer ``request`` (for ``sample``) from the cache, else from the backend."""
        key = self._key(sample, request)
        cached = self.cache.get(key) if self.cache is not None and key else None
        if cached is not None:
            return CallResult(cached, 0)
        attempted = await with_retries(
            lambda: self._limited(sample, request), self.policy, self.rng
        )
        if attempted.value is None:
            error = f"{type(attempted.error).__name__}: {attempted.error}"
            return CallResult(None, attempted.attempts, error)
        if self.cache is not None and key:
            self.cache.put(key, attempted.value)
        return CallResult(attempted.value, attempted.attempts)

    async def complete(self, request: Request) -> Completion:
        """Answer a request that belongs to no sample (a judge prompt); raise on failure.

        Raises:
            JudgeCallFailed: the call failed after its retries.
        """
        sample = Sample(id=request.sample_id, index=request.sample_index, data={}, target="")
        result = await self(sample, request)
        if result.completion is None:
            raise JudgeCallFailed(result.error or "judge call failed")
        return result.completion

    def _key(self, sample: Sample, request: Request) -> str:
        if self.cache is None:
            return ""
        return cache_key(self.backend.identity, request, self.mode.key, sample.choices)

    async def _limited(self, sample: Sample, request: Request) -> Completion:
        async with self.limiter.slot() as generation:
            try:
                if self.mode.kind == "generate":
                    completion = await self.backend.generate(request)
                else:
                    completion = await rank_options(self.backend, self.mode.target, sample, request)
            except TransientBackendError as exc:
                if exc.rate_limited:
                    self.limiter.rate_limited(generation)
                raise
        self.limiter.succeeded()
        return completion
