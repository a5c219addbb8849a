"""Counters of the test server, served at ``GET /stats`` and cleared by ``POST /stats/reset``.

Only API requests (``/v1/...``) are counted; the stats endpoints themselves are not, so reading
the stats does not change them.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any


class ServerStats:
    """Mutable counters owned by one server (single event loop, so no locking)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Zero every counter and forget every body seen (attempt numbers restart at 1)."""
        self.connections = 0
        self.requests = 0
        self.completed = 0
        self.in_flight = 0
        self.peak_in_flight = 0
        self.first_post_at: float | None = None
        self.last_end_at: float | None = None
        self.faults_by_kind: Counter[str] = Counter()
        self.status_counts: Counter[int] = Counter()
        self._body_counts: Counter[bytes] = Counter()

    def connection_opened(self) -> None:
        """Count an accepted connection (keep-alive clients open few)."""
        self.connections += 1

    def begin(self, method: str = "POST") -> None:
        """Count a request that starts being handled (the first POST's arrival time is kept)."""
        if method == "POST" and self.first_post_at is None:
            self.first_post_at = time.time()
        self.requests += 1
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def end(self, status: int | None, *, ok: bool) -> None:
        """Count a request that is done.

        Args:
            status: The status sent, or ``None`` when the connection was dropped instead.
            ok: Whether it was a real answer (an injected malformed 200 is not).
        """
        self.in_flight -= 1
        self.last_end_at = time.time()
        if status is not None:
            self.status_counts[status] += 1
        if ok:
            self.completed += 1

    def next_attempt(self, digest: bytes) -> int:
        """Return the 1-based attempt number of this request body."""
        self._body_counts[digest] += 1
        return self._body_counts[digest]

    def record_fault(self, kind: str) -> None:
        """Count an injected fault."""
        self.faults_by_kind[kind] += 1

    def snapshot(self) -> dict[str, Any]:
        """Return the counters as JSON-ready data."""
        return {
            "connections": self.connections,
            "requests": self.requests,
            "completed": self.completed,
            "in_flight": self.in_flight,
            "peak_in_flight": self.peak_in_flight,
            "first_post_at": self.first_post_at,
            "last_end_at": self.last_end_at,
            "faults_by_kind": dict(sorted(self.faults_by_kind.items())),
            "status_counts": {str(k): v for k, v in sorted(self.status_counts.items())},
            "per_body_counts_max": max(self._body_counts.values(), default=0),
            "distinct_bodies": len(self._body_counts),
        }
