"""Run discovery: the complete runs in a results folder, and the newest one of each task.

``leaderboard``, ``compare`` and ``gate`` all read results the same way: a path is either one run
folder or a folder searched recursively for ``run.json``; only ``complete`` runs count; and when
several runs compete for one slot the newest wins, by finish time, then start time, then run id,
so the choice is deterministic. :func:`incomparabilities` says when two runs of a task may not
be compared item by item.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.errors import ResultsError
from evalkit.records.io import RUN_FILE, RunRecord, read_record


@dataclass(frozen=True, slots=True)
class Run:
    """A complete run folder and its record.

    Attributes:
        path: The run folder.
        record: Its validated ``run.json``.
    """

    path: Path
    record: RunRecord

    @property
    def label(self) -> str:
        """The task label (``name`` or ``name:variant``)."""
        return str(self.record.task.get("label", ""))

    @property
    def recency(self) -> tuple[str, str, str]:
        """Sort key of "newest": finish time, then start time, then run id (all ISO/stable)."""
        r = self.record
        return (r.finished_at or r.created_at, r.created_at, r.run_id)


def find_runs(root: Path) -> list[Run]:
    """Return the complete runs at ``root``: the folder itself if it is a run, else all below it.

    Args:
        root: A run folder, or a folder searched recursively for ``run.json``.

    Returns:
        The complete runs, in path order (runs still running or failed are skipped).

    Raises:
        ResultsError: ``root`` does not exist, is a run that is not complete, or holds an
            unreadable ``run.json``.
    """
    if not root.is_dir():
        raise ResultsError(f"'{root}' is not a folder")
    if (root / RUN_FILE).is_file():
        run = Run(root, read_record(root))
        if run.record.status != "complete":
            raise ResultsError(f"run '{root}' is not complete (status: {run.record.status})")
        return [run]
    runs = [Run(p.parent, read_record(p.parent)) for p in sorted(root.rglob(RUN_FILE))]
    return [r for r in runs if r.record.status == "complete"]


def newest(runs: Iterable[Run]) -> Run:
    """Return the most recent run (see :attr:`Run.recency`; copies of one run: the last path)."""
    return max(runs, key=lambda r: (r.recency, r.path.as_posix()))


def runs_by_label(root: Path) -> dict[str, Run]:
    """Return the newest complete run of each task label under ``root``, labels sorted.

    Raises:
        ResultsError: No complete run is found, or a run is unreadable.
    """
    groups: dict[str, list[Run]] = {}
    for run in find_runs(root):
        groups.setdefault(run.label, []).append(run)
    if not groups:
        raise ResultsError(f"no complete run under '{root}'")
    return {label: newest(groups[label]) for label in sorted(groups)}


def incomparabilities(base: RunRecord, cand: RunRecord) -> list[str]:
    """Say why two runs of a task cannot be compared item by item as equals (empty if they can).

    They must share task version, primary metric, task parameters, dataset fingerprint and
    selected sample set; the model, generation settings and evalkit version may differ.
    """
    checks = [
        ("task version", base.task.get("version"), cand.task.get("version")),
        ("primary metric", base.task.get("primary_metric"), cand.task.get("primary_metric")),
        ("task parameters", base.task.get("params"), cand.task.get("params")),
        ("dataset fingerprint (sha256)", base.dataset.get("sha256"), cand.dataset.get("sha256")),
        (
            "sample set (selection_sha256)",
            base.dataset.get("selection_sha256"),
            cand.dataset.get("selection_sha256"),
        ),
    ]
    return [
        f"{what} differs: baseline {_short(b)}, candidate {_short(c)}"
        for what, b, c in checks
        if b != c
    ]


def _short(value: Any) -> str:
    text = str(value)
    return text[:12] + "…" if len(text) > 16 and " " not in text else text
