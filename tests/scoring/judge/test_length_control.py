"""The length-controlled win rate: the Newton fit against scipy's optimiser, and its behaviour."""

from __future__ import annotations

import numpy as np
import pytest

from evalkit.scoring.judge.length_control import fit, lc_metric, lc_summary, length_controlled

scipy_optimize = pytest.importorskip("scipy.optimize")


def reference_lc(prefs, deltas) -> float:
    """The same objective minimised by scipy (BFGS), independently of evalkit's Newton steps."""
    y, d = np.asarray(prefs, float), np.asarray(deltas, float)
    sd = np.std(d, ddof=1)
    x = np.tanh(d / sd) if sd > 0 else np.zeros_like(d)

    def objective(w):
        z = w[0] + w[1] * x
        return np.sum(np.logaddexp(0, z) - y * z) + 0.5 * (w @ w)

    w = scipy_optimize.minimize(objective, np.zeros(2), method="BFGS", options={"gtol": 1e-10}).x
    return float(1 / (1 + np.exp(-w[0])))


def cases():
    rng = np.random.default_rng(7)
    out = []
    for n, bias in ((10, 0.0), (80, 2.0), (160, -1.0), (300, 0.5)):
        d = rng.normal(0, 400, n)
        p = 1 / (1 + np.exp(-(0.3 + bias * np.tanh(d / 400))))
        y = np.where(rng.random(n) < p, 1.0, 0.0)
        y[rng.random(n) < 0.1] = 0.5  # ties
        out.append((y, d))
    return out


@pytest.mark.parametrize("case", range(4))
def test_the_newton_fit_matches_scipy(case):
    y, d = cases()[case]
    assert length_controlled(y, d) == pytest.approx(reference_lc(y, d), abs=1e-6)


def test_a_length_biased_judge_is_corrected_towards_even():
    # the judge prefers whichever answer is longer; the model is longer 80% of the time
    d = np.array([300.0] * 80 + [-300.0] * 20) + np.arange(100)
    y = (d > 0).astype(float)
    raw = y.mean()
    lc = length_controlled(y, d)
    assert raw == 0.8 and abs(lc - 0.5) < abs(raw - 0.5) and lc < 0.65


def test_without_a_length_effect_it_stays_near_the_raw_rate():
    rng = np.random.default_rng(3)
    d = rng.normal(0, 200, 400)
    y = (rng.random(400) < 0.7).astype(float)
    assert length_controlled(y, d) == pytest.approx(y.mean(), abs=0.03)


def test_all_wins_and_equal_lengths_stay_finite():
    assert 0.5 < length_controlled([1.0] * 5, [10, 20, 30, 40, 50]) < 1.0
    w = fit(np.array([1.0, 1.0, 0.0]), np.zeros(3))
    assert w[1] == 0.0  # no length difference: the length term is not used
    assert length_controlled([0.5], [100.0]) == pytest.approx(0.5)


def test_the_interval_is_seeded_and_covers_the_estimate():
    y, d = cases()[1]
    one, two = lc_metric(y, d, seed=5), lc_metric(y, d, seed=5)
    assert one == two and one.ci_low <= one.mean <= one.ci_high and one.n == 80
    assert lc_metric(y, d, seed=6) != one


def test_the_run_summary_reads_parsed_pairs_of_scored_lines():
    def line(i, pairs, error=None):
        return {"id": str(i), "index": i, "epoch": 0, "error": error, "metrics": {} if error else {"score": 1.0},
                "details": {"pairs": pairs}}

    pair = lambda pref, delta: {"preference": pref, "length_delta": delta}  # noqa: E731
    lines = [line(0, [pair(1.0, 10), pair(None, 5)]), line(1, [pair(0.0, -10)]),
             line(2, [pair(1.0, 99)], error="boom")]
    summary = lc_summary(lines, seed=1)["lc_win_rate"]
    assert summary["n"] == 2 and summary["mean"] == round(length_controlled([1.0, 0.0], [10, -10]), 6)
    assert lc_summary([line(0, [pair(None, 1)])], seed=1) == {}
