r"""pass@k: the chance that at least one of k samples of a problem passes its tests.

Chen et al. 2021 (*Evaluating Large Language Models Trained on Code*, section 2.1) draw
:math:`n \ge k` samples per problem, count the :math:`c` that pass, and estimate

.. math:: \text{pass@}k = 1 - \binom{n-c}{k} \Big/ \binom{n}{k}

which is unbiased (drawing k of the n without replacement), unlike :math:`1-(1-c/n)^k`. The
binomials overflow floats for large n, so the ratio is computed as the product
:math:`\prod_{i=n-c+1}^{n} (1 - k/i)`, each factor in (0, 1]. With one greedy sample per problem,
pass@1 is the fraction of problems solved.

>>> round(pass_at_k(10, 3, 1), 12)
0.3
>>> round(pass_at_k(10, 3, 5), 6)
0.916667
>>> pass_at_k(5, 0, 2), pass_at_k(5, 4, 2)
(0.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Iterable

from evalkit.errors import ConfigError


def pass_at_k(n: int, c: int, k: int) -> float:
    """Return the unbiased pass@k estimate for a problem with ``c`` of ``n`` samples passing.

    Raises:
        ConfigError: ``k`` is not in 1..n, or ``c`` is not in 0..n.
    """
    if not 1 <= k <= n:
        raise ConfigError(f"pass@{k} needs at least {k} samples per problem, got {n}")
    if not 0 <= c <= n:
        raise ConfigError(f"a problem cannot have {c} passing samples out of {n}")
    if n - c < k:
        return 1.0  # every k-subset holds a passing sample
    miss = 1.0
    for i in range(n - c + 1, n + 1):
        miss *= 1.0 - k / i
    return 1.0 - miss


def mean_pass_at_k(counts: Iterable[tuple[int, int]], k: int) -> float:
    """Return pass@k averaged over problems, given each problem's ``(n, c)``.

    Raises:
        ConfigError: no problems, or a problem with fewer than ``k`` samples.
    """
    values = [pass_at_k(n, c, k) for n, c in counts]
    if not values:
        raise ConfigError("pass@k of no problems")
    return sum(values) / len(values)
