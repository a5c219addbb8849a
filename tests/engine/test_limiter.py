"""Adaptive concurrency: 429s lower the in-flight limit, clean answers raise it again."""

import asyncio

from evalkit.backends import BackendIdentity, Capabilities
from evalkit.backends.mock import echo
from evalkit.config import RunConfig
from evalkit.engine.limiter import AdaptiveLimiter
from evalkit.engine.run import run
from evalkit.errors import TransientBackendError
from evalkit.types import Completion, Request


def test_sustained_429s_halve_once_per_generation_and_clean_answers_recover():
    limiter = AdaptiveLimiter(32)
    for _ in range(6):
        limiter.rate_limited(0)  # one burst: cut once, after enough of the window is 429s
    assert limiter.limit == 16
    for _ in range(16):
        limiter.succeeded()
    assert limiter.limit == 17
    for generation in range(1, 10):
        for _ in range(4):
            limiter.rate_limited(generation)
    assert limiter.limit == 1 and limiter.lowest == 1


def test_an_occasional_429_does_not_cut():
    limiter = AdaptiveLimiter(32)
    for i in range(200):
        if i % 15 == 0:  # about 7% rate-limited, spread out
            limiter.rate_limited(0)
        else:
            limiter.succeeded()
    assert limiter.limit == 32


class QuotaBackend:
    """Answers 429 whenever more than `quota` requests are in flight."""

    def __init__(self, quota: int) -> None:
        self.quota = quota
        self.in_flight = 0
        self.rejected = 0
        self.peak_accepted = 0

    @property
    def identity(self) -> BackendIdentity:
        return BackendIdentity("test", "quota")

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(cacheable=False)

    async def generate(self, request: Request) -> Completion:
        self.in_flight += 1
        try:
            if self.in_flight > self.quota:
                self.rejected += 1
                raise TransientBackendError("HTTP 429: slow down", retry_after=0.0, status=429)
            self.peak_accepted = max(self.peak_accepted, self.in_flight)
            await asyncio.sleep(0.005)
            return Completion(echo(request))
        finally:
            self.in_flight -= 1

    async def preflight(self) -> None:
        pass

    async def aclose(self) -> None:
        pass


def test_run_under_a_quota_completes_with_fewer_rejections(tmp_path, fixture_data, fixture_tasks):
    backend = QuotaBackend(quota=2)
    cfg = RunConfig(
        model="mock/echo",
        tasks=("echo_exact",),
        data_dir=fixture_data,
        tasks_dir=(fixture_tasks,),
        output_dir=tmp_path,
        concurrency=8,
        max_attempts=20,
    )
    (out,) = run(cfg, backend=backend)
    assert out.record.counts["errors"] == 0 and out.record.metrics["accuracy"]["mean"] == 1.0
    # Without adaptation every wave of 8 would see 6 rejections; the limiter cuts that down.
    assert backend.rejected < 30
