"""pass@k against the closed form and against brute-force enumeration of k-subsets."""

from __future__ import annotations

import itertools
import math
import random
from fractions import Fraction

import pytest

from evalkit.errors import ConfigError
from evalkit.stats.passk import mean_pass_at_k, pass_at_k


def closed_form(n: int, c: int, k: int) -> Fraction:
    return 1 - Fraction(math.comb(n - c, k), math.comb(n, k))


def enumerated(n: int, c: int, k: int) -> Fraction:
    """The fraction of k-subsets of n samples (the first c passing) holding a passing one."""
    subsets = list(itertools.combinations(range(n), k))
    return Fraction(sum(1 for s in subsets if min(s) < c), len(subsets))


def generated(count: int, max_n: int, seed: int) -> list[tuple[int, int, int]]:
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        n = rng.randint(1, max_n)
        cases.append((n, rng.randint(0, n), rng.randint(1, n)))
    return cases


@pytest.mark.parametrize(("n", "c", "k"), generated(300, 12, seed=13))
def test_matches_brute_force_enumeration(n: int, c: int, k: int) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(float(enumerated(n, c, k)), abs=1e-12)


@pytest.mark.parametrize(("n", "c", "k"), generated(300, 400, seed=7))
def test_matches_the_closed_form(n: int, c: int, k: int) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(float(closed_form(n, c, k)), rel=1e-9, abs=1e-12)


def test_large_n_stays_finite_and_exact() -> None:
    # comb(2000, 1000) is far beyond a float; the product form is not.
    value = pass_at_k(2000, 3, 1000)
    assert value == pytest.approx(float(closed_form(2000, 3, 1000)), rel=1e-12)
    assert 0.0 < value < 1.0


def test_special_cases() -> None:
    assert pass_at_k(1, 1, 1) == 1.0 and pass_at_k(1, 0, 1) == 0.0
    assert pass_at_k(20, 7, 1) == pytest.approx(7 / 20)
    assert pass_at_k(10, 8, 3) == 1.0  # only 2 failures: every 3-subset has a pass
    assert pass_at_k(10, 1, 10) == 1.0


def test_differs_from_the_biased_estimate() -> None:
    biased = 1 - (1 - 3 / 10) ** 5
    assert pass_at_k(10, 3, 5) != pytest.approx(biased)


def test_mean_over_problems() -> None:
    assert mean_pass_at_k([(10, 0), (10, 10), (10, 5)], 1) == pytest.approx(0.5)


@pytest.mark.parametrize(("n", "c", "k"), [(3, 1, 4), (3, 1, 0), (3, 4, 1), (3, -1, 1)])
def test_impossible_inputs_are_refused(n: int, c: int, k: int) -> None:
    with pytest.raises(ConfigError):
        pass_at_k(n, c, k)
    with pytest.raises(ConfigError, match="no problems"):
        mean_pass_at_k([], 1)
