"""OpenAI API and OpenAI-compatible servers (vLLM, SGLang, LMDeploy, llama.cpp server, Ollama).

Speaks the wire protocol directly over one pooled transport (a small keep-alive HTTP/1.1 client
for local ``http://`` servers, httpx for TLS and proxies: :mod:`evalkit.backends.transport`), no
SDK-level retries (the runner owns retries), and every failure classified (see
:mod:`evalkit.backends.exchange`):

* transient: 408/409/429/5xx, the per-request deadline, connection errors, a reply that is not
  JSON or has the wrong shape (wrong types, missing fields, nesting too deep);
* fatal: 401/403 (credentials), 400/404/422 (the request or model name is wrong), a reply
  larger than 32 MiB.

The API key is read from the environment variable named by ``--api-key-env`` and is never put in
an identity, a record or an error message; nor are the base URL's user info and query string
(see :mod:`evalkit.backends.urls`).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

from evalkit.backends import BackendIdentity, BackendOptions, Capabilities
from evalkit.backends.exchange import MAX_RESPONSE_BYTES, TRANSIENT_STATUS, Exchange
from evalkit.backends.http1 import ConnectFailed, TransportError
from evalkit.backends.openai_reply import (
    MALFORMED,
    continuation_logprob,
    label_logprobs,
    parse_completion,
)
from evalkit.backends.transport import open_transport
from evalkit.backends.urls import BaseUrl, checked_url, endpoint_url, public_url
from evalkit.errors import BackendUnavailable, ConfigError, FatalBackendError, TransientBackendError
from evalkit.redaction import Redactor
from evalkit.types import Completion, Request

__all__ = [
    "OpenAIBackend",
    "checked_url",
    "endpoint_url",
    "extra_body",
    "make_openai",
    "make_openai_compatible",
    "label_logprobs",
    "public_url",
]

_label_logprobs = label_logprobs  # the name tests have imported

OPENAI_URL = "https://api.openai.com/v1"
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
"""What an environment variable name looks like (``--api-key-env``)."""
CHAT_TOP_LOGPROBS = 20
"""Alternatives asked per token when ranking letters over chat (the most OpenAI returns)."""
PREFLIGHT_S = 3.0
"""Time the start-of-run check may take in all, retries included (a dead server fails fast)."""

# Usual local addresses of the servers that speak the OpenAI protocol.
ALIAS_URLS = {
    "vllm": "http://127.0.0.1:8000/v1",
    "sglang": "http://127.0.0.1:30000/v1",
    "lmdeploy": "http://127.0.0.1:23333/v1",
    "ollama": "http://127.0.0.1:11434/v1",
}


class OpenAIBackend:
    """A backend for any server speaking the OpenAI chat/completions protocol."""

    def __init__(
        self,
        provider: str,
        model: str,
        base_url: str,
        api_key: str | None,
        timeout_s: float,
        extra_body: Mapping[str, Any] | None = None,
    ) -> None:
        url = BaseUrl.parse(base_url)
        extra = {f"extra.{k}": json.dumps(v) for k, v in sorted((extra_body or {}).items())}
        route = url.route()
        if route is not None:
            extra["route"] = route  # two routes (query strings) on one server are two models
        self._identity = BackendIdentity(provider, model, url.public, extra)
        self._extra_body = dict(extra_body or {})
        self._base = url.request_base
        self._transport = open_transport(
            self._base, url.auth_header(api_key), timeout_s, MAX_RESPONSE_BYTES
        )
        self._exchange = Exchange(
            self._transport, timeout_s, Redactor.of((api_key, *url.secrets()))
        )

    @property
    def identity(self) -> BackendIdentity:
        """Provider, served model name and public base URL."""
        return self._identity

    @property
    def capabilities(self) -> Capabilities:
        """Chat and completions; log-likelihoods by prompt echo or first-token top_logprobs."""
        return Capabilities(loglikelihood=("echo", "top_logprobs"), tools=True)

    async def preflight(self) -> None:
        """Check the server answers at all, so a dead endpoint fails in one line at the start.

        A refused connection fails at once (nothing listens there); timeouts and server errors
        (5xx, 429) on ``GET /models`` are retried for at most :data:`PREFLIGHT_S` seconds, then
        fail the run; 401/403 fail at once; any other answer passes (a server without
        ``/models`` says 404).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PREFLIGHT_S
        wait = 0.25
        while True:
            why = await self._models_problem(deadline - loop.time())
            if why is None:
                return
            if loop.time() + wait >= deadline:
                raise BackendUnavailable(f"{why} (tried for {PREFLIGHT_S:g} s)")
            await asyncio.sleep(wait)
            wait *= 2

    async def _models_problem(self, time_left: float) -> str | None:
        """Ask ``GET /models`` once (status only); say what is wrong, ``None`` when fine."""
        where = self._identity.base_url
        url = endpoint_url(self._base, "/models")
        try:
            async with asyncio.timeout(max(time_left, 0.1)):
                status = (await self._transport.request("GET", url, head_only=True)).status
        except (TransportError, TimeoutError) as exc:
            kind = exc.kind if isinstance(exc, TransportError) else "ReadTimeout"
            why = f"cannot reach {where} ({kind}): is the server running and --base-url right?"
            if isinstance(exc, ConnectFailed):
                raise BackendUnavailable(why) from None  # refused or no route: fail at once
            return why
        if status in (401, 403):
            raise FatalBackendError(
                f"{where}: HTTP {status}, authentication failed; check the API key variable "
                "(--api-key-env)"
            )
        return (
            f"{where} answers HTTP {status} to GET /models" if status in TRANSIENT_STATUS else None
        )

    async def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        body = await self._exchange.post_json(endpoint_url(self._base, path), payload)
        choices = body.get("choices")
        if not isinstance(choices, list) or not choices:
            raise TransientBackendError("malformed response (no choices)")
        return body

    def _payload(self, request: Request) -> dict[str, Any]:
        p = request.params
        payload: dict[str, Any] = {
            "model": self._identity.model,
            "temperature": p.temperature,
            "top_p": p.top_p,
        }
        if p.max_tokens is not None:
            payload["max_tokens"] = p.max_tokens
        if p.seed is not None:
            payload["seed"] = p.seed + request.epoch
        if p.stop:
            payload["stop"] = list(p.stop)
        if request.messages is not None:
            payload["messages"] = [m.to_dict() for m in request.messages]
        else:
            payload["prompt"] = request.prompt or ""
        if request.tools:
            payload["tools"] = [t.to_dict() for t in request.tools]
            if request.tool_choice is not None:
                payload["tool_choice"] = request.tool_choice
        return {**self._extra_body, **payload}

    async def generate(self, request: Request) -> Completion:
        """Send one chat or completions request and parse the first choice."""
        start = time.monotonic()
        path = "/chat/completions" if request.is_chat else "/completions"
        body = await self._post(path, self._payload(request))
        try:
            return parse_completion(body, request.is_chat, self._identity.model, start)
        except MALFORMED as exc:
            # A reply of the wrong shape is a server fault like malformed JSON: retry it.
            raise TransientBackendError(f"malformed response ({type(exc).__name__})") from None

    async def loglikelihood(self, request: Request, continuations: Sequence[str]) -> list[float]:
        """Score continuations by echoing prompt+continuation through the completions endpoint.

        A chat request is scored by its first answer token's ``top_logprobs`` instead (see
        :meth:`_first_token_logprobs`).
        """
        if request.messages is not None:
            return await self._first_token_logprobs(request, continuations)
        prompt = request.prompt or ""
        scores = []
        for cont in continuations:
            body = await self._post(
                "/completions",
                {
                    "model": self._identity.model,
                    "prompt": prompt + cont,
                    "max_tokens": 0,
                    "echo": True,
                    "logprobs": 1,
                    "temperature": 0.0,
                },
            )
            try:
                scores.append(continuation_logprob(body, len(prompt)))
            except MALFORMED as exc:
                raise TransientBackendError(f"malformed logprobs ({type(exc).__name__})") from None
        return scores

    async def _first_token_logprobs(
        self, request: Request, continuations: Sequence[str]
    ) -> list[float]:
        """Rank option letters by the chat model's first answer token (``top_logprobs``).

        Chat endpoints score no given text, so one token is generated and its most likely
        alternatives are read: each letter's value is the log-probability of that first token
        being the letter (``"B"`` and ``" B"`` pooled). Only single-character continuations
        (``ll_target=letter``) can be ranked this way.
        """
        labels = [c.strip() for c in continuations]
        if not all(len(label) == 1 for label in labels):
            raise FatalBackendError(
                "chat log-likelihood ranks option letters only (first-token top_logprobs): "
                "use -T ll_target=letter, or -T format=text for a completions endpoint"
            )
        payload = {
            **self._payload(request),
            "max_tokens": 1,
            "temperature": 0.0,
            "logprobs": True,
            "top_logprobs": CHAT_TOP_LOGPROBS,
        }
        payload.pop("stop", None)
        body = await self._post("/chat/completions", payload)
        try:
            return label_logprobs(body, labels)
        except MALFORMED as exc:
            raise TransientBackendError(f"malformed logprobs ({type(exc).__name__})") from None

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._transport.aclose()


