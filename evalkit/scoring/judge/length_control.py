"""The length-controlled win rate of AlpacaEval 2 (Dubois et al. 2024, arXiv:2404.04475).

Judges prefer longer answers. Length-controlled AlpacaEval asks what the win rate would be if
the model's and the baseline's answers had the same length: it fits a generalized linear model
of the judge's preference on the length difference, then predicts with the difference set to 0.

For pairs ``i`` with preference ``y_i`` (win 1, tie 0.5, loss 0: soft labels, as AlpacaEval's
``preference - 1``) and length difference ``d_i`` (characters, model minus baseline), the model
is ``P(model preferred) = sigmoid(theta + phi * tanh(d_i / sd(d)))``, with ``sd`` the sample
standard deviation of the differences (AlpacaEval's ``np.tanh(std_delta_len)`` term). It is
fitted by minimising the cross-entropy plus ``(theta² + phi²) / 2`` (the L2 penalty of
scikit-learn's default logistic regression, ``C = 1``; it keeps the fit finite when the model
wins every pair) by Newton's method with a halving line search. The length-controlled win rate
is ``sigmoid(theta)``: the prediction at zero length difference.

AlpacaEval's GLM also has an instruction-difficulty term, fitted beforehand on many models'
answers to its 805 instructions; for other question sets (MT-Bench, a user's own) no such fit
exists, so the term is left out and the remaining model is the one above. The interval is a
percentile bootstrap over pairs (seeded), the standard error the bootstrap's deviation.

>>> lc = length_controlled([1.0, 1.0, 0.0, 0.5], [100.0, 50.0, -20.0, 0.0])
>>> 0.4 < lc < 0.9
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from evalkit.stats.metrics import MetricSummary

FloatArray = npt.NDArray[np.float64]
PENALTY = 1.0
BOOTSTRAP = 500


def _sigmoid(z: FloatArray) -> FloatArray:
    out: FloatArray = 0.5 * (1.0 + np.tanh(0.5 * z))  # no overflow for large |z|
    return out


def _loss(w: FloatArray, x: FloatArray, y: FloatArray) -> float:
    z = x @ w
    # cross-entropy with soft labels: log(1 + e^z) - y z, written without overflow
    return float(np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * PENALTY * (w @ w))


def fit(preferences: FloatArray, deltas: FloatArray) -> FloatArray:
    """The fitted ``(theta, phi)`` (see the module docstring)."""
    n = preferences.shape[0]
    sd = float(np.std(deltas, ddof=1)) if n > 1 else 0.0
    feature = np.tanh(deltas / sd) if sd > 0 else np.zeros(n)
    x = np.column_stack([np.ones(n), feature])
    w = np.zeros(2)
    for _ in range(100):
        p = _sigmoid(x @ w)
        grad = x.T @ (p - preferences) + PENALTY * w
        hessian = (x.T * (p * (1.0 - p))) @ x + PENALTY * np.eye(2)
        step = np.linalg.solve(hessian, grad)
        size, before = 1.0, _loss(w, x, preferences)
        while size > 1e-8 and _loss(w - size * step, x, preferences) > before:
            size /= 2
        w = w - size * step
        if float(np.max(np.abs(size * step))) < 1e-10:
            break
    return w


def length_controlled(
    preferences: Sequence[float] | FloatArray, deltas: Sequence[float] | FloatArray
) -> float:
    """The length-controlled win rate (0-1) of pairs with these preferences and differences."""
    w = fit(np.asarray(preferences, dtype=np.float64), np.asarray(deltas, dtype=np.float64))
    return float(_sigmoid(np.asarray([w[0]]))[0])


def lc_metric(preferences: Sequence[float], deltas: Sequence[float], seed: int) -> MetricSummary:
    """The length-controlled win rate with its bootstrap standard error and 95% interval."""
    y = np.asarray(preferences, dtype=np.float64)
    d = np.asarray(deltas, dtype=np.float64)
    n = y.shape[0]
    value = length_controlled(y, d)
    if n < 2:
        return MetricSummary(value, math.nan, math.nan, math.nan, n, float(n))
    rng = np.random.default_rng(seed)
    draws = np.empty(BOOTSTRAP)
    for b in range(BOOTSTRAP):
        pick = rng.integers(0, n, n)
        draws[b] = length_controlled(y[pick], d[pick])
    low, high = np.percentile(draws, [2.5, 97.5])
    return MetricSummary(value, float(np.std(draws, ddof=1)), float(low), float(high), n, float(n))


def judged_pairs(lines: Sequence[Mapping[str, Any]]) -> tuple[list[float], list[float]]:
    """Preferences and length differences of every parsed pair in scored sample lines."""
    prefs: list[float] = []
    deltas: list[float] = []
    ordered = sorted(lines, key=lambda ln: (ln.get("index", 0), ln.get("epoch", 0), str(ln["id"])))
    for line in ordered:
        if line.get("error") is not None or not line.get("metrics"):
            continue
        for pair in (line.get("details") or {}).get("pairs") or ():
            if pair.get("preference") is not None:
                prefs.append(float(pair["preference"]))
                deltas.append(float(pair["length_delta"]))
    return prefs, deltas


def lc_summary(lines: Sequence[Mapping[str, Any]], seed: int) -> dict[str, Any]:
    """``{"lc_win_rate": summary}`` over the run's parsed pairs (nothing when there are none)."""
    prefs, deltas = judged_pairs(lines)
    if not prefs:
        return {}
    return {"lc_win_rate": lc_metric(prefs, deltas, seed).to_dict()}
