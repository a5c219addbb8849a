r"""The IFEval scorer: one prompt's instructions checked strictly and loosely.

The response is the reply as :func:`~evalkit.scoring.response.reply_text` reads it (no reasoning
block, ``\n`` line ends, no zero-width characters). Strict: an instruction is followed if the
response, as is, passes its check. Loose: if any of the
:func:`~evalkit.scoring.ifeval.loose.response_variants` passes. A blank text never passes.

Per sample the :class:`~evalkit.types.Score` carries, for strict and loose alike, the
prompt-level verdict (all instructions followed, weight 1), the instruction-level fraction
(weight = number of instructions) and one fraction per instruction type (weight = how many
instructions of that type the prompt has). The run's weighted mean of each metric is then the
paper's figure: prompt-level accuracy, instruction-level accuracy (followed / total
instructions), and per-type accuracy.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evalkit.errors import DataError
from evalkit.scoring.ifeval.loose import response_variants
from evalkit.scoring.ifeval.registry import Instruction, build_instruction
from evalkit.scoring.response import reply_text
from evalkit.types import Completion, Sample, Score


@dataclass(frozen=True, slots=True)
class Verdicts:
    """Whether each instruction of a prompt is followed, strictly and loosely.

    Attributes:
        instruction_ids: The prompt's instruction ids, in dataset order.
        strict: One verdict per instruction on the response as is.
        loose: One verdict per instruction on the best loose variant.
    """

    instruction_ids: tuple[str, ...]
    strict: tuple[bool, ...]
    loose: tuple[bool, ...]


def _follows(instruction: Instruction, texts: Sequence[str]) -> bool:
    # As in the official evaluation, a blank text fails whatever the instruction.
    return any(text.strip() and instruction.check(text) for text in texts)


def judge(
    instruction_ids: Sequence[str],
    kwargs: Sequence[Mapping[str, Any] | None],
    prompt: str,
    response: str,
) -> Verdicts:
    r"""Check ``response`` against each instruction of a prompt.

    Args:
        instruction_ids: The dataset's ``instruction_id_list``.
        kwargs: The dataset's ``kwargs``, one mapping per instruction.
        prompt: The prompt the response answers.
        response: The model's response.

    Raises:
        DataError: The lists differ in length, or an instruction or argument is invalid.

    Examples:
        >>> judge(["punctuation:no_comma"], [{}], "Say hi.", "Sure, hi!\nHi!")
        Verdicts(instruction_ids=('punctuation:no_comma',), strict=(False,), loose=(True,))
    """
    if len(instruction_ids) != len(kwargs):
        raise DataError(
            f"IFEval row has {len(instruction_ids)} instruction ids but {len(kwargs)} kwargs"
        )
    instructions = [
        build_instruction(i, kw, prompt) for i, kw in zip(instruction_ids, kwargs, strict=True)
    ]
    variants = response_variants(response)
    strict = tuple(_follows(instruction, (response,)) for instruction in instructions)
    # The response itself is the first variant, so a strict pass is a loose pass.
    loose = tuple(s or _follows(i, variants[1:]) for s, i in zip(strict, instructions, strict=True))
    return Verdicts(tuple(instruction_ids), strict, loose)


def _level_metrics(
    level: str, ids: Sequence[str], followed: Sequence[bool]
) -> tuple[dict[str, float], dict[str, float]]:
    metrics = {f"prompt_{level}": float(all(followed)), f"inst_{level}": sum(followed) / len(ids)}
    weights = {f"inst_{level}": float(len(ids))}
    totals = Counter(ids)
    passed = Counter(i for i, ok in zip(ids, followed, strict=True) if ok)
    for instruction_id, total in totals.items():
        metrics[f"inst_{level}/{instruction_id}"] = passed[instruction_id] / total
        weights[f"inst_{level}/{instruction_id}"] = float(total)
    return metrics, weights


def verdicts_score(verdicts: Verdicts, completion: Completion) -> Score:
    """Turn a prompt's verdicts into its :class:`Score` (value = prompt-level strict)."""
    reply = reply_text(completion.text)
    strict_metrics, strict_weights = _level_metrics(
        "strict", verdicts.instruction_ids, verdicts.strict
    )
    loose_metrics, loose_weights = _level_metrics("loose", verdicts.instruction_ids, verdicts.loose)
    reason = None
    if completion.finish_reason == "length":
        reason = "truncated"
    elif not reply.strip():
        reason = "empty_response"
    return Score(
        value=strict_metrics["prompt_strict"],
        reason=reason,
        metrics={**strict_metrics, **loose_metrics},
        weights={**strict_weights, **loose_weights},
        details={"strict": list(verdicts.strict), "loose": list(verdicts.loose)},
    )


def _instruction_lists(sample: Sample) -> tuple[list[str], list[Mapping[str, Any] | None]]:
    ids = sample.metadata.get("instruction_id_list")
    kwargs = sample.metadata.get("kwargs")
    if not isinstance(ids, list | tuple) or not ids or not all(isinstance(i, str) for i in ids):
        raise DataError(f"IFEval sample {sample.id}: metadata needs an instruction_id_list")
    if not isinstance(kwargs, list | tuple) or not all(
        kw is None or isinstance(kw, Mapping) for kw in kwargs
    ):
        raise DataError(f"IFEval sample {sample.id}: metadata needs kwargs, a list of mappings")
    return list(ids), list(kwargs)


@dataclass(frozen=True, slots=True)
class IfevalScorer:
    """Scores a completion against the verifiable instructions of its IFEval prompt.

    The sample's ``metadata`` holds ``instruction_id_list`` and the aligned ``kwargs``; its
    ``data["prompt"]`` holds the prompt. Scoring is pure and deterministic.
    """

    def score(self, sample: Sample, completion: Completion) -> Score:
        """Check every instruction, strictly and loosely, and report the metrics."""
        ids, kwargs = _instruction_lists(sample)
        prompt = str(sample.data.get("prompt", ""))
        reply = reply_text(completion.text)
        return verdicts_score(judge(ids, kwargs, prompt, reply), completion)


def make_ifeval_scorer(params: Mapping[str, Any]) -> IfevalScorer:
    """Build the IFEval scorer; it reads none of the task's parameters (prompt settings only)."""
    del params
    return IfevalScorer()
