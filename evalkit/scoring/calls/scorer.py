"""The ``bfcl`` scorer: a reply's function calls judged as BFCL's AST evaluation judges them.

What the scorer reads from a sample (built by ``tasks/bfcl/adapter.py``):

* ``sample.metadata["category"]``: the BFCL category (decides the matching, see
  :mod:`evalkit.scoring.calls.checker`);
* ``sample.data["functions"]``: the entry's function documents as BFCL ships them;
* ``sample.target``: the possible answer as JSON (empty for the irrelevance categories).

Native mode (``calls = "native"``) reads ``completion.tool_calls``; prompt mode reads the reply
text (after :func:`~evalkit.scoring.response.reply_text`, which drops ``<think>`` reasoning) as
a Python list of calls. Irrelevance categories are right when the reply holds no well-formed call
(BFCL: the decoder fails or finds none); every other category needs a decodable, well-formed reply
that the checker accepts. A wrong verdict carries its reason (a decoder code such as
``not_calls`` or ``bad_arguments``, or the checker's BFCL error type) and a one-line message in
``details["error"]``; nothing a model writes makes the scorer raise.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from evalkit.errors import ConfigError
from evalkit.scoring.calls.checker import check
from evalkit.scoring.calls.decode import Call, Decoded, decode_text, decode_tool_calls
from evalkit.scoring.calls.summary import SECTIONS, bfcl_summary
from evalkit.scoring.calls.tools import declared_names
from evalkit.scoring.response import reply_text
from evalkit.types import Completion, Sample, Score

__all__ = ["BfclScorer", "Mode", "make_bfcl_scorer", "render_calls"]

Mode = Literal["native", "prompt"]
MODES: tuple[Mode, ...] = ("native", "prompt")
_MAX_ANSWER_CHARS = 2_000


def render_calls(calls: Sequence[Call], names: Mapping[str, str] | None = None) -> str:
    """Write calls as one line of call syntax, names mapped through ``names`` when given.

    >>> render_calls([Call("math_factorial", {"n": 5})], {"math_factorial": "math.factorial"})
    '[math.factorial(n=5)]'
    """
    parts = []
    for call in calls:
        name = (names or {}).get(call.name, call.name)
        if type(call.arguments) is dict:
            args = ", ".join(f"{'**' if k is None else k}={v!r}" for k, v in call.arguments.items())
        else:
            args = repr(call.arguments)
        parts.append(f"{name}({args})")
    text = "[" + ", ".join(parts) + "]"
    return text if len(text) <= _MAX_ANSWER_CHARS else text[: _MAX_ANSWER_CHARS - 3] + "..."


@dataclass(frozen=True, slots=True)
class BfclScorer:
    """Scores function calls against BFCL's possible answers (see the module docstring)."""

    mode: Mode = "native"

    def decode(self, completion: Completion) -> Decoded:
        """Decode the completion's calls in this scorer's mode."""
        if self.mode == "native":
            return decode_tool_calls(completion.tool_calls)
        return decode_text(reply_text(completion.text))

    def score(self, sample: Sample, completion: Completion) -> Score:
        """Judge the completion's calls for ``sample``."""
        category = str(sample.metadata["category"])
        functions: Sequence[Mapping[str, Any]] = sample.data["functions"]
        decoded = self.decode(completion)
        names = declared_names(functions) if self.mode == "native" else None
        answer = render_calls(decoded.calls, names) if decoded.calls else None
        if "irrelevance" in category:
            called = decoded.well_formed and bool(decoded.calls)
            if decoded.error in ("reply_too_long", "too_many_calls"):
                return _wrong(decoded.error, decoded.detail, answer)
            return _right(answer) if not called else _wrong("irrelevance:called", "", answer)
        if decoded.error is not None:
            truncated = completion.finish_reason == "length"
            return _wrong("truncated" if truncated else decoded.error, decoded.detail, answer)
        if not decoded.well_formed:
            return _wrong("not_calls", "arguments that are not a JSON object", answer)
        if not decoded.calls:
            return _wrong("no_answer_found", "the reply has no call", None)
        verdict = check(
            category, functions, decoded.calls, json.loads(sample.target), self.mode == "native"
        )
        if verdict.valid:
            return _right(answer)
        return _wrong(verdict.code, verdict.message, answer)

    def summarize(self, lines: Sequence[Mapping[str, Any]], seed: int) -> dict[str, Any]:
        """BFCL's section scores and overall, weighted as its leaderboard weighs them.

        ``bfcl_overall`` and ``bfcl_section/<name>`` (see :func:`bfcl_summary`); sections are
        means of category accuracies, so they carry no per-sample interval.
        """
        per: dict[str, list[float]] = {}
        for line in lines:
            value = (line.get("metrics") or {}).get("accuracy")
            if line.get("error") is None and value is not None:
                per.setdefault(str((line.get("metadata") or {}).get("category")), []).append(value)
        accuracies = {c: (math.fsum(v) / len(v), len(v)) for c, v in per.items()}
        summary = bfcl_summary({c: a for c, a in accuracies.items() if c in SECTION_CATEGORIES})
        n = sum(len(v) for v in per.values())
        return {
            ("bfcl_overall" if k == "overall" else f"bfcl_section/{k}"): _point(v, n)
            for k, v in summary.items()
        }


SECTION_CATEGORIES = frozenset(c for cats in SECTIONS.values() for c in cats)


def _point(value: float, n: int) -> dict[str, Any]:
    rounded = round(value, 6)
    return {"mean": rounded, "stderr": None, "ci_low": None, "ci_high": None, "n": n}


def _right(answer: str | None) -> Score:
    return Score(1.0, answer, None, {"accuracy": 1.0})


def _wrong(reason: str, message: str, answer: str | None) -> Score:
    details = {"error": message[:500]} if message else {}
    return Score(0.0, answer, reason, {"accuracy": 0.0}, details=details)


def make_bfcl_scorer(params: Mapping[str, Any]) -> BfclScorer:
    """Build the scorer from the task's parameters (``calls``: ``native`` or ``prompt``).

    Raises:
        ConfigError: ``calls`` is neither.
    """
    mode = str(params.get("calls", "native"))
    for known in MODES:
        if mode == known:
            return BfclScorer(known)
    raise ConfigError(f"bfcl: unknown calls mode '{mode}' ({' or '.join(MODES)})")
