"""Retry waits: overload signals back off from the first retry, other failures retry at once."""

from __future__ import annotations

import asyncio
import random

import pytest

from evalkit.engine import retry
from evalkit.engine.retry import RetryPolicy, overloaded, with_retries
from evalkit.errors import TransientBackendError


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (TransientBackendError("HTTP 429", status=429), True),
        (TransientBackendError("HTTP 503", status=503), True),
        (TransientBackendError("HTTP 500", retry_after=1.0, status=500), True),
        (TransientBackendError("HTTP 500", status=500), False),
        (TransientBackendError("connection error (ReadError)"), False),
    ],
)
def test_what_counts_as_overload(error, expected):
    assert overloaded(error) is expected


def test_a_failure_that_is_no_overload_waits_two_steps_less():
    policy, rng = RetryPolicy(base_s=0.25, cap_s=20.0), random.Random(0)
    assert policy.delay(1, None, rng, overloaded=False) == 0.0
    assert policy.delay(2, None, rng, overloaded=False) == 0.0
    assert 0.125 <= policy.delay(3, None, rng, overloaded=False) <= 0.25
    assert 0.125 <= policy.delay(1, None, rng, overloaded=True) <= 0.25
    assert 0.25 <= policy.delay(2, None, rng, overloaded=True) <= 0.5
    assert policy.delay(1, 3.0, rng, overloaded=False) == 3.0  # Retry-After is obeyed
    assert policy.delay(30, None, rng, overloaded=False) <= 20.0


def test_a_500_is_retried_without_waiting_and_a_429_waits(monkeypatch):
    waits: list[float] = []

    async def no_sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(retry.asyncio, "sleep", no_sleep)

    async def retried(error: TransientBackendError) -> int:
        calls = 0

        async def call() -> str:
            nonlocal calls
            calls += 1
            if calls < 4:
                raise error
            return "ok"

        got = await with_retries(call, RetryPolicy(base_s=1.0), random.Random(0))
        assert got.value == "ok"
        return got.attempts

    assert asyncio.run(retried(TransientBackendError("HTTP 500", status=500))) == 4
    assert waits[:2] == [0.0, 0.0] and 0.5 <= waits[2] <= 1.0  # twice at once, then backoff
    waits.clear()
    assert asyncio.run(retried(TransientBackendError("HTTP 429", status=429))) == 4
    assert 0.5 <= waits[0] <= 1.0 and 1.0 <= waits[1] <= 2.0 and 2.0 <= waits[2] <= 4.0
