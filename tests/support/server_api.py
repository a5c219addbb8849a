"""The OpenAI API surface of the test server: request validation and response bodies.

Pure functions from a decoded JSON request to a JSON-ready response; the transport, latency,
faults and auth live in :mod:`support.openai_server`. The shapes follow the OpenAI reference for
``/v1/models``, ``/v1/chat/completions`` and the legacy ``/v1/completions`` (streaming is refused).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from support.server_responders import MultipleChoiceKey, Responder
from support.server_tokens import (
    chat_logprobs,
    completion_logprobs,
    count_tokens,
    score_tokens,
    tokenize,
)

MAX_TOP_LOGPROBS = 20
"""Largest ``top_logprobs`` / ``logprobs`` accepted, as with OpenAI."""

COMPLETIONS_DEFAULT_MAX_TOKENS = 16
"""The legacy completions endpoint stops after 16 tokens unless told otherwise (OpenAI, vLLM)."""


class ApiError(Exception):
    """A request the API refuses; becomes an OpenAI-style error body.

    Attributes:
        status: HTTP status code.
        code: Machine-readable error code.
    """

    def __init__(self, status: int, message: str, code: str = "invalid_request") -> None:
        super().__init__(message)
        self.status = status
        self.code = code

    def body(self) -> dict[str, Any]:
        """Return the JSON error body."""
        return error_body(str(self), _ERROR_TYPES.get(self.status, "api_error"), self.code)


_ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error"}


def error_body(message: str, error_type: str, code: str | None) -> dict[str, Any]:
    """Return an OpenAI error body ``{"error": {...}}``."""
    return {"error": {"message": message, "type": error_type, "param": None, "code": code}}


@dataclass(frozen=True, slots=True)
class ApiContext:
    """What the routes need besides the request.

    Attributes:
        responder: Chooses reply texts.
        mc_key: Preferred multiple-choice answers.
        model: Served model name.
    """

    responder: Responder
    mc_key: MultipleChoiceKey
    model: str


def list_models(ctx: ApiContext) -> dict[str, Any]:
    """Return the ``GET /v1/models`` body."""
    entry = {"id": ctx.model, "object": "model", "created": 0, "owned_by": "evalkit-tests"}
    return {"object": "list", "data": [entry]}


def chat_completion(ctx: ApiContext, payload: Any, request_id: str) -> dict[str, Any]:
    """Answer a ``POST /v1/chat/completions`` request body."""
    params = _common_params(payload, default_max_tokens=None)
    prompt, user_text = _chat_prompt(payload.get("messages"))
    top_k = _int_param(payload, "top_logprobs", 0, MAX_TOP_LOGPROBS) or 0
    favoured = ctx.mc_key.answer_for(user_text)
    reply = favoured if favoured is not None else ctx.responder.respond(user_text)
    text, finish = _finish(reply, params.max_tokens, params.stop)
    logprobs = None
    if payload.get("logprobs"):
        scores = score_tokens(
            text,
            context=prompt,
            top_k=top_k,
            favoured_from=0 if favoured is not None else None,
            letters_first=True,
        )
        logprobs = chat_logprobs(scores)
    message = {"role": "assistant", "content": text, "refusal": None}
    choice = {"index": 0, "message": message, "logprobs": logprobs, "finish_reason": finish}
    return _envelope(
        f"chatcmpl-{request_id}",
        "chat.completion",
        params.model or ctx.model,
        [choice],
        count_tokens(prompt),
        count_tokens(text),
    )


def text_completion(ctx: ApiContext, payload: Any, request_id: str) -> dict[str, Any]:
    """Answer a ``POST /v1/completions`` request body (one choice per prompt)."""
    params = _common_params(payload, default_max_tokens=COMPLETIONS_DEFAULT_MAX_TOKENS)
    prompts = _completion_prompts(payload.get("prompt"))
    echo = bool(payload.get("echo", False))
    top_k = _int_param(payload, "logprobs", 0, MAX_TOP_LOGPROBS)
    choices, generated_tokens = [], 0
    for index, prompt in enumerate(prompts):
        favoured = ctx.mc_key.answer_for(prompt)
        reply = favoured if favoured is not None else ctx.responder.respond(prompt)
        generated, finish = _finish(reply, params.max_tokens, params.stop)
        generated_tokens += count_tokens(generated)
        text = prompt + generated if echo else generated
        logprobs = None
        if top_k is not None:
            logprobs = _completion_logprobs(prompt, generated, echo, top_k, favoured)
        choices.append(
            {"index": index, "text": text, "logprobs": logprobs, "finish_reason": finish}
        )
    prompt_tokens = sum(count_tokens(prompt) for prompt in prompts)
    return _envelope(
        f"cmpl-{request_id}",
        "text_completion",
        params.model or ctx.model,
        choices,
        prompt_tokens,
        generated_tokens,
    )


def _completion_logprobs(
    prompt: str, generated: str, echo: bool, top_k: int, favoured: str | None
) -> dict[str, Any]:
    """Score the returned text; a prompt ending with the favoured answer gets it favoured."""
    favoured_from: int | None = None
    if favoured is not None:
        # A scored continuation (echo) that is the preferred answer is what the test checks;
        # a generated preferred answer starts right after the prompt.
        stem = prompt.rstrip()
        answer = favoured.strip()
        if echo and answer and stem.endswith(answer):
            favoured_from = len(stem) - len(answer)
        elif generated:
            favoured_from = len(prompt) if echo else 0
    if echo:
        scores = score_tokens(prompt + generated, top_k=top_k, favoured_from=favoured_from)
        return completion_logprobs(scores, echo=True, base_offset=0)
    scores = score_tokens(generated, context=prompt, top_k=top_k, favoured_from=favoured_from)
    return completion_logprobs(scores, echo=False, base_offset=len(prompt))


@dataclass(frozen=True, slots=True)
class _Params:
    model: str | None
    max_tokens: int | None
    stop: tuple[str, ...]


def _common_params(payload: Any, default_max_tokens: int | None) -> _Params:
    """Validate what both generation endpoints share."""
    if not isinstance(payload, dict):
        raise ApiError(400, "the request body must be a JSON object")
    if payload.get("stream"):
        raise ApiError(400, "streaming is not supported by this server", "unsupported")
    if payload.get("n", 1) not in (1, None):
        raise ApiError(400, "only n=1 is supported", "unsupported")
    model = payload.get("model")
    if model is not None and not isinstance(model, str):
        raise ApiError(400, "model must be a string")
    max_tokens = _int_param(payload, "max_tokens", 0, None)
    if max_tokens is None:
        max_tokens = _int_param(payload, "max_completion_tokens", 0, None)
    stop = payload.get("stop")
    stops = (stop,) if isinstance(stop, str) else tuple(stop or ())
    if not all(isinstance(s, str) and s for s in stops):
        raise ApiError(400, "stop must be a non-empty string or a list of them")
    limit = max_tokens if max_tokens is not None else default_max_tokens
    return _Params(model, limit, stops)


def _int_param(payload: dict[str, Any], name: str, low: int, high: int | None) -> int | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ApiError(400, f"{name} must be an integer >= {low}")
    if high is not None and value > high:
        raise ApiError(400, f"{name} must be <= {high}")
    return value


def _chat_prompt(messages: Any) -> tuple[str, str]:
    """Return all message texts joined, and the last user message's text."""
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "messages must be a non-empty list")
    texts, user_text = [], ""
    for message in messages:
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise ApiError(400, "each message needs a role and content")
        text = _content_text(message.get("content"))
        texts.append(text)
        if message["role"] == "user":
            user_text = text
    return "\n".join(texts), user_text or texts[-1]


