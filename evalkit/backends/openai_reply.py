"""Reading OpenAI-protocol replies: the first choice's text, usage, tool calls and logprobs.

Replies come from servers evalkit does not control, so every field is checked for its type:
a reply of the wrong shape raises one of :data:`MALFORMED` (the backend turns it into a
transient error), including bookkeeping fields that are nonsense (usage counts of ``1e999``,
``NaN`` or 400 digits); only fields a server may leave out (usage, finish reason) are optional.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from typing import Any, cast

from evalkit.errors import FatalBackendError
from evalkit.types import FINISH_REASONS, Completion, FinishReason, ToolCall, Usage

MAX_TOKENS_COUNTED = 2**53
"""Token counts outside ``[0, 2**53)`` in ``usage`` are not numbers a server means."""
MALFORMED = (LookupError, TypeError, ValueError, AttributeError, ArithmeticError, RecursionError)
"""What reading a reply of the wrong shape raises (missing keys, wrong types, odd numbers)."""


def parse_completion(body: dict[str, Any], is_chat: bool, model: str, start: float) -> Completion:
    """Read the first choice of a chat or completions reply (raises one of :data:`MALFORMED`)."""
    choice = body["choices"][0]
    text = choice["message"]["content"] if is_chat else choice["text"]
    if text is None:
        text = ""  # a refusal or tool call leaves content null: record an empty answer
    if not isinstance(text, str):
        raise TypeError("choice text is not a string")
    reason = choice.get("finish_reason")
    usage = body.get("usage") or {}
    if not isinstance(usage, dict):
        raise TypeError("usage is not an object")
    served = body.get("model")
    return Completion(
        text=text,
        finish_reason=_finish_reason(reason),
        usage=Usage(_count(usage.get("prompt_tokens")), _count(usage.get("completion_tokens"))),
        model=served if isinstance(served, str) and served else model,
        latency_s=time.monotonic() - start,
        tool_calls=_tool_calls(choice["message"]) if is_chat else (),
    )


def _finish_reason(reason: Any) -> FinishReason:
    if isinstance(reason, str) and reason in FINISH_REASONS:
        return cast(FinishReason, reason)
    return "unknown"


def _count(value: Any) -> int:
    """A token count from ``usage``: absent is 0; a whole number in range, else ValueError.

    ``1e999``, ``NaN``, ``-5``, ``"12"`` or a 400-digit integer make the reply malformed (a
    transient error), never a traceback or a nonsense total in the run record.
    """
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"usage count is {type(value).__name__}")
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise ValueError("usage count is not a whole number")
    if not 0 <= value < MAX_TOKENS_COUNTED:
        raise ValueError("usage count out of range")
    return int(value)


def _tool_calls(message: dict[str, Any]) -> tuple[ToolCall, ...]:
    """Read a chat message's native tool calls, keeping the arguments as the model wrote them.

    A call's arguments are JSON text by protocol; anything else (an object some servers send,
    a number) is kept as its JSON text, so the tool loop sees one form and records malformed
    arguments instead of failing the request.
    """
    raw = message.get("tool_calls") or []
    if not isinstance(raw, list):
        raise TypeError("tool_calls is not a list")
    calls = []
    for n, item in enumerate(raw):
        function = item["function"]
        args = function.get("arguments", "")
        call_id, name = item.get("id"), function.get("name")
        calls.append(
            ToolCall(
                id=call_id if isinstance(call_id, str) and call_id else f"call_{n}",
                name=name if isinstance(name, str) else "",
                arguments=args if isinstance(args, str) else json.dumps(args),
            )
        )
    return tuple(calls)


def continuation_logprob(body: dict[str, Any], prompt_chars: int) -> float:
    """Sum the echoed logprobs of the tokens after the first ``prompt_chars`` characters."""
    try:
        lp = body["choices"][0]["logprobs"]
        offsets, values = lp["text_offset"], lp["token_logprobs"]
    except (KeyError, TypeError, IndexError):
        raise FatalBackendError(
            "server did not echo prompt logprobs (needs echo + logprobs support)"
        ) from None
    total = 0.0
    for offset, value in zip(offsets, values, strict=False):
        if offset >= prompt_chars and value is not None:
            total += _logprob(value)
    return total


def _logprob(value: Any) -> float:
    """A log-probability: a number <= 0 (``-inf`` allowed); anything else raises ValueError."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not value <= 0:
        raise ValueError(f"not a log-probability: {value!r:.40}")
    return float(value)


def label_logprobs(body: dict[str, Any], labels: Sequence[str]) -> list[float]:
    """Each label's log-probability as the first token of a chat answer.

    A label missing from the listed alternatives is less likely than all of them; it gets the
    lowest listed value minus 1 (a placeholder that ranks it last, not a probability).
    """
    try:
        top = body["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
        listed = [(str(t["token"]).strip(), _logprob(t["logprob"])) for t in top]
    except (KeyError, TypeError, IndexError):
        raise FatalBackendError(
            "the chat response has no top_logprobs: the server or model does not return "
            "log-probabilities; use -T mode=generate"
        ) from None
    mass: dict[str, float] = {}
    for token, value in listed:
        if token in labels and math.exp(value) > 0:  # -inf (and underflow) is no mass at all
            mass[token] = mass.get(token, 0.0) + math.exp(value)
    if not mass:
        shown = ", ".join(repr(token) for token, _ in listed[:5])
        raise FatalBackendError(
            f"no option letter among the first answer token's top {len(listed)} "
            f"alternatives ({shown}, ...): the model does not answer with a letter first"
        )
    floor = min(value for _, value in listed if math.isfinite(value)) - 1.0
    return [math.log(mass[label]) if label in mass else floor for label in labels]
