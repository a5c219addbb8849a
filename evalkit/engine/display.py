"""Terminal output of a run: live progress on a TTY, plain lines otherwise, nothing when quiet.

The runner reports through the :class:`Display` protocol only; it never prints.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # rich is imported only when a live display is drawn
    from rich.console import Console
    from rich.progress import TaskID


class Display(Protocol):
    """Receives progress events from the runner."""

    def start(self, label: str, total: int) -> None:
        """A task begins with ``total`` samples."""
        ...

    def advance(self, label: str, score: float | None, error: bool) -> None:
        """One sample of task ``label`` finished (``score`` None when it errored)."""
        ...

    def finish(self, label: str, summary: str) -> None:
        """The task ended; ``summary`` is one line."""
        ...

    def close(self) -> None:
        """The run ended."""
        ...


class _Counter:
    def __init__(self) -> None:
        self.done = 0
        self.errors = 0
        self.score_sum = 0.0
        self.started = time.monotonic()

    def add(self, score: float | None, error: bool) -> None:
        self.done += 1
        self.errors += int(error)
        self.score_sum += score or 0.0

    def fields(self) -> dict[str, Any]:
        scored = self.done - self.errors
        elapsed = max(time.monotonic() - self.started, 1e-9)
        acc = self.score_sum / scored if scored else 0.0
        return {"acc": f"{acc:.3f}", "rate": f"{self.done / elapsed:.1f}", "errors": self.errors}


class RichDisplay:
    """A rich progress bar per task: done/total, req/s, ETA, running accuracy, errors."""

    def __init__(self, console: Console | None = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._console = console or Console(stderr=True)
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(
                "{task.fields[rate]} req/s  acc {task.fields[acc]}  errors {task.fields[errors]}"
            ),
            TimeRemainingColumn(),
            console=self._console,
            refresh_per_second=8,
        )
        self._progress.start()
        self._bars: dict[str, tuple[TaskID, _Counter]] = {}

    def start(self, label: str, total: int) -> None:
        """Add a bar for the task."""
        counter = _Counter()
        bar = self._progress.add_task(label, total=total, **counter.fields())
        self._bars[label] = (bar, counter)

    def advance(self, label: str, score: float | None, error: bool) -> None:
        """Move the task's bar and refresh its running figures."""
        bar, counter = self._bars[label]
        counter.add(score, error)
        self._progress.update(bar, advance=1, **counter.fields())

    def finish(self, label: str, summary: str) -> None:
        """Print the task's summary line under the bars."""
        self._progress.console.print(f"{label}: {summary}")

    def close(self) -> None:
        """Stop the live display."""
        self._progress.stop()


class PlainDisplay:
    """One line per finished task on stderr (for logs and pipes)."""

    def start(self, label: str, total: int) -> None:
        """Announce the task."""
        print(f"{label}: {total} samples", file=sys.stderr, flush=True)

    def advance(self, label: str, score: float | None, error: bool) -> None:
        """Nothing per sample (logs get one line per task)."""

    def finish(self, label: str, summary: str) -> None:
        """Print the summary line."""
        print(f"{label}: {summary}", file=sys.stderr, flush=True)

    def close(self) -> None:
        """Nothing to stop."""


class QuietDisplay:
    """Shows nothing."""

    def start(self, label: str, total: int) -> None:
        """Ignore."""

    def advance(self, label: str, score: float | None, error: bool) -> None:
        """Ignore."""

    def finish(self, label: str, summary: str) -> None:
        """Ignore."""

    def close(self) -> None:
        """Ignore."""


def make_display(quiet: bool) -> Display:
    """Pick the display: quiet, rich on a TTY, plain otherwise."""
    if quiet:
        return QuietDisplay()
    if sys.stderr.isatty():
        return RichDisplay()
    return PlainDisplay()
