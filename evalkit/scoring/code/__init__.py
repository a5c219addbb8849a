"""Code generation scoring: the program read from a reply, and its tests run in the sandbox.

:mod:`~evalkit.scoring.code.program` reads the program as a careful grader would (fenced blocks,
the entry point's block, helpers and the prompt's imports kept, demos and prose dropped);
:mod:`~evalkit.scoring.code.scorer` runs the problem's tests against it in
:class:`~evalkit.sandbox.Sandbox` (the ``code_tests`` scorer). pass@k lives in
:mod:`evalkit.stats.passk`.
"""

from __future__ import annotations

from evalkit.scoring.code.program import Extraction, continuation_program, extract_program
from evalkit.scoring.code.scorer import (
    CodeTestsScorer,
    check_program,
    error_kind,
    make_code_tests_scorer,
)

__all__ = [
    "CodeTestsScorer",
    "Extraction",
    "check_program",
    "continuation_program",
    "error_kind",
    "extract_program",
    "make_code_tests_scorer",
]
