"""Tests of evalkit.stats.metrics (run summaries) against hand-computed values and simulation."""

from __future__ import annotations

import json
import math
import time

import numpy as np
import pytest

from evalkit.stats.metrics import (
    MetricSummary,
    aggregate,
    grouped,
    macro_mean,
    summarize,
)

# --- summaries -------------------------------------------------------------------------------


def test_summarize_hand_computed() -> None:
    s = summarize([1.0, 0.0, 1.0, 1.0])
    assert s.mean == 0.75
    # sample std (ddof=1) of 1,0,1,1 is 0.5; / sqrt(4) = 0.25
    assert s.stderr == pytest.approx(0.25, abs=1e-15)
    assert s.n == 4
    assert s.total_weight == 4.0
    assert 0.0 <= s.ci_low <= s.mean <= s.ci_high <= 1.0


def test_summarize_stderr_matches_numpy_on_continuous_values() -> None:
    vals = np.random.default_rng(3).normal(size=137)
    s = summarize(vals.tolist())
    assert s.mean == pytest.approx(vals.mean(), abs=1e-12)
    assert s.stderr == pytest.approx(vals.std(ddof=1) / math.sqrt(137), rel=1e-12)


def test_single_sample_has_zero_stderr_and_point_interval() -> None:
    s = summarize([0.4])
    assert (s.mean, s.stderr, s.ci_low, s.ci_high, s.n) == (0.4, 0.0, 0.4, 0.4, 1)


def test_empty_summary_is_nan_and_renders_none() -> None:
    s = summarize([])
    assert s.n == 0
    assert all(math.isnan(x) for x in (s.mean, s.stderr, s.ci_low, s.ci_high, s.total_weight))
    assert s.to_dict() == {
        "mean": None,
        "stderr": None,
        "ci_low": None,
        "ci_high": None,
        "n": 0,
        "total_weight": None,
    }


def test_to_dict_rounds_to_six_decimals_and_drops_negative_zero() -> None:
    s = MetricSummary(2 / 3, 1e-9 * -1, 0.1234565, 0.9999999, 3, 3.0)
    d = s.to_dict()
    assert d == {
        "mean": 0.666667,
        "stderr": 0.0,
        "ci_low": round(0.1234565, 6),
        "ci_high": 1.0,
        "n": 3,
        "total_weight": 3.0,
    }
    assert json.dumps(d) == json.dumps(s.to_dict())
    assert "-0.0" not in json.dumps(d)


def test_summary_is_frozen() -> None:
    s = summarize([1.0, 0.0])
    with pytest.raises(AttributeError):
        s.mean = 0.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("values", "weights"),
    [
        ([1.0, math.nan], None),
        ([1.0, 0.0], [1.0]),
        ([1.0, 0.0], [1.0, -1.0]),
        ([1.0, 0.0], [1.0, math.inf]),
    ],
    ids=["nan-value", "short-weights", "negative-weight", "inf-weight"],
)
def test_summarize_rejects_invalid_input(values: list[float], weights: list[float] | None) -> None:
    with pytest.raises(ValueError):
        summarize(values, weights)


def test_summarize_rejects_zero_replicates() -> None:
    with pytest.raises(ValueError):
        summarize([1.0, 0.0], n_boot=0)


def test_zero_total_weight_gives_nan_mean() -> None:
    s = summarize([1.0, 0.0], [0.0, 0.0])
    assert s.n == 2 and s.total_weight == 0.0
    assert math.isnan(s.mean) and math.isnan(s.ci_low)


# --- weighted ratio estimator ----------------------------------------------------------------


def test_weighted_mean_is_instruction_level_ratio() -> None:
    # Three prompts with 2, 1, 3 instructions, of which 1, 1, 3 are followed.
    counts = [2.0, 1.0, 3.0]
    fractions = [0.5, 1.0, 1.0]
    s = summarize(fractions, counts)
    assert s.mean == pytest.approx(5 / 6, abs=1e-15)
    assert s.total_weight == 6.0
    # Delta method by hand: residuals w*(v - R) = [-2/3, 1/6, 1/2], wbar = 2.
    resid = np.array([2 * (0.5 - 5 / 6), 1 * (1 - 5 / 6), 3 * (1 - 5 / 6)])
    expected = math.sqrt(np.sum(resid**2) / (3 * 2)) / 2.0
    assert s.stderr == pytest.approx(expected, rel=1e-12)


def test_constant_weights_reduce_to_unweighted() -> None:
    vals = np.random.default_rng(5).random(50).tolist()
    plain = summarize(vals, seed=1)
    weighted = summarize(vals, [3.0] * 50, seed=1)
    assert weighted.mean == pytest.approx(plain.mean, abs=1e-14)
    assert weighted.stderr == pytest.approx(plain.stderr, rel=1e-12)
    assert weighted.ci_low == pytest.approx(plain.ci_low, abs=1e-12)
    assert weighted.ci_high == pytest.approx(plain.ci_high, abs=1e-12)


