"""Run statistics: metric summaries with stderr and bootstrap CI, and paired tests between runs.

This module owns the numbers a run reports and the tests that ``compare`` and ``gate`` rely on.

* :func:`summarize` / :func:`aggregate` / :func:`grouped`: a metric's (weighted) mean with its
  standard error and a 95% percentile-bootstrap CI, for one metric, for every key of the
  per-sample ``Score.metrics``, or per group (subject, level ...).
* :func:`paired_bootstrap`, :func:`mcnemar_exact`, :func:`paired_drop_test`: two runs scored on
  the same items, compared item by item.

Every weighted mean is a ratio estimator ``sum(w * v) / sum(w)`` with the sample as the cluster
(instruction-level accuracy is ``value=fraction, weight=count``); with unit weights it is the plain
mean. Randomness comes only from ``numpy.random.default_rng(seed)``, so equal inputs and seeds give
identical summaries.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

CONFIDENCE = 0.95
"""Level of the two-sided intervals in :class:`MetricSummary`."""

# Bootstrap draws are made in chunks of about this many indices (8 MiB of int64) so memory stays
# flat for large runs. The chunking depends only on the sample count, which keeps results
# identical between summarize() and aggregate() for the same samples and seed.
_CHUNK_ELEMENTS = 1 << 20


def _rounded(x: float) -> float | None:
    """Round for the run record: 6 decimals, no ``-0.0``, non-finite as ``None`` (JSON null)."""
    if not math.isfinite(x):
        return None
    return round(x, 6) + 0.0  # + 0.0 turns -0.0 into 0.0 so files do not flap on the sign


@dataclass(frozen=True, slots=True)
class MetricSummary:
    """One metric over a run.

    Attributes:
        mean: The weighted mean ``sum(w * v) / sum(w)``.
        stderr: Standard error of ``mean`` (sample std / sqrt(n) for unit weights, the
            linearised cluster estimate for weighted means).
        ci_low: Lower end of the 95% percentile-bootstrap interval over samples.
        ci_high: Upper end of that interval.
        n: Number of samples the metric was computed over.
        total_weight: ``sum(w)`` (equals ``n`` for unit weights).
    """

    mean: float
    stderr: float
    ci_low: float
    ci_high: float
    n: int
    total_weight: float

    def to_dict(self) -> dict[str, float | int | None]:
        """Return a JSON-ready dict with floats rounded to 6 decimals and NaN as ``None``."""
        return {
            "mean": _rounded(self.mean),
            "stderr": _rounded(self.stderr),
            "ci_low": _rounded(self.ci_low),
            "ci_high": _rounded(self.ci_high),
            "n": self.n,
            "total_weight": _rounded(self.total_weight),
        }


_EMPTY = MetricSummary(math.nan, math.nan, math.nan, math.nan, 0, math.nan)


def _as_array(values: Sequence[float], name: str) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr


def _as_weights(weights: Sequence[float] | None, n: int) -> FloatArray:
    if weights is None:
        return np.ones(n)
    arr = _as_array(weights, "weights")
    if arr.shape[0] != n:
        raise ValueError(f"got {n} values but {arr.shape[0]} weights")
    if np.any(arr < 0):
        raise ValueError("weights must be non-negative")
    return arr


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    """Elementwise ``num / den`` with NaN where ``den`` is 0 (no warning)."""
    return np.divide(num, den, out=np.full_like(num, np.nan), where=den > 0)


def _bootstrap_ratios(
    values: FloatArray, weights: FloatArray, n_boot: int, seed: int
) -> FloatArray:
    """Bootstrap replicates of the ratio mean of each column.

    Args:
        values: ``(m, k)`` per-sample values, one column per metric.
        weights: ``(m, k)`` per-sample weights.
        n_boot: Number of replicates.
        seed: Seed of ``numpy.random.default_rng``.

    Returns:
        ``(n_boot, k)`` array; NaN where a replicate drew only zero-weight samples.

    Raises:
        ValueError: ``n_boot`` is below 1.
    """
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    m, k = values.shape
    rng = np.random.default_rng(seed)
    # Resampling the rows is the same as weighting them by multinomial counts, so one
    # (replicates x samples) count matrix times [w*v | w] gives every column at once.
    stacked = np.hstack([values * weights, weights])
    out = np.empty((n_boot, k))
    step = max(1, _CHUNK_ELEMENTS // m)
    for start in range(0, n_boot, step):
        rows = min(step, n_boot - start)
        idx = rng.integers(0, m, size=(rows, m), dtype=np.int32).astype(np.intp)
        idx += np.arange(rows, dtype=np.intp)[:, None] * m
        counts = np.bincount(idx.ravel(), minlength=rows * m).reshape(rows, m)
        sums = counts.astype(np.float64) @ stacked
        out[start : start + rows] = _ratio(sums[:, :k], sums[:, k:])
    return out


def _percentile_ci(replicates: FloatArray, level: float) -> tuple[FloatArray, FloatArray]:
    """Percentile interval of each column, ignoring NaN replicates."""
    tail = (1.0 - level) / 2.0
    low = np.empty(replicates.shape[1])
    high = np.empty(replicates.shape[1])
    for j in range(replicates.shape[1]):
        col = replicates[:, j]
        col = col[~np.isnan(col)]
        if col.size == 0:
            low[j] = high[j] = math.nan
        else:
            low[j], high[j] = np.quantile(col, [tail, 1.0 - tail])
    return low, high


def _ratio_stderr(values: FloatArray, weights: FloatArray, means: FloatArray) -> FloatArray:
    """Linearised (delta-method) stderr of each column's ratio mean, samples as clusters.

    ``se = sqrt(sum(w_i^2 (v_i - mean)^2) / (n (n - 1))) / mean(w)``; with unit weights this is
    exactly the sample standard deviation (ddof=1) over sqrt(n).
    """
    m = values.shape[0]
    if m < 2:
        return np.zeros(values.shape[1])
    resid = weights * (values - means)
    wbar = weights.mean(axis=0)
    spread = np.sqrt(np.square(resid).sum(axis=0) / (m * (m - 1)))
    return _ratio(spread, wbar)


def _summarize_columns(
    values: FloatArray, weights: FloatArray, n_boot: int, seed: int
) -> list[MetricSummary]:
    """Summaries of each column of ``(m, k)`` values sharing the same samples."""
    m, k = values.shape
    if m == 0:
        return [_EMPTY] * k
    # fsum keeps the point estimates independent of BLAS summation order.
    totals = np.array([math.fsum(weights[:, j]) for j in range(k)])
    sums = np.array([math.fsum(values[:, j] * weights[:, j]) for j in range(k)])
    means = _ratio(sums, totals)
    stderr = _ratio_stderr(values, weights, means)
    low, high = _percentile_ci(_bootstrap_ratios(values, weights, n_boot, seed), CONFIDENCE)
    # A ratio mean lies in [min, max] of the values; clip away float noise at the ends.
    low = np.clip(low, values.min(axis=0), values.max(axis=0))
    high = np.clip(high, values.min(axis=0), values.max(axis=0))
    return [
        MetricSummary(
            float(means[j]), float(stderr[j]), float(low[j]), float(high[j]), m, float(totals[j])
        )
        for j in range(k)
    ]


def summarize(
    values: Sequence[float],
    weights: Sequence[float] | None = None,
    *,
    n_boot: int = 1000,
    seed: int = 0,
) -> MetricSummary:
    """Summarize one metric over the samples of a run.

    Args:
        values: Per-sample values (finite).
        weights: Per-sample non-negative weights; ``None`` means 1 each.
        n_boot: Bootstrap replicates for the CI.
        seed: Seed of the bootstrap; the same inputs and seed give the same summary.

    Returns:
        The summary. No samples give ``n=0`` and NaN everywhere; a zero total weight gives a
        NaN mean and interval.

    Raises:
        ValueError: Non-finite values or weights, negative weights or mismatched lengths.

    Example:
        >>> summarize([1.0, 0.0, 1.0, 1.0]).mean
        0.75
    """
    vals = _as_array(values, "values")
    wts = _as_weights(weights, vals.shape[0])
    return _summarize_columns(vals[:, None], wts[:, None], n_boot, seed)[0]


def _metric_columns(
    rows: Sequence[Mapping[str, float]],
    weights: Sequence[Mapping[str, float]],
    where: Sequence[int],
    keys: Sequence[str],
) -> tuple[FloatArray, FloatArray]:
    """The ``(samples, keys)`` value and weight matrices of the samples in ``where``."""
    vals = np.array([[rows[i][key] for key in keys] for i in where], dtype=np.float64)
    wts = np.array([[weights[i].get(key, 1.0) for key in keys] for i in where], dtype=np.float64)
    vals = vals.reshape(len(where), len(keys))  # keeps the shape when ``where`` is empty
    wts = wts.reshape(len(where), len(keys))
    if not (np.all(np.isfinite(vals)) and np.all(np.isfinite(wts))):
        raise ValueError("metric values and weights must be finite")
    if np.any(wts < 0):
        raise ValueError("weights must be non-negative")
    return vals, wts


def aggregate(
    rows: Sequence[Mapping[str, float]],
    weights: Sequence[Mapping[str, float]],
    *,
    seed: int = 0,
    n_boot: int = 1000,
) -> dict[str, MetricSummary]:
    """Summarize every metric key of a run's scores.

    Args:
        rows: One ``Score.metrics`` per scored sample.
        weights: The matching ``Score.weights`` (a missing key weighs 1).
        seed: Bootstrap seed.
        n_boot: Bootstrap replicates.

    Returns:
        One summary per key, keys sorted. A key is summarized over the samples that have it,
        and equals ``summarize`` of those samples with the same seed.

    Raises:
        ValueError: ``rows`` and ``weights`` differ in length, or a value is invalid.
    """
    if len(rows) != len(weights):
        raise ValueError(f"got {len(rows)} metric rows but {len(weights)} weight rows")
    # Keys present on the same samples share one bootstrap draw (the usual case: all keys on
    # all samples), which is the costly part.
    by_mask: dict[tuple[int, ...], list[str]] = {}
    for key in sorted({key for row in rows for key in row}):
        where = tuple(i for i, row in enumerate(rows) if key in row)
        by_mask.setdefault(where, []).append(key)
    result: dict[str, MetricSummary] = {}
    for where, keys in by_mask.items():
        vals, wts = _metric_columns(rows, weights, where, keys)
        result.update(zip(keys, _summarize_columns(vals, wts, n_boot, seed), strict=True))
    return dict(sorted(result.items()))


def grouped(
    rows: Sequence[Mapping[str, float]],
    weights: Sequence[Mapping[str, float]],
    groups: Sequence[str],
    *,
    seed: int = 0,
    n_boot: int = 1000,
) -> dict[str, dict[str, MetricSummary]]:
    """Run :func:`aggregate` separately for each group value (subject, level ...).

    Args:
        rows: One ``Score.metrics`` per scored sample.
        weights: The matching ``Score.weights``.
        groups: The group value of each sample.
        seed: Bootstrap seed, the same for every group (so a group's summary does not depend on
            which other groups exist).
        n_boot: Bootstrap replicates.

    Returns:
        ``{group: {metric: summary}}`` with both levels of keys sorted.

    Raises:
        ValueError: The three sequences differ in length.
    """
    if not len(rows) == len(weights) == len(groups):
        raise ValueError("rows, weights and groups must have the same length")
    members: dict[str, list[int]] = {}
    for i, group in enumerate(groups):
        members.setdefault(group, []).append(i)
    return {
        group: aggregate(
            [rows[i] for i in members[group]],
            [weights[i] for i in members[group]],
            seed=seed,
            n_boot=n_boot,
        )
        for group in sorted(members)
    }


def macro_mean(summaries: Mapping[str, MetricSummary]) -> float:
    """Unweighted mean of the group means (e.g. MMLU's average over subjects); NaN if empty."""
    if not summaries:
        return math.nan
    return math.fsum(s.mean for s in summaries.values()) / len(summaries)


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
            "diff": _rounded(self.diff),
            "ci_low": _rounded(self.ci_low),
            "ci_high": _rounded(self.ci_high),
            "n": self.n,
        }


def _paired(
    base: Sequence[float], cand: Sequence[float], weights: Sequence[float] | None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    b = _as_array(base, "base")
    c = _as_array(cand, "cand")
    if b.shape != c.shape:
        raise ValueError(f"paired runs differ in length: {b.shape[0]} vs {c.shape[0]}")
    return b, c, _as_weights(weights, b.shape[0])


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
    reps = _bootstrap_ratios(d[:, None], w[:, None], n_boot, seed)
    low, high = _percentile_ci(reps, 1.0 - alpha)
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
    se = float(_ratio_stderr(drops[:, None], w[:, None], np.array([mean]))[0])
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
