"""Exact sizing: the largest haystack whose whole prompt fits a token budget.

The budget of a sample is its length minus the generation budget (``max_tokens``), counted in the
evaluated model's tokens on the whole rendered request (chat template included where the counter
can apply it). The search is over the number of haystack units ``n`` (sentences, or words of the
``cwe`` list), never a tokenize call per unit:

1. a first guess from the previous sample of the same subtask and length, or from a calibration
   (two short prompts give the fixed overhead and the tokens per unit);
2. secant steps ``n += (budget - tokens) / rate``, kept inside the bracket of counts known to fit
   and known not to fit, with bisection when a step would leave it;
3. stop when the prompt fits with less than 0.5% of the budget unused, or when the bracket is one
   unit wide (the largest ``n`` that fits).

A typical sample costs one or two tokenize calls.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from evalkit.errors import ConfigError

SLACK = 0.005
"""Stop once the prompt fits with at most this share of the budget unused."""
CALIBRATION_UNITS = 200
MAX_CALLS = 40


@dataclass(frozen=True, slots=True)
class Fit:
    """The outcome of a search.

    Attributes:
        units: Haystack units used.
        tokens: The prompt's measured length in tokens.
        calls: Tokenize calls made.
    """

    units: int
    tokens: int
    calls: int


@dataclass(frozen=True, slots=True)
class Calibration:
    """Tokens of the prompt without haystack, and tokens per haystack unit."""

    overhead: int
    rate: float

    def guess(self, budget: int) -> int:
        """The unit count this calibration predicts for ``budget``."""
        return max(0, int((budget - self.overhead) / self.rate))


def calibrate(measure: Callable[[int], int]) -> Calibration:
    """Measure the empty prompt and one of :data:`CALIBRATION_UNITS` units."""
    overhead = measure(0)
    rate = (measure(CALIBRATION_UNITS) - overhead) / CALIBRATION_UNITS
    return Calibration(overhead, max(rate, 0.1))


def _next(n: int, tokens: int, budget: int, rate: float, lo: int | None, hi: int | None) -> int:
    """A secant step from ``(n, tokens)``, or the bracket's midpoint when it would leave it."""
    if tokens <= budget:
        step = max(1, math.floor((budget - tokens) / rate))
    else:
        step = -max(1, math.ceil((tokens - budget) / rate))
    proposal = n + step
    low = -1 if lo is None else lo
    if low < proposal and (hi is None or proposal < hi):
        return proposal
    if hi is None:
        return low + max(1, low + 1)  # no upper bound yet: double
    return (low + hi + 1) // 2


def fit_units(measure: Callable[[int], int], budget: int, guess: int, rate: float) -> Fit:
    """Find (nearly) the largest ``n`` with ``measure(n) <= budget``.

    Args:
        measure: Prompt tokens with ``n`` haystack units (must grow with ``n``).
        budget: Tokens the prompt may use.
        guess: Where to start.
        rate: Expected tokens per unit (refined from the measurements).

    Raises:
        ConfigError: even an empty haystack does not fit.
    """
    lo: int | None = None
    lo_tokens = 0
    hi: int | None = None
    n, calls, last = max(guess, 0), 0, None
    while calls < MAX_CALLS:
        tokens = measure(n)
        calls += 1
        if last is not None and n != last[0] and tokens > last[1]:
            rate = (tokens - last[1]) / (n - last[0])
        last = (n, tokens)
        if tokens <= budget:
            lo, lo_tokens = n, tokens
            if budget - tokens <= budget * SLACK:
                break
        elif n == 0:
            raise ConfigError(
                f"the prompt needs {tokens} tokens without any haystack, more than the budget "
                f"of {budget}: use a longer length or a smaller max_tokens"
            )
        else:
            hi = n
        if hi is not None and lo is not None and hi - lo <= 1:
            break
        n = _next(n, tokens, budget, rate, lo, hi)
    if lo is None:
        return fit_units(measure, budget, 0, rate)
    return Fit(lo, lo_tokens, calls)
