"""BFCL's summary scores from per-category accuracies, weighted as BFCL's leaderboard weighs them.

BFCL (``bfcl_eval/eval_checker/eval_runner_helper.py``, ``generate_leaderboard_csv``) reports:

* **non-live AST**: the unweighted mean of simple, multiple, parallel and parallel_multiple
  (BFCL's "simple" is itself the mean of its Python, Java and JavaScript parts; evalkit runs
  the Python part, so simple is ``simple_python``);
* **live AST**: the mean of live_simple, live_multiple, live_parallel and
  live_parallel_multiple weighted by their entry counts (so it is the accuracy over all live
  AST entries);
* **irrelevance**: the unweighted mean of irrelevance and live_irrelevance;
* **overall**: BFCL v4 weighs non-live, live, irrelevance, multi-turn and agentic 10:10:10:30:40;
  over the single-turn sections evalkit runs, that is the unweighted mean of the first three.

A section with none of its categories in the run is left out (BFCL shows it as N/A).

>>> s = bfcl_summary({"simple_python": (0.9, 400), "multiple": (0.8, 200),
...                   "live_simple": (0.5, 258), "live_multiple": (0.75, 1053)})
>>> round(s["non_live_ast"], 4), round(s["live_ast"], 4), round(s["overall"], 4)
(0.85, 0.7008, 0.7754)
"""

from __future__ import annotations

import math
from collections.abc import Mapping

__all__ = ["SECTIONS", "bfcl_summary", "section_of"]

SECTIONS: Mapping[str, tuple[str, ...]] = {
    "non_live_ast": ("simple_python", "multiple", "parallel", "parallel_multiple"),
    "live_ast": ("live_simple", "live_multiple", "live_parallel", "live_parallel_multiple"),
    "irrelevance": ("irrelevance", "live_irrelevance"),
}
"""The single-turn sections of BFCL's leaderboard and their categories."""

_WEIGHTED = frozenset({"live_ast"})


def section_of(category: str) -> str:
    """Return the leaderboard section of a category.

    >>> section_of("live_parallel")
    'live_ast'
    """
    for section, categories in SECTIONS.items():
        if category in categories:
            return section
    raise KeyError(category)


def bfcl_summary(per_category: Mapping[str, tuple[float, int]]) -> dict[str, float]:
    """Return BFCL's section scores and overall from ``{category: (accuracy, count)}``."""
    out: dict[str, float] = {}
    for section, categories in SECTIONS.items():
        present = [per_category[c] for c in categories if c in per_category]
        if not present:
            continue
        if section in _WEIGHTED:
            total = sum(n for _, n in present)
            out[section] = math.fsum(a * n for a, n in present) / total if total else 0.0
        else:
            out[section] = math.fsum(a for a, _ in present) / len(present)
    if out:
        out["overall"] = math.fsum(out.values()) / len(out)
    return out