def _api_key(options: BackendOptions, required: bool) -> str | None:
    if not ENV_NAME.fullmatch(options.api_key_env):
        # Most likely the key itself was passed: never echo it (it would be recorded too).
        raise ConfigError(
            "--api-key-env takes the NAME of an environment variable (e.g. OPENAI_API_KEY), "
            "not the key: export the key in a variable and pass its name"
        )
    unknown = sorted(k for k in options.model_args if not k.startswith("extra.") or k == "extra.")
    if unknown:
        # Refused, not ignored: a typo must not pass silently, and "-M api_key=..." would be
        # recorded in run.json. Name the key only, never the value.
        raise ConfigError(
            f"OpenAI-protocol backends take no -M arguments but extra.FIELD=VALUE (got "
            f"'{unknown[0]}'); the API key is read from the variable named by --api-key-env"
        )
    key = os.environ.get(options.api_key_env)
    if required and not key:
        raise ConfigError(
            f"${options.api_key_env} is not set: export your API key in that variable"
        )
    return key or None


def make_openai(model: str, options: BackendOptions) -> OpenAIBackend:
    """``openai/<model>``: the OpenAI API (key from ``$OPENAI_API_KEY``)."""
    url = checked_url(options.base_url or os.environ.get("OPENAI_BASE_URL") or OPENAI_URL)
    key = _api_key(options, required=True)
    return OpenAIBackend(
        "openai", model, url, key, options.timeout_s, extra_body(options.model_args)
    )


