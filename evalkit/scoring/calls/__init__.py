"""Function calling: replies decoded as calls and judged as BFCL's AST checker judges them.

Modules, in the order a reply meets them:

* :mod:`~evalkit.scoring.calls.tools`: BFCL function documents as native OpenAI tools;
* :mod:`~evalkit.scoring.calls.decode` and :mod:`~evalkit.scoring.calls.values`: a reply (prompt
  mode text ``[f(a=1)]`` or native tool calls) as a list of :class:`Call` values, read without
  evaluating anything;
* :mod:`~evalkit.scoring.calls.checker` and :mod:`~evalkit.scoring.calls.params`: the calls
  against a possible answer;
* :mod:`~evalkit.scoring.calls.scorer`: the ``bfcl`` scorer;
* :mod:`~evalkit.scoring.calls.summary`: BFCL's section and overall scores.
"""

from __future__ import annotations

from evalkit.scoring.calls.checker import Verdict, check
from evalkit.scoring.calls.decode import Call, Decoded, decode_text, decode_tool_calls
from evalkit.scoring.calls.scorer import BfclScorer, make_bfcl_scorer, render_calls
from evalkit.scoring.calls.summary import SECTIONS, bfcl_summary, section_of
from evalkit.scoring.calls.tools import declared_names, hinted, to_tool, tool_name

__all__ = [
    "SECTIONS",
    "BfclScorer",
    "Call",
    "Decoded",
    "Verdict",
    "bfcl_summary",
    "check",
    "declared_names",
    "decode_text",
    "decode_tool_calls",
    "hinted",
    "make_bfcl_scorer",
    "render_calls",
    "section_of",
    "to_tool",
    "tool_name",
]