def test_weighted_stderr_matches_sampling_spread_of_the_ratio() -> None:
    # Clusters of 1-8 instructions, each followed with a prompt-specific probability: the
    # delta-method stderr must match the actual spread of the estimator across repetitions.
    rng = np.random.default_rng(11)
    means, stderrs = [], []
    for _ in range(400):
        counts = rng.integers(1, 9, size=200).astype(float)
        probs = rng.beta(4, 1.5, size=200)
        followed = rng.binomial(counts.astype(int), probs)
        s = summarize((followed / counts).tolist(), counts.tolist(), n_boot=10)
        means.append(s.mean)
        stderrs.append(s.stderr)
    empirical = float(np.std(means, ddof=1))
    assert float(np.mean(stderrs)) == pytest.approx(empirical, rel=0.1)


# --- bootstrap CI ----------------------------------------------------------------------------


def test_bootstrap_ci_coverage_on_bernoulli() -> None:
    rng = np.random.default_rng(2024)
    covered = 0
    for sim in range(200):
        vals = (rng.random(500) < 0.7).astype(float)
        s = summarize(vals.tolist(), n_boot=500, seed=sim)
        covered += s.ci_low <= 0.7 <= s.ci_high
    assert 0.90 <= covered / 200 <= 0.98


def test_ci_width_matches_normal_theory() -> None:
    vals = (np.random.default_rng(8).random(2000) < 0.3).astype(float)
    s = summarize(vals.tolist())
    assert s.ci_high - s.ci_low == pytest.approx(2 * 1.96 * s.stderr, rel=0.1)


def test_same_seed_same_summary_other_seed_other_interval() -> None:
    vals = (np.random.default_rng(1).random(300) < 0.6).astype(float).tolist()
    assert summarize(vals, seed=7) == summarize(vals, seed=7)
    assert summarize(vals, seed=7).to_dict() == summarize(vals, seed=7).to_dict()
    a, b = summarize(vals, seed=7), summarize(vals, seed=8)
    assert a.mean == b.mean
    assert (a.ci_low, a.ci_high) != (b.ci_low, b.ci_high)


def test_interval_stays_within_value_range() -> None:
    s = summarize([1.0] * 30)
    assert (s.ci_low, s.ci_high, s.stderr) == (1.0, 1.0, 0.0)


# --- aggregate / grouped ---------------------------------------------------------------------


def test_aggregate_sorts_keys_and_uses_samples_that_have_the_key() -> None:
    rows = [
        {"strict": 1.0, "flexible": 1.0, "inst": 0.5},
        {"strict": 0.0, "flexible": 1.0},
        {"strict": 0.0, "flexible": 0.0, "inst": 1.0},
    ]
    weights = [{"inst": 2.0}, {}, {"inst": 4.0}]
    out = aggregate(rows, weights, seed=3, n_boot=200)
    assert list(out) == ["flexible", "inst", "strict"]
    assert out["strict"].mean == pytest.approx(1 / 3)
    assert out["flexible"].mean == pytest.approx(2 / 3)
    assert out["inst"].n == 2
    assert out["inst"].mean == pytest.approx((0.5 * 2 + 1.0 * 4) / 6)
    assert out["inst"] == summarize([0.5, 1.0], [2.0, 4.0], seed=3, n_boot=200)


def test_aggregate_matches_summarize_per_key() -> None:
    rng = np.random.default_rng(4)
    rows = [{"a": float(rng.random() < 0.5), "b": float(rng.random())} for _ in range(400)]
    out = aggregate(rows, [{}] * 400, seed=9, n_boot=300)
    for key in ("a", "b"):
        ref = summarize([r[key] for r in rows], seed=9, n_boot=300)
        assert out[key].mean == ref.mean
        assert out[key].stderr == pytest.approx(ref.stderr, rel=1e-12)
        assert out[key].ci_low == pytest.approx(ref.ci_low, abs=1e-12)
        assert out[key].ci_high == pytest.approx(ref.ci_high, abs=1e-12)


def test_aggregate_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError):
        aggregate([{"a": 1.0}], [])


def test_aggregate_is_fast_on_mmlu_sized_runs() -> None:
    rng = np.random.default_rng(0)
    keys = ("acc", "strict", "flexible", "no_answer", "inst")
    vals = rng.random((14042, len(keys))) < 0.65
    rows = [{k: float(v) for k, v in zip(keys, row, strict=True)} for row in vals]
    weights = [{"inst": 3.0} for _ in rows]
    start = time.perf_counter()
    out = aggregate(rows, weights)
    elapsed = time.perf_counter() - start
    assert set(out) == set(keys)
    assert elapsed < 1.0, f"aggregate took {elapsed:.2f}s"


def test_grouped_and_macro_mean() -> None:
    rows = [{"acc": v} for v in (1.0, 0.0, 1.0, 1.0, 1.0, 0.0)]
    groups = ["math", "math", "law", "law", "law", "bio"]
    out = grouped(rows, [{}] * 6, groups, n_boot=100)
    assert list(out) == ["bio", "law", "math"]
    means = {g: out[g]["acc"].mean for g in out}
    assert means == {"bio": 0.0, "law": 1.0, "math": 0.5}
    macro = macro_mean({g: out[g]["acc"] for g in out})
    assert macro == pytest.approx(0.5)
    micro = aggregate(rows, [{}] * 6)["acc"].mean
    assert micro == pytest.approx(4 / 6)  # differs from the macro mean: groups differ in size
    assert math.isnan(macro_mean({}))
