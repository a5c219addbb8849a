"""IFEval scoring (Zhou et al. 2023, arXiv:2311.07911): 25 kinds of verifiable instructions.

Same semantics as Google's ``instruction_following_eval`` checker, offline and deterministic:
sentences come from a packaged Punkt model (no NLTK download), language detection is seeded,
and ``keywords:letter_frequency`` counts the literal character asked for. Modules:

- :mod:`.scorer`: the :class:`IfevalScorer` and its metrics (strict/loose, prompt/instruction).
- :mod:`.registry`: the instruction ids and their checkers, in ``instructions_*`` modules.
- :mod:`.arguments`: reading and validating each instruction's kwargs.
- :mod:`.loose`: the response variants of loose accuracy.
- :mod:`.text`: word, sentence and Treebank token counting.
- :mod:`.language`: seeded language detection.
"""

from __future__ import annotations

from evalkit.scoring.ifeval.registry import INSTRUCTIONS, Instruction, build_instruction
from evalkit.scoring.ifeval.scorer import (
    IfevalScorer,
    Verdicts,
    judge,
    make_ifeval_scorer,
    verdicts_score,
)

__all__ = [
    "INSTRUCTIONS",
    "IfevalScorer",
    "Instruction",
    "Verdicts",
    "build_instruction",
    "judge",
    "make_ifeval_scorer",
    "verdicts_score",
]
