"""Tests of evalkit.stats.paired against exact values, scipy, and simulation."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from scipy import optimize, stats  # type: ignore[import-untyped]
from support.synthetic_runs import simulated_pair

from evalkit.stats.paired import (
    PairedDiff,
    discordant_pairs,
    mcnemar_exact,
    paired_bootstrap,
    paired_drop_test,
)

# --- McNemar ---------------------------------------------------------------------------------

MCNEMAR_TABLE = [
    (0, 1),
    (1, 9),
    (0, 5),
    (3, 3),
    (4, 5),
    (10, 30),
    (25, 40),
    (59, 21),
    (137, 100),
    (1000, 1100),
    (4900, 5100),
    (30, 2000),
    (49000, 51000),
    (49900, 50100),
]


@pytest.mark.parametrize(("b", "c"), MCNEMAR_TABLE, ids=[f"{b}-{c}" for b, c in MCNEMAR_TABLE])
def test_mcnemar_matches_scipy_binomtest(b: int, c: int) -> None:
    # scipy's two-sided binomtest sums outcomes as unlikely as the observed one, which for p=1/2
    # equals twice the smaller tail (capped at 1).
    expected = stats.binomtest(min(b, c), b + c, 0.5).pvalue
    tail = stats.binom.cdf(min(b, c), b + c, 0.5)
    assert mcnemar_exact(b, c) == pytest.approx(expected, rel=1e-9, abs=1e-300)
    assert mcnemar_exact(b, c) == pytest.approx(min(1.0, 2 * tail), rel=1e-9, abs=1e-300)
    assert mcnemar_exact(c, b) == mcnemar_exact(b, c)


def test_mcnemar_exact_small_values() -> None:
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(0, 1) == 1.0
    assert mcnemar_exact(0, 5) == 2 / 32
    assert mcnemar_exact(1, 9) == pytest.approx(2 * 11 / 1024, rel=1e-15)
    assert mcnemar_exact(7, 7) == 1.0


def test_mcnemar_is_fast_and_finite_for_large_tables() -> None:
    start = time.perf_counter()
    p = mcnemar_exact(49000, 51000)
    assert time.perf_counter() - start < 0.5
    assert 0.0 < p < 1e-9
    assert mcnemar_exact(0, 100000) == 0.0  # 2 * 2**-100000 underflows


def test_mcnemar_rejects_negative_counts() -> None:
    with pytest.raises(ValueError):
        mcnemar_exact(-1, 3)


def test_discordant_pairs() -> None:
    base = [1.0, 1.0, 0.0, 0.0, 1.0]
    cand = [1.0, 0.0, 1.0, 0.0, 0.0]
    assert discordant_pairs(base, cand) == (2, 1)
    with pytest.raises(ValueError):
        discordant_pairs([0.5], [1.0])
    with pytest.raises(ValueError):
        discordant_pairs([1.0, 0.0], [1.0])


# --- paired bootstrap ------------------------------------------------------------------------


def test_paired_bootstrap_diff_and_interval() -> None:
    base, cand = simulated_pair(0, drop=0.03)
    b, c = np.array(base), np.array(cand)
    res = paired_bootstrap(base, cand, seed=1)
    assert res.n == 1319
    assert res.diff == pytest.approx(c.mean() - b.mean(), abs=1e-15)
    assert res.ci_low <= res.diff <= res.ci_high
    assert res.ci_high < 0  # a 3-point drop is clearly outside the noise
    # Pairing removes the item spread: the paired interval is much narrower than the unpaired
    # one (sqrt(var_b/n + var_c/n) around 1.7 points here).
    unpaired_se = math.sqrt(b.var(ddof=1) / 1319 + c.var(ddof=1) / 1319)
    assert res.ci_high - res.ci_low < 0.6 * 2 * 1.96 * unpaired_se
    assert res == paired_bootstrap(base, cand, seed=1)


def test_paired_bootstrap_alpha_and_weights() -> None:
    base, cand = simulated_pair(3)
    wide = paired_bootstrap(base, cand, alpha=0.01)
    narrow = paired_bootstrap(base, cand, alpha=0.2)
    assert wide.ci_low < narrow.ci_low < narrow.ci_high < wide.ci_high
    w = np.arange(1, 1320, dtype=float)
    weighted = paired_bootstrap(base, cand, weights=w.tolist())
    expected = np.sum(w * (np.array(cand) - np.array(base))) / w.sum()
    assert weighted.diff == pytest.approx(expected, abs=1e-14)


def test_paired_bootstrap_interval_coverage_on_simulated_runs() -> None:
    # Cells: lost, gained, both right, both wrong; the true difference is 0.05 - 0.08 = -0.03.
    rng = np.random.default_rng(2024)
    covered, reps = 0, 400
    for rep in range(reps):
        cells = rng.multinomial(300, [0.08, 0.05, 0.6, 0.27])
        base = np.repeat([1.0, 0.0, 1.0, 0.0], cells)
        cand = np.repeat([0.0, 1.0, 1.0, 0.0], cells)
        res = paired_bootstrap(base.tolist(), cand.tolist(), n_boot=500, seed=rep)
        covered += res.ci_low <= -0.03 <= res.ci_high
    assert 0.91 <= covered / reps <= 0.98


def test_paired_bootstrap_edge_cases() -> None:
    empty = paired_bootstrap([], [])
    assert empty.n == 0 and math.isnan(empty.diff)
    assert empty.to_dict() == {"diff": None, "ci_low": None, "ci_high": None, "n": 0}
    assert paired_bootstrap([1.0, 0.0], [1.0, 0.0]) == PairedDiff(0.0, 0.0, 0.0, 2)
    with pytest.raises(ValueError):
        paired_bootstrap([1.0], [1.0, 0.0])


# --- drop test (the gate's decision) ---------------------------------------------------------


def test_gate_detects_real_three_point_drop() -> None:
    base, cand = simulated_pair(42, drop=0.03)
    drop = float(np.mean(base) - np.mean(cand))
    assert 0.02 < drop < 0.04
    res = paired_drop_test(base, cand, margin=0.01)
    assert res.method == "score"
    assert res.diff == pytest.approx(-drop, abs=1e-15)
    assert res.regressed and res.pvalue < 0.01


def test_gate_passes_rerun_with_different_noise() -> None:
    base, cand = simulated_pair(42)
    res = paired_drop_test(base, cand, margin=0.01)
    assert not res.regressed
    assert res.pvalue > 0.2


def test_gate_power_and_false_alarm_rate_over_many_runs() -> None:
    caught = sum(
        paired_drop_test(*simulated_pair(s, drop=0.03), margin=0.01).regressed for s in range(200)
    )
    false_alarms = sum(
        paired_drop_test(*simulated_pair(s), margin=0.01).regressed for s in range(200)
    )
    assert caught >= 185  # about 97.5% power: 3 points against a 1-point margin
    assert false_alarms <= 2


def test_gate_holds_its_level_at_the_margin() -> None:
    # True drop exactly equal to the margin: the gate may fire only about alpha of the time.
    rng = np.random.default_rng(99)
    n, fired = 1319, 0
    for _ in range(1000):
        cells = rng.multinomial(n, [0.06, 0.04, 0.65, 0.25])  # lost, gained, both right, both wrong
        base = np.repeat([1.0, 0.0, 1.0, 0.0], cells)
        cand = np.repeat([0.0, 1.0, 1.0, 0.0], cells)
        fired += paired_drop_test(base.tolist(), cand.tolist(), margin=0.02).regressed
    assert 0.025 <= fired / 1000 <= 0.08


def test_score_test_with_zero_margin_is_mcnemar_z() -> None:
    base = [1.0] * 30 + [0.0] * 12 + [1.0] * 50
    cand = [0.0] * 30 + [1.0] * 12 + [1.0] * 50
    res = paired_drop_test(base, cand, margin=0.0)
    assert res.statistic == pytest.approx((30 - 12) / math.sqrt(42), rel=1e-12)
    assert res.pvalue == pytest.approx(stats.norm.sf(res.statistic), rel=1e-9)


def test_score_test_matches_numerically_restricted_mle() -> None:
    # Tango's statistic: variance evaluated at the MLE of the cell probabilities under
    # P(lost) - P(gained) = margin. Find that MLE numerically and compare.
    n, lost, gained, margin = 500, 41, 17, 0.03

    def negloglik(q: float) -> float:
        return -(
            lost * math.log(q + margin)
            + gained * math.log(q)
            + (n - lost - gained) * math.log(1 - 2 * q - margin)
        )

    q = optimize.minimize_scalar(
        negloglik,
        bounds=(1e-12, (1 - margin) / 2 - 1e-12),
        method="bounded",
        options={"xatol": 1e-14},
    ).x
    z = (lost - gained - n * margin) / math.sqrt(n * (2 * q + margin - margin**2))
    base = [1.0] * lost + [0.0] * gained + [1.0] * (n - lost - gained)
    cand = [0.0] * lost + [1.0] * gained + [1.0] * (n - lost - gained)
    res = paired_drop_test(base, cand, margin=margin)
    assert res.statistic == pytest.approx(z, rel=1e-6)
    assert res.pvalue == pytest.approx(stats.norm.sf(z), rel=1e-5)


def test_drop_test_degenerate_cases() -> None:
    same = paired_drop_test([1.0, 0.0, 1.0], [1.0, 0.0, 1.0], margin=0.0)
    assert same.pvalue == 1.0 and not same.regressed
    everything_lost = paired_drop_test([1.0] * 100, [0.0] * 100, margin=0.05)
    assert everything_lost.regressed
    empty = paired_drop_test([], [], margin=0.01)
    assert empty.n == 0 and not empty.regressed
    with pytest.raises(ValueError):
        paired_drop_test([1.0], [1.0], margin=-0.01)
    with pytest.raises(ValueError):
        paired_drop_test([1.0], [1.0], margin=1.0)


def test_wald_path_for_weighted_and_fractional_scores() -> None:
    rng = np.random.default_rng(6)
    counts = rng.integers(1, 6, size=541).astype(float)
    base = rng.binomial(counts.astype(int), 0.8) / counts
    worse = np.clip(base - rng.binomial(1, 0.15, size=541) * 0.5, 0.0, 1.0)
    res = paired_drop_test(base.tolist(), worse.tolist(), margin=0.01, weights=counts.tolist())
    assert res.method == "wald"
    assert res.diff == pytest.approx(np.sum(counts * (worse - base)) / counts.sum())
    assert res.regressed
    rerun = rng.binomial(counts.astype(int), 0.8) / counts
    res = paired_drop_test(base.tolist(), rerun.tolist(), margin=0.01, weights=counts.tolist())
    assert res.method == "wald" and not res.regressed
    # The same drop on every item is known exactly.
    exact = paired_drop_test([0.9, 0.8, 0.7], [0.7, 0.6, 0.5], margin=0.1)
    assert exact.regressed and exact.pvalue == 0.0
    single = paired_drop_test([0.9], [0.1], margin=0.0)
    assert not single.regressed