def extra_body(model_args: Mapping[str, str]) -> dict[str, Any]:
    """Read ``-M extra.<field>=<value>`` into fields added to every request body.

    Server-specific sampling settings go this way, e.g. llama.cpp's
    ``-M extra.repeat_penalty=1.0``. Values are JSON when they parse as JSON, else strings.

    >>> extra_body({"extra.repeat_penalty": "1.0", "extra.top_k": "1"})
    {'repeat_penalty': 1.0, 'top_k': 1}
    """
    body: dict[str, Any] = {}
    for key, text in sorted(model_args.items()):
        field = key.removeprefix("extra.")
        try:
            body[field] = json.loads(text)
        except (ValueError, RecursionError):
            body[field] = text
        try:
            json.dumps(body[field], allow_nan=False)
        except (ValueError, RecursionError):
            raise ConfigError(f"-M {key}: NaN, infinity or deep nesting is not JSON") from None
    return body


def _compatible(provider: str, model: str, options: BackendOptions) -> OpenAIBackend:
    url = options.base_url or ALIAS_URLS.get(provider)
    if url is None:
        raise ConfigError(f"{provider}/{model} needs --base-url, e.g. http://127.0.0.1:8000/v1")
    return OpenAIBackend(
        provider,
        model,
        checked_url(url),
        _api_key(options, required=False),
        options.timeout_s,
        extra_body(options.model_args),
    )


def make_openai_compatible(model: str, options: BackendOptions) -> OpenAIBackend:
    """``openai-compatible/<served-name>`` with ``--base-url``."""
    return _compatible("openai-compatible", model, options)


def make_vllm(model: str, options: BackendOptions) -> OpenAIBackend:
    """``vllm/<served-name>``: default base URL http://127.0.0.1:8000/v1."""
    return _compatible("vllm", model, options)


def make_sglang(model: str, options: BackendOptions) -> OpenAIBackend:
    """``sglang/<served-name>``: default base URL http://127.0.0.1:30000/v1."""
    return _compatible("sglang", model, options)


def make_lmdeploy(model: str, options: BackendOptions) -> OpenAIBackend:
    """``lmdeploy/<served-name>``: default base URL http://127.0.0.1:23333/v1."""
    return _compatible("lmdeploy", model, options)


def make_ollama(model: str, options: BackendOptions) -> OpenAIBackend:
    """``ollama/<model>``: default base URL http://127.0.0.1:11434/v1."""
    return _compatible("ollama", model, options)
