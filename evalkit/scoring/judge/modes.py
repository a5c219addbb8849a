"""The judged scorers a task names, and how its parameters choose the judging mode.

Two scorer names, each in two modes chosen by the task parameter ``judge_mode``, so that one
task has a single-grading default and a ``pairwise`` variant (``mtbench:pairwise``):

* ``mtbench``: FastChat's MT-Bench judge prompts (``single-v1`` ... / ``pair-v2`` ...);
* ``judged``: a user's rubric, a jinja2 file (``rubric``, or ``pair_rubric`` for pairs); the
  defaults are the built-in ``judged`` task's ``rubric.jinja``, ``rubric_reference.jinja`` (when
  ``reference_field`` is set) and ``pairwise.jinja``.

``judge_mode``: ``single`` (a 1-10 rating per turn, :mod:`~evalkit.scoring.judge.single`) or
``pairwise`` (against a baseline in both orders, :mod:`~evalkit.scoring.judge.pairwise`), with
``baseline``: ``run`` (``--baseline-run RUN``) or ``reference`` (the sample's reference answer).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evalkit.errors import ConfigError
from evalkit.scoring.judge.mtbench_data import MtBenchPrompts
from evalkit.scoring.judge.pairwise import Against, PairwiseScorer
from evalkit.scoring.judge.prompts import OnePrompt, rubric_prompt
from evalkit.scoring.judge.single import RatingScorer


def _mode(params: Mapping[str, Any]) -> str:
    mode = str(params.get("judge_mode", "single"))
    if mode not in ("single", "pairwise"):
        raise ConfigError(f"judge_mode must be 'single' or 'pairwise', got '{mode}'")
    return mode


def _against(params: Mapping[str, Any]) -> Against:
    value = str(params.get("baseline", "run"))
    if value not in ("run", "reference"):
        raise ConfigError(f"baseline must be 'run' or 'reference', got '{value}'")
    return "run" if value == "run" else "reference"


def rubric_path(name: str) -> Path:
    """Where a rubric parameter points: as given, else in the built-in ``judged`` task.

    An absolute path, or one that exists from the current folder, is used as it is.
    """
    from evalkit.task.spec import packaged_tasks_dir

    path = Path(name)
    if path.is_absolute() or path.is_file():
        return path
    return packaged_tasks_dir() / "judged" / path


def make_mtbench_scorer(params: Mapping[str, Any]) -> RatingScorer | PairwiseScorer:
    """``scorer = "mtbench"``: FastChat's single-answer or pairwise prompts."""
    if _mode(params) == "single":
        return RatingScorer(MtBenchPrompts("single"))
    return PairwiseScorer(MtBenchPrompts("pair"), _against(params))


def make_judged_scorer(params: Mapping[str, Any]) -> RatingScorer | PairwiseScorer:
    """``scorer = "judged"``: the user's rubric templates (see the module docstring)."""
    if _mode(params) == "pairwise":
        name = str(params.get("pair_rubric") or "pairwise.jinja")
        return PairwiseScorer(OnePrompt(rubric_prompt(rubric_path(name))), _against(params))
    default = "rubric_reference.jinja" if params.get("reference_field") else "rubric.jinja"
    name = str(params.get("rubric") or default)
    return RatingScorer(OnePrompt(rubric_prompt(rubric_path(name))))