def _content_text(content: Any) -> str:
    """Accept string content or a list of ``{"type": "text", "text": ...}`` parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        if all(isinstance(p, str) for p in parts):
            return "".join(str(p) for p in parts)
    raise ApiError(400, "message content must be a string or a list of text parts")


def _completion_prompts(prompt: Any) -> list[str]:
    if isinstance(prompt, str):
        return [prompt]
    if isinstance(prompt, list) and prompt and all(isinstance(p, str) for p in prompt):
        return list(prompt)
    raise ApiError(400, "prompt must be a string or a non-empty list of strings (not token ids)")


def _finish(reply: str, max_tokens: int | None, stop: tuple[str, ...]) -> tuple[str, str]:
    """Apply stop sequences, then the token limit; return the text and its finish reason."""
    cuts = [reply.find(s) for s in stop if s in reply]
    text = reply[: min(cuts)] if cuts else reply
    if max_tokens is not None:
        tokens = tokenize(text)
        if len(tokens) > max_tokens:
            return "".join(tokens[:max_tokens]), "length"
    return text, "stop"


def _envelope(
    object_id: str,
    kind: str,
    model: str,
    choices: list[dict[str, Any]],
    prompt_tokens: int,
    completion_tokens: int,
) -> dict[str, Any]:
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    return {
        "id": object_id,
        "object": kind,
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "fp_evalkit_fake",
        "choices": choices,
        "usage": usage,
    }
