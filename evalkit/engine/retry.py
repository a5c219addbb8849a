"""Retrying transient backend failures with capped exponential backoff.

Only :class:`~evalkit.errors.TransientBackendError` is retried; a fatal error ends the sample at
once. Waits honour the server's ``Retry-After`` (capped), and both the number of attempts and
the total time spent waiting are bounded, so nothing retries forever.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from evalkit.errors import BackendError, TransientBackendError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try one request.

    Attributes:
        max_attempts: Attempts in all, the first included.
        base_s: First backoff; it doubles each attempt.
        cap_s: Largest single wait (also caps ``Retry-After``).
        max_total_s: Largest total waiting time across all attempts.
    """

    max_attempts: int = 6
    base_s: float = 0.25
    cap_s: float = 20.0
    max_total_s: float = 600.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Return the wait before attempt ``attempt + 1`` (attempts count from 1)."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.cap_s)
        backoff = min(self.cap_s, self.base_s * 2 ** (attempt - 1))
        return float(backoff * (0.5 + rng.random() / 2))  # jitter spreads retries of many requests


@dataclass(frozen=True, slots=True)
class Attempted(Generic[T]):
    """The outcome of a retried call: a value, or the last error, and how many attempts it took."""

    value: T | None
    error: BackendError | None
    attempts: int


async def with_retries(
    call: Callable[[], Awaitable[T]], policy: RetryPolicy, rng: random.Random
) -> Attempted[T]:
    """Await ``call()`` until it succeeds, fails fatally, or the policy gives up."""
    waited = 0.0
    attempt = 0
    while True:
        attempt += 1
        try:
            return Attempted(await call(), None, attempt)
        except TransientBackendError as exc:
            wait = policy.delay(attempt, exc.retry_after, rng)
            if attempt >= policy.max_attempts or waited + wait > policy.max_total_s:
                return Attempted(None, exc, attempt)
            waited += wait
            await asyncio.sleep(wait)
        except BackendError as exc:
            return Attempted(None, exc, attempt)
