r"""The ``samples.jsonl`` line: built from a result, encoded, and checked when read back.

A line is encoded as one JSON object with sorted keys and UTF-8 text; lone surrogates (which a
model's reply can hold) are written as ``\udXXX`` escapes, so every line is valid UTF-8 and
reads back as the same string.

Reading checks more than JSON: a line must be an object whose fields have the types every
reader relies on (``compare``, ``gate``, the summary, resume), so a corrupt or hand-edited file
fails in one line naming the line and the field, never with a traceback deep in a report.
Parser limits count as corruption too: nesting deeper than the parser's recursion limit and
integers longer than Python converts (4,300 digits).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any, cast

from evalkit.records.schema import SampleLine
from evalkit.redaction import escape_surrogates
from evalkit.types import SampleResult

REQUIRED_SAMPLE_KEYS = ("id", "index", "epoch", "error")
"""What every ``samples.jsonl`` line must have: which sample it is, and whether it failed."""


def sample_line(result: SampleResult) -> SampleLine:
    """Return the ``samples.jsonl`` record of one finished sample.

    A multi-turn sample also gets ``transcript`` (every turn after the prompt); single-request
    samples keep the line they always had.
    """
    c, s = result.completion, result.score
    line: SampleLine = {
        "id": result.sample.id,
        "index": result.sample.index,
        "epoch": result.request.epoch,
        "prompt": result.request.prompt_json(),
        "target": result.sample.target,
        "metadata": dict(result.sample.metadata),
        "completion": c.text if c else None,
        "finish_reason": c.finish_reason if c else None,
        "latency_s": round(c.latency_s, 4) if c else None,
        "usage": {"input_tokens": c.usage.input_tokens, "output_tokens": c.usage.output_tokens}
        if c
        else None,
        "answer": s.answer if s else None,
        "score": s.value if s else None,
        "metrics": dict(s.metrics) if s else None,
        "weights": dict(s.weights) if s and s.weights else None,
        "reason": s.reason if s else None,
        "details": dict(s.details) if s and s.details else None,
        "option_logprobs": list(c.option_logprobs) if c and c.option_logprobs else None,
        "attempts": result.attempts,
        "error": result.error,
    }
    if result.transcript:
        line["transcript"] = [m.to_dict() for m in result.transcript]
    if c is not None and c.tool_calls:  # native calls are the answer of function-calling tasks
        line["tool_calls"] = [t.to_dict() for t in c.tool_calls]
    return line


def encode_line(line: Mapping[str, Any]) -> str:
    """One line of ``samples.jsonl`` (with its newline), always encodable as UTF-8."""
    return escape_surrogates(json.dumps(line, sort_keys=True, ensure_ascii=False)) + "\n"


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return (_is_int(v) or isinstance(v, float)) and math.isfinite(v)


def _optional(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda v: v is None or check(v)


def _numbers(v: Any) -> bool:
    return isinstance(v, dict) and all(_is_number(x) for x in v.values())


def _integers(v: Any) -> bool:
    return isinstance(v, dict) and all(_is_int(x) for x in v.values())


_FIELD_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "id": (lambda v: isinstance(v, str), "text"),
    "index": (_is_int, "an integer"),
    "epoch": (_is_int, "an integer"),
    "error": (_optional(lambda v: isinstance(v, str)), "text or null"),
    "attempts": (_is_int, "an integer"),
    "metadata": (_optional(lambda v: isinstance(v, dict)), "an object"),
    "metrics": (_optional(_numbers), "an object of finite numbers"),
    "weights": (_optional(_numbers), "an object of finite numbers"),
    "usage": (_optional(_integers), "an object of integers"),
    "score": (_optional(_is_number), "a finite number or null"),
    "latency_s": (_optional(_is_number), "a finite number or null"),
    "completion": (_optional(lambda v: isinstance(v, str)), "text or null"),
    "answer": (_optional(lambda v: isinstance(v, str)), "text or null"),
    "reason": (_optional(lambda v: isinstance(v, str)), "text or null"),
    "finish_reason": (_optional(lambda v: isinstance(v, str)), "text or null"),
}  # fmt: skip
"""Each known field's check and what it should be (fields not listed may hold anything)."""


def parse_line(raw: bytes) -> tuple[SampleLine | None, str]:
    """Parse one line; return the record, or ``None`` and why it is not one."""
    try:
        record = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "not UTF-8"
    except RecursionError:
        return None, "nested too deeply"
    except ValueError as exc:  # JSONDecodeError, and integers longer than Python converts
        return None, "not JSON" if isinstance(exc, json.JSONDecodeError) else "number too long"
    if not isinstance(record, dict):
        return None, "not a JSON object"
    missing = [k for k in REQUIRED_SAMPLE_KEYS if k not in record]
    if missing:
        return None, f"no '{missing[0]}' field"
    for key, (check, want) in _FIELD_CHECKS.items():
        if key in record and not check(record[key]):
            return None, f"'{key}' must be {want}"
    return cast(SampleLine, record), ""
