"""Paired comparison of two runs scored on the same items: difference, McNemar, drop test.

This module owns the statistics that ``compare`` and ``gate`` rely on. Two runs are *paired*
when their values are aligned item by item (same sample ids, same order); pairing removes the
spread of item difficulty, which an unpaired comparison would count twice.

* :func:`paired_bootstrap`: the difference ``cand - base`` with a paired percentile-bootstrap CI.
* :func:`mcnemar_exact` / :func:`discordant_pairs`: the exact McNemar test on 0/1 scores.
* :func:`paired_drop_test`: the regression gate's decision, a one-sided non-inferiority test.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from evalkit.stats.metrics import (
    FloatArray,
    as_values,
    as_weights,
    bootstrap_ratios,
    json_float,
    percentile_ci,
    ratio_stderr,
)


@dataclass(frozen=True, slots=True)
class PairedDiff:
    """Difference between two runs on the same items.

    Attributes:
        diff: ``mean(cand) - mean(base)`` (weighted when weights were given).
        ci_low: Lower end of the paired percentile-bootstrap interval.
        ci_high: Upper end of that interval.
        n: Number of paired items.
    """

    diff: float
    ci_low: float
    ci_high: float
    n: int

    def to_dict(self) -> dict[str, float | int | None]:
        """Return a JSON-ready dict with floats rounded to 6 decimals and NaN as ``None``."""
        return {
            "diff": json_float(self.diff),
            "ci_low": json_float(self.ci_low),
            "ci_high": json_float(self.ci_high),
            "n": self.n,
        }


def _paired(
    base: Sequence[float], cand: Sequence[float], weights: Sequence[float] | None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    b = as_values(base, "base")
    c = as_values(cand, "cand")
    if b.shape != c.shape:
        raise ValueError(f"paired runs differ in length: {b.shape[0]} vs {c.shape[0]}")
    return b, c, as_weights(weights, b.shape[0])


def paired_bootstrap(
    base: Sequence[float],
    cand: Sequence[float],
    *,
    weights: Sequence[float] | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    alpha: float = 0.05,
) -> PairedDiff:
    """Paired difference of two runs with a percentile-bootstrap interval.

    Items are resampled as pairs, so the interval reflects only the disagreement between the runs,
    not the difficulty spread of the items (which an unpaired comparison would count twice).

    Args:
        base: Per-item values of the baseline run.
        cand: Per-item values of the candidate, in the same item order.
        weights: Per-item weights shared by both runs (e.g. instruction counts); default 1.
        n_boot: Bootstrap replicates.
        seed: Bootstrap seed.
        alpha: The interval has level ``1 - alpha``.

    Returns:
        The difference ``cand - base`` and its interval; NaN with ``n=0`` for no items.

    Raises:
        ValueError: Mismatched lengths or invalid values.
    """
    b, c, w = _paired(base, cand, weights)
    if b.shape[0] == 0:
        return PairedDiff(math.nan, math.nan, math.nan, 0)
    d = c - b
    diff = math.fsum(d * w) / math.fsum(w) if math.fsum(w) > 0 else math.nan
    reps = bootstrap_ratios(d[:, None], w[:, None], n_boot, seed)
    low, high = percentile_ci(reps, 1.0 - alpha)
    return PairedDiff(diff, float(low[0]), float(high[0]), b.shape[0])


def mcnemar_exact(b: int, c: int) -> float:
    """Exact two-sided McNemar p-value from the discordant pair counts.

    ``p = min(1, 2 * P(X <= min(b, c)))`` with ``X ~ Binomial(b + c, 1/2)``. The largest term of
    the tail is computed with exact integers and the rest as ratios to it, so the result is
    accurate to about 1e-13 relative even for ``b + c`` in the hundreds of thousands.

    Args:
        b: Items right in one run and wrong in the other.
        c: Items wrong in the first run and right in the other.

    Returns:
        The p-value, 1.0 when there are no discordant pairs.

    Raises:
        ValueError: A negative count.

    Example:
        >>> round(mcnemar_exact(1, 9), 6)
        0.021484
    """
    if b < 0 or c < 0:
        raise ValueError(f"counts must be non-negative, got b={b}, c={c}")
    n, k = b + c, min(b, c)
    if 2 * k >= n:  # also n == 0: the lower tail already holds half the mass
        return 1.0
    # P(X = k) as a correctly rounded float (int / int is exact-then-rounded in Python).
    top = math.comb(n, k) / (1 << n)
    total, term = 1.0, 1.0
    for i in range(k, 0, -1):  # P(X = i - 1) / P(X = i) = i / (n - i + 1)
        term *= i / (n - i + 1)
        total += term
        if term < 1e-17 * total:  # terms only shrink further down the tail
            break
    return min(1.0, 2.0 * top * total)


def discordant_pairs(base: Sequence[float], cand: Sequence[float]) -> tuple[int, int]:
    """Count the items a candidate lost and gained against a baseline (binary scores).

    Args:
        base: Per-item 0/1 scores of the baseline.
        cand: Per-item 0/1 scores of the candidate, same order.

    Returns:
        ``(lost, gained)``: items right in ``base`` and wrong in ``cand``, and the reverse.

    Raises:
        ValueError: Mismatched lengths or a score other than 0 or 1.
    """
    b, c, _ = _paired(base, cand, None)
    if not (_is_binary(b) and _is_binary(c)):
        raise ValueError("discordant pairs need 0/1 scores")
    return _lost_gained(b, c)


def _is_binary(x: FloatArray) -> bool:
    return bool(np.isin(x, (0.0, 1.0)).all())


def _lost_gained(b: FloatArray, c: FloatArray) -> tuple[int, int]:
    return int(np.sum((b == 1) & (c == 0))), int(np.sum((b == 0) & (c == 1)))


@dataclass(frozen=True, slots=True)
class DropTest:
    """Verdict of :func:`paired_drop_test`.

    Attributes:
        diff: ``mean(cand) - mean(base)``; the drop is ``-diff``.
        margin: The drop tolerated, in the units of the scores (0.01 is one point of accuracy).
        statistic: The z statistic of ``drop - margin`` (positive when the drop exceeds it).
        pvalue: One-sided p-value of "the true drop is at most ``margin``".
        method: ``score`` (Tango's score test, 0/1 scores) or ``wald`` (other scores or weights).
        n: Number of paired items.
        alpha: Significance level of the verdict.
        regressed: ``pvalue < alpha``: the candidate is significantly worse by more than
            ``margin``.
    """

    diff: float
    margin: float
    statistic: float
    pvalue: float
    method: Literal["score", "wald"]
    n: int
    alpha: float
    regressed: bool


def _normal_sf(z: float) -> float:
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def _tango(lost: int, gained: int, n: int, margin: float) -> tuple[float, float]:
    """Tango's (1998) score test of ``P(lost) - P(gained) <= margin`` for paired 0/1 scores."""
    # Restricted MLE of P(gained) = q with P(lost) = q + margin: the positive root of
    # 2n q^2 + B q - gained * margin * (1 - margin) = 0.
    big_b = margin * (2 * n - lost + gained) - (lost + gained)
    const = gained * margin * (1.0 - margin)
    root = math.sqrt(big_b * big_b + 8.0 * n * const)
    # Two algebraically equal forms of the root; each avoids cancellation on its side.
    q = (root - big_b) / (4.0 * n) if big_b <= 0 else 2.0 * const / (big_b + root)
    variance = n * (2.0 * q + margin - margin * margin)
    excess = lost - gained - n * margin
    if variance <= 0.0:  # only margin == 0 with no discordant pairs: nothing moved
        return 0.0, 1.0
    z = excess / math.sqrt(variance)
    return z, _normal_sf(z)


def _wald(drops: FloatArray, w: FloatArray, margin: float) -> tuple[float, float]:
    """Wald z test of the weighted mean drop against ``margin`` (delta-method stderr)."""
    mean = math.fsum(drops * w) / math.fsum(w)
    se = float(ratio_stderr(drops[:, None], w[:, None], np.array([mean]))[0])
    if drops.shape[0] < 2 or math.isnan(se):
        return 0.0, 1.0  # one item says nothing about noise: never a significant verdict
    if se == 0.0:  # every item moved by the same amount: the drop is known exactly
        return (math.inf, 0.0) if mean > margin else (-math.inf, 1.0)
    z = (mean - margin) / se
    return z, _normal_sf(z)


def paired_drop_test(
    base: Sequence[float],
    cand: Sequence[float],
    *,
    margin: float,
    alpha: float = 0.05,
    weights: Sequence[float] | None = None,
) -> DropTest:
    """Test whether a candidate is worse than a baseline by more than ``margin`` (paired items).

    Decision rule (a one-sided non-inferiority test with the roles as a regression gate needs):
    with ``drop = mean(base) - mean(cand)`` over the same items, test
    ``H0: true drop <= margin`` against ``H1: true drop > margin`` and report ``regressed``
    when ``pvalue < alpha``. Equivalently, the candidate regressed when the upper end of the
    one-sided ``1 - alpha`` confidence bound for the improvement ``cand - base`` lies below
    ``-margin``. A change within noise, or a drop that may be no larger than ``margin``, passes;
    with no real change the rule fails at most ``alpha`` of the time (far less when
    ``margin > 0``).

    For unweighted 0/1 scores the statistic is Tango's score test for paired proportions, which
    evaluates the variance under H0 and holds its level with few discordant pairs; with
    ``margin == 0`` it is the McNemar z ``(lost - gained) / sqrt(lost + gained)``. Other scores,
    or weighted ones, use a Wald z with the delta-method stderr of the weighted mean drop.
    Both use the normal approximation.

    Args:
        base: Per-item values of the baseline run.
        cand: Per-item values of the candidate, in the same item order.
        margin: Drop tolerated, in score units (``0.01`` = 1 point on a 0-1 scale); ``[0, 1)``.
        alpha: Significance level.
        weights: Per-item weights shared by both runs; default 1.

    Returns:
        The test result; with no items, ``pvalue=1`` and ``regressed=False``.

    Raises:
        ValueError: Mismatched lengths, invalid values, or ``margin`` outside ``[0, 1)``.
    """
    if not 0.0 <= margin < 1.0:
        raise ValueError(f"margin must be in [0, 1), got {margin}")
    b, c, w = _paired(base, cand, weights)
    n = b.shape[0]
    if n == 0 or math.fsum(w) == 0.0:
        return DropTest(math.nan, margin, 0.0, 1.0, "score", n, alpha, False)
    diff = math.fsum((c - b) * w) / math.fsum(w)
    binary = _is_binary(b) and _is_binary(c)
    method: Literal["score", "wald"] = "score" if binary and weights is None else "wald"
    if method == "score":
        z, p = _tango(*_lost_gained(b, c), n, margin)
    else:
        z, p = _wald(b - c, w, margin)
    return DropTest(diff, margin, z, p, method, n, alpha, p < alpha)
