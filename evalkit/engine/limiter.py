"""Adaptive concurrency: fewer requests in flight while the server rate-limits, more when clean.

An additive-increase / multiplicative-decrease limiter. Rate-limit answers (HTTP 429) halve the
in-flight limit when they keep coming: at least ``threshold`` of the last ``window`` answers were
429s (an occasional 429 from a busy shared endpoint is retried, not a reason to crawl), and the
rejected request was sent after the last cut (the other rejections of the same burst were caused
by the old limit, as TCP counts one loss per round trip). Every ``limit`` successes in a row raise
the limit by one, up to the configured maximum. The limit never goes below one, so a run always
makes progress.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class AdaptiveLimiter:
    """Admits at most ``limit`` requests at a time; see the module docstring."""

    def __init__(self, maximum: int, window: int = 16, threshold: int = 4) -> None:
        self.maximum = maximum
        self._recent: deque[bool] = deque(maxlen=window)
        self._threshold = threshold
        self.limit = maximum
        self.in_flight = 0
        self.lowest = maximum
        self._generation = 0
        self._streak = 0
        self._cond = asyncio.Condition()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[int]:
        """Hold one in-flight slot; yields the generation to pass to :meth:`rate_limited`."""
        async with self._cond:
            await self._cond.wait_for(lambda: self.in_flight < self.limit)
            self.in_flight += 1
        try:
            yield self._generation
        finally:
            async with self._cond:
                self.in_flight -= 1
                self._cond.notify_all()

    def rate_limited(self, generation: int) -> None:
        """A request sent in ``generation`` got a 429: halve the limit if 429s keep coming."""
        self._streak = 0
        self._recent.append(True)
        if generation == self._generation and sum(self._recent) >= self._threshold:
            self._recent.clear()
            self._generation += 1
            self.limit = max(1, self.limit // 2)
            self.lowest = min(self.lowest, self.limit)

    def succeeded(self) -> None:
        """A request succeeded: after ``limit`` clean ones in a row, allow one more in flight."""
        self._recent.append(False)
        self._streak += 1
        if self._streak >= self.limit and self.limit < self.maximum:
            self._streak = 0
            self.limit += 1
