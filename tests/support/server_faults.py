"""Fault injection for the test server: which request fails, and how.

A fault is decided from a hash of ``(seed, request body, attempt number for that body)``, so a
run is reproducible and a retried request (same body, next attempt) gets a fresh draw. After
``max_faulty_attempts`` attempts a body is always answered, so a client that retries enough
always finishes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal, get_args

FaultKind = Literal["429", "500", "503", "hang", "reset", "malformed"]
"""``429``/``500``/``503``: an error status with an OpenAI error body; ``hang``: answer only after
``hang_s`` seconds; ``reset``: close the socket without a response; ``malformed``: a 200 whose
JSON body is cut short."""

FAULT_KINDS: tuple[FaultKind, ...] = get_args(FaultKind)
"""Every fault kind, in a fixed order."""


def parse_fault_kinds(text: str) -> tuple[FaultKind, ...]:
    """Parse a comma-separated list such as ``"429,500,hang"``.

    Raises:
        ValueError: a name is not a :data:`FaultKind`.
    """
    kinds: list[FaultKind] = []
    for name in (part.strip() for part in text.split(",")):
        if not name:
            continue
        matches = [kind for kind in FAULT_KINDS if kind == name]
        if not matches:
            raise ValueError(f"unknown fault {name!r}; choose from {', '.join(FAULT_KINDS)}")
        kinds.append(matches[0])
    return tuple(kinds)


def body_digest(body: bytes) -> bytes:
    """Return the key that identifies a request body across retries."""
    return hashlib.blake2b(body, digest_size=16).digest()


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """When and how requests fail.

    Attributes:
        rate: Probability that an eligible attempt fails (0 disables faults).
        seed: Seed of the draws; another seed fails other requests.
        kinds: Faults to choose from, uniformly.
        max_faulty_attempts: Attempts after this many for one body never fail.
    """

    rate: float = 0.0
    seed: int = 0
    kinds: tuple[FaultKind, ...] = FAULT_KINDS
    max_faulty_attempts: int = 5

    def decide(self, digest: bytes, attempt: int) -> FaultKind | None:
        """Return the fault for attempt ``attempt`` (1-based) of the body ``digest``, if any."""
        if self.rate <= 0 or not self.kinds or attempt > self.max_faulty_attempts:
            return None
        draw = hashlib.blake2b(f"{self.seed}:{attempt}:".encode() + digest, digest_size=16).digest()
        if int.from_bytes(draw[:8], "big") / 2**64 >= self.rate:
            return None
        return self.kinds[int.from_bytes(draw[8:], "big") % len(self.kinds)]
