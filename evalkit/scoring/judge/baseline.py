"""The baseline of a pairwise comparison: another run's answers (``--baseline-run RUN``).

The engine loads the baseline run once (its ``run.json`` and ``samples.jsonl``) and lends it to
pairwise scorers; each sample is compared with the baseline's answers to the same sample id.
A baseline of another task, or one with no answer for a sample (it erred there), is refused:
the run before any request, the sample as an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.errors import ConfigError, ResultsError
from evalkit.scoring.judge.conversation import line_answers


@dataclass(frozen=True, slots=True)
class BaselineRun:
    """A finished run whose answers are the other side of every pair.

    Attributes:
        run_id: The baseline run's id.
        model: Its model, as tables show it.
        task: Its task name.
        answers: Sample id → the answers, turn by turn (samples that erred are absent).
    """

    run_id: str
    model: str
    task: str
    answers: Mapping[str, tuple[str, ...]]

    def describe(self) -> dict[str, Any]:
        """What ``run.json`` records about the baseline (under ``judge.baseline``)."""
        return {"run_id": self.run_id, "model": self.model, "task": self.task}

    def answers_for(self, sample_id: str) -> tuple[str, ...]:
        """The baseline's answers to ``sample_id``.

        Raises:
            ValueError: the baseline has none (the sample is recorded as an error).
        """
        found = self.answers.get(sample_id)
        if not found:
            raise ValueError(f"baseline run {self.run_id} has no answer for sample {sample_id}")
        return found


def load_baseline(run_dir: Path, task: str) -> BaselineRun:
    """Read a baseline run of ``task``.

    Raises:
        ConfigError: the folder is not a readable run, or is a run of another task.
    """
    from evalkit.records.io import read_record, read_samples

    try:
        record = read_record(run_dir)
        lines = read_samples(run_dir)
    except ResultsError as exc:
        raise ConfigError(f"--baseline-run: {exc}") from None
    if record.redacted:
        raise ConfigError(
            f"--baseline-run: run {record.run_id} is a published copy without answers"
        )
    name = str(record.task.get("name"))
    if name != task:
        raise ConfigError(f"--baseline-run: run {record.run_id} is a run of '{name}', not '{task}'")
    answers = {}
    for line in lines:
        found = line_answers(line)
        if found is not None:
            answers[str(line["id"])] = found
    return BaselineRun(record.run_id, record.model_name(), name, answers)
