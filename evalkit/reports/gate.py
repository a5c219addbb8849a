"""The regression gate: per-task verdicts on a candidate against a baseline, for CI.

Decision rule. For each task label both sides have, the runs are paired item by item
(:mod:`evalkit.reports.compare`) and :func:`evalkit.stats.paired.paired_drop_test` tests
``H0: the true drop is at most max_drop points`` against ``H1: it is larger``, one-sided. A task
**fails** when its p-value, adjusted for the number of tasks, is below ``alpha``; the gate fails
when any task fails. A change within noise, or a drop that may be no larger than the allowed
margin, passes.

Several tasks. Without correction, a gate over ``k`` tasks with no real change would fire up to
``k * alpha`` of the time. The default Holm correction keeps that family-wise false alarm rate at
``alpha`` and is uniformly more powerful than Bonferroni; ``correction="none"`` tests each task at
``alpha`` on its own.

Refusal. The gate only judges runs that measure the same thing: every baseline task needs a
candidate run, and the two runs must share task version, primary metric, task parameters, dataset
fingerprint and sample set (:func:`evalkit.records.runs.incomparabilities`). Otherwise it raises
:class:`~evalkit.errors.ConfigError` (exit 2) with the reasons; it never turns an incomparable
pair into a pass. Candidate tasks without a baseline are reported as not gated.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from evalkit.errors import ConfigError, GateFailed, ResultsError
from evalkit.records.io import atomic_write
from evalkit.records.runs import Run, incomparabilities, runs_by_label
from evalkit.reports.compare import (
    TaskComparison,
    change,
    compare_runs,
    flip_table,
    item_values,
    points,
)
from evalkit.reports.table import markdown_table
from evalkit.stats.paired import DropTest, paired_drop_test

Correction = Literal["holm", "none"]


@dataclass(frozen=True, slots=True)
class TaskVerdict:
    """The gate's decision on one task.

    Attributes:
        comparison: The paired comparison of the two runs.
        test: The drop test on the matched items.
        pvalue: The test's p-value adjusted for the number of tasks (equal to ``test.pvalue``
            without correction).
        failed: ``pvalue < alpha``: a drop larger than the margin, beyond noise.
    """

    comparison: TaskComparison
    test: DropTest
    pvalue: float
    failed: bool

    @property
    def label(self) -> str:
        """The task label."""
        return self.comparison.label

    def describe(self, alpha: float) -> str:
        """One line: the change, the margin and the evidence."""
        c = self.comparison
        sign = "<" if self.failed else ">="
        return (
            f"{c.label}: {points(c.base_mean)} -> {points(c.cand_mean)}, change {change(c.diff)}"
            f" points; drop beyond {_points(100 * self.test.margin)}: p = {self.pvalue:.3g}"
            f" {sign} {alpha:g}"
        )


@dataclass(frozen=True, slots=True)
class GateReport:
    """Everything the gate decided.

    Attributes:
        baseline: The baseline side as given.
        candidate: The candidate side as given.
        max_drop: The tolerated drop in points.
        alpha: The significance level.
        correction: How p-values were adjusted across tasks.
        tasks: One verdict per gated task, labels sorted.
        ungated: Candidate task labels without a baseline run.
    """

    baseline: Path
    candidate: Path
    max_drop: float
    alpha: float
    correction: Correction
    tasks: tuple[TaskVerdict, ...]
    ungated: tuple[str, ...]

    @property
    def failures(self) -> tuple[TaskVerdict, ...]:
        """The tasks that regressed."""
        return tuple(t for t in self.tasks if t.failed)

    @property
    def passed(self) -> bool:
        """True when no task regressed."""
        return not self.failures


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p-values, in the input order.

    Rejecting where the adjusted p-value is below ``alpha`` keeps the family-wise error rate at
    ``alpha`` for any dependence between the tests.

    Example:
        >>> [round(p, 3) for p in holm([0.01, 0.04, 0.03])]
        [0.03, 0.06, 0.06]
    """
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    adjusted = [1.0] * len(pvalues)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(pvalues) - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def _validate(max_drop: float, alpha: float) -> None:
    if not (math.isfinite(max_drop) and 0.0 <= max_drop < 100.0):
        raise ConfigError(f"--max-drop must be in [0, 100) points, got {max_drop}")
    if not 0.0 < alpha < 1.0:
        raise ConfigError(f"--alpha must be between 0 and 1, got {alpha}")


def refusals(base: dict[str, Run], cand: dict[str, Run]) -> list[str]:
    """Say why the gate cannot judge these sides (empty when it can)."""
    reasons = [f"{label}: no candidate run" for label in base if label not in cand]
    for label in sorted(base.keys() & cand.keys()):
        reasons += [
            f"{label}: {why}" for why in incomparabilities(base[label].record, cand[label].record)
        ]
    return reasons


def _refuse(reasons: Sequence[str]) -> None:
    if reasons:
        raise ConfigError("the gate refuses incomparable runs: " + "; ".join(reasons))


def _verdicts(
    comparisons: Sequence[TaskComparison], margin: float, alpha: float, correction: Correction
) -> tuple[TaskVerdict, ...]:
    tests = []
    for c in comparisons:
        b, cand, w = item_values(c.pairing)
        tests.append(paired_drop_test(b, cand, margin=margin, alpha=alpha, weights=w))
    raw = [t.pvalue for t in tests]
    adjusted = holm(raw) if correction == "holm" else raw
    return tuple(
        TaskVerdict(c, t, p, p < alpha)
        for c, t, p in zip(comparisons, tests, adjusted, strict=True)
    )


