"""Run statistics: metric summaries with their standard error and bootstrap CI.

This module owns the numbers a run reports:

* :func:`summarize` / :func:`aggregate` / :func:`grouped`: a metric's (weighted) mean with its
  standard error and a 95% percentile-bootstrap CI, for one metric, for every key of the
  per-sample ``Score.metrics``, or per group (subject, level ...).
* The building blocks those use (:func:`bootstrap_ratios`, :func:`percentile_ci`,
  :func:`ratio_stderr`), which :mod:`evalkit.stats.paired` reuses for tests between two runs.

Every weighted mean is a ratio estimator ``sum(w * v) / sum(w)`` with the sample as the cluster
(instruction-level accuracy is ``value=fraction, weight=count``); with unit weights it is the plain
mean. Randomness comes only from ``numpy.random.default_rng(seed)``, so equal inputs and seeds give
identical summaries.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

CONFIDENCE = 0.95
"""Level of the two-sided intervals in :class:`MetricSummary`."""

# Bootstrap draws are made in chunks of about this many indices (8 MiB of int64) so memory stays
# flat for large runs. The chunking depends only on the sample count, which keeps results
# identical between summarize() and aggregate() for the same samples and seed.
_CHUNK_ELEMENTS = 1 << 20


def json_float(x: float) -> float | None:
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
            "mean": json_float(self.mean),
            "stderr": json_float(self.stderr),
            "ci_low": json_float(self.ci_low),
            "ci_high": json_float(self.ci_high),
            "n": self.n,
            "total_weight": json_float(self.total_weight),
        }


_EMPTY = MetricSummary(math.nan, math.nan, math.nan, math.nan, 0, math.nan)


def as_values(values: Sequence[float], name: str) -> FloatArray:
    """Return ``values`` as a 1-D float array; ``ValueError`` if not 1-D or not finite."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr


def as_weights(weights: Sequence[float] | None, n: int) -> FloatArray:
    """Return ``n`` non-negative finite weights as an array (ones for ``None``)."""
    if weights is None:
        return np.ones(n)
    arr = as_values(weights, "weights")
    if arr.shape[0] != n:
        raise ValueError(f"got {n} values but {arr.shape[0]} weights")
    if np.any(arr < 0):
        raise ValueError("weights must be non-negative")
    return arr


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    """Elementwise ``num / den`` with NaN where ``den`` is 0 (no warning)."""
    return np.divide(num, den, out=np.full_like(num, np.nan), where=den > 0)


def bootstrap_ratios(values: FloatArray, weights: FloatArray, n_boot: int, seed: int) -> FloatArray:
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


def percentile_ci(replicates: FloatArray, level: float) -> tuple[FloatArray, FloatArray]:
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


def ratio_stderr(values: FloatArray, weights: FloatArray, means: FloatArray) -> FloatArray:
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
    stderr = ratio_stderr(values, weights, means)
    low, high = percentile_ci(bootstrap_ratios(values, weights, n_boot, seed), CONFIDENCE)
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
    vals = as_values(values, "values")
    wts = as_weights(weights, vals.shape[0])
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