def gate(
    baseline: Path,
    candidate: Path,
    max_drop: float = 1.0,
    alpha: float = 0.05,
    *,
    correction: Correction = "holm",
    n_boot: int = 2000,
    seed: int = 0,
) -> GateReport:
    """Judge a candidate against a baseline, task by task (see the module docstring).

    Args:
        baseline: A run folder or a folder of run folders (one per task; the newest wins).
        candidate: The same for the candidate.
        max_drop: Tolerated drop in points of the primary metric (``1.0`` = 0.01 on a 0-1 scale).
        alpha: Significance level of the one-sided test, family-wise with Holm.
        correction: ``holm`` across tasks, or ``none``.
        n_boot: Bootstrap replicates of the displayed confidence intervals.
        seed: Bootstrap seed.

    Returns:
        The report; call :func:`check` to turn a regression into :class:`GateFailed`.

    Raises:
        ConfigError: Invalid margin or level, or runs that cannot be compared (with reasons).
        ResultsError: A side has no complete run, or a file is unreadable.
    """
    _validate(max_drop, alpha)
    base, cand = runs_by_label(baseline), runs_by_label(candidate)
    _refuse(refusals(base, cand))
    comparisons = [compare_runs(base[t], cand[t], n_boot=n_boot, seed=seed) for t in base]
    _refuse([f"{c.label}: no sample scored in both runs" for c in comparisons if not c.pairing_n])
    return GateReport(
        baseline,
        candidate,
        max_drop,
        alpha,
        correction,
        _verdicts(comparisons, max_drop / 100.0, alpha, correction),
        tuple(sorted(cand.keys() - base.keys())),
    )


def _points(x: float) -> str:
    return f"{x:g} point" + ("" if x == 1 else "s")


def _tasks(n: int) -> str:
    return f"{n} task" + ("" if n == 1 else "s")


def headline(report: GateReport) -> str:
    """One line saying what the gate decided."""
    n = len(report.tasks)
    if report.passed:
        return f"gate passed: no task dropped more than {_points(report.max_drop)} ({_tasks(n)})"
    names = ", ".join(t.label for t in report.failures)
    return f"gate failed: {len(report.failures)} of {_tasks(n)} regressed ({names})"


def check(report: GateReport) -> None:
    """Raise :class:`GateFailed` (exit 1) when a task regressed.

    Raises:
        GateFailed: At least one task's drop is significant.
    """
    if not report.passed:
        details = "; ".join(t.describe(report.alpha) for t in report.failures)
        raise GateFailed(f"{headline(report)}: {details}")


def _task_row(t: TaskVerdict) -> list[str]:
    c = t.comparison
    verdict = "❌ regressed" if t.failed else "✅ pass"
    return [c.label, verdict, points(c.base_mean), points(c.cand_mean), change(c.diff)]


def summary_markdown(report: GateReport, max_flips: int = 20) -> str:
    """Render the report for a CI job summary or a pull-request comment.

    Args:
        report: The gate's report.
        max_flips: Flipped items listed per task (lost ones first) in a collapsed section.
    """
    icon = "✅" if report.passed else "❌"
    scope = (
        f"Holm-corrected over {_tasks(len(report.tasks))}"
        if report.correction == "holm"
        else ("each task on its own")
    )
    out = [f"## {icon} evalkit {headline(report)}\n"]
    out.append(
        f"Baseline `{report.baseline}`, candidate `{report.candidate}`. A task fails when its"
        f" primary metric dropped by more than **{_points(report.max_drop)}** with one-sided"
        f" significance at α = {report.alpha:g} ({scope}). Scores in points; the interval is the"
        " paired 95% bootstrap CI.\n"
    )
    headers = ["task", "verdict", "baseline", "candidate", "change [95% CI]"]
    headers += ["lost / gained", "p", "n", "unmatched"]
    rows = [
        _task_row(t)
        + [f"{t.comparison.lost} / {t.comparison.gained}", f"{t.pvalue:.3g}"]
        + [str(t.comparison.pairing_n)]
        + [str(t.comparison.pairing.base_only + t.comparison.pairing.cand_only)]
        for t in report.tasks
    ]
    out.append(markdown_table(headers, rows))
    if report.ungated:
        out.append(f"Not gated (no baseline run): {', '.join(report.ungated)}.\n")
    for t in report.tasks:
        flips = sorted(t.comparison.pairing.flips, key=lambda f: not f.lost)
        if flips:
            title = f"{t.label}: {t.comparison.lost} lost, {t.comparison.gained} gained"
            table = flip_table(flips, max_flips)
            out.append(f"<details><summary>{title}</summary>\n\n{table}\n</details>\n")
    return "\n".join(out)


def junit_xml(report: GateReport) -> str:
    """Render the report as JUnit XML: one test case per task, not-gated tasks as skipped."""
    suite = ET.Element(
        "testsuite",
        {
            "name": "evalkit gate",
            "tests": str(len(report.tasks) + len(report.ungated)),
            "failures": str(len(report.failures)),
            "errors": "0",
            "skipped": str(len(report.ungated)),
        },
    )
    for t in report.tasks:
        case = ET.SubElement(suite, "testcase", {"classname": "evalkit.gate", "name": t.label})
        if t.failed:
            failure = ET.SubElement(case, "failure", {"type": "regression"})
            failure.set("message", t.describe(report.alpha))
        ET.SubElement(case, "system-out").text = t.describe(report.alpha)
    for label in report.ungated:
        case = ET.SubElement(suite, "testcase", {"classname": "evalkit.gate", "name": label})
        ET.SubElement(case, "skipped", {"message": "no baseline run"})
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, "unicode") + "\n"


def write_text(path: Path, text: str) -> None:
    """Write a report file, creating its folder.

    Raises:
        ResultsError: The file cannot be written.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ResultsError(f"cannot create '{path.parent}': {exc.strerror or exc}") from None
    atomic_write(path, text)
