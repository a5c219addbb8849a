"""OpenAI API and OpenAI-compatible servers (vLLM, SGLang, LMDeploy, llama.cpp server, Ollama).

Speaks the wire protocol with ``httpx`` directly: one pooled async client, no SDK-level retries
(the runner owns retries), and every failure classified:

* transient: 408/409/429/5xx, timeouts, connection errors, malformed or truncated JSON;
* fatal: 401/403 (credentials), 400/404/422 (the request or model name is wrong).

The API key is read from the environment variable named by ``--api-key-env`` and is never put in
an identity, a record or an error message.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import httpx

from evalkit.backends import BackendIdentity, BackendOptions, Capabilities
from evalkit.errors import BackendUnavailable, ConfigError, FatalBackendError, TransientBackendError
from evalkit.types import Completion, FinishReason, Request, ToolCall, Usage

OPENAI_URL = "https://api.openai.com/v1"
TRANSIENT_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529})
FINISH_REASONS: frozenset[str] = frozenset({"stop", "length", "content_filter", "tool_calls"})
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
"""What an environment variable name looks like (``--api-key-env``)."""
CHAT_TOP_LOGPROBS = 20
"""Alternatives asked per token when ranking letters over chat (the most OpenAI returns)."""

# Usual local addresses of the servers that speak the OpenAI protocol.
ALIAS_URLS = {
    "vllm": "http://127.0.0.1:8000/v1",
    "sglang": "http://127.0.0.1:30000/v1",
    "lmdeploy": "http://127.0.0.1:23333/v1",
    "ollama": "http://127.0.0.1:11434/v1",
}


def public_url(url: str) -> str:
    """Return ``url`` without credentials, query string or fragment (safe to record).

    >>> public_url("https://user:secret@host:8000/v1?key=abc")
    'https://host:8000/v1'
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def endpoint_url(base_url: str, path: str) -> str:
    """Return the URL of the API ``path`` under ``base_url``, keeping its query string.

    >>> endpoint_url("https://host/openai/v1/?api-version=2024-06-01", "/chat/completions")
    'https://host/openai/v1/chat/completions?api-version=2024-06-01'
    """
    parts = urlsplit(base_url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + path, parts.query, ""))


def checked_url(url: str) -> str:
    """Return ``url`` if it is an ``http(s)://host[:port]/...`` URL, else raise ConfigError."""
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port >= 0  # reading .port raises on a bad port
    except ValueError as exc:
        raise ConfigError(f"invalid --base-url: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise ConfigError(
            f"invalid --base-url '{public_url(url)}': expected http(s)://HOST[:PORT]/PATH"
        )
    return url


def _retry_after(response: httpx.Response) -> float | None:
    ms = response.headers.get("retry-after-ms")
    if ms is not None:
        try:
            return float(ms) / 1000.0
        except ValueError:
            return None
    value = response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
        message = body.get("error", {}).get("message") if isinstance(body, dict) else None
        if isinstance(body.get("error"), str):
            message = body["error"]
    except (ValueError, AttributeError):
        message = None
    text = str(message or response.text or response.reason_phrase)
    return " ".join(text.split())[:200]


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
        extra = {f"extra.{k}": json.dumps(v) for k, v in sorted((extra_body or {}).items())}
        self._identity = BackendIdentity(provider, model, public_url(base_url), extra)
        self._extra_body = dict(extra_body or {})
        self._base = base_url
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.AsyncClient(
            headers=headers,
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0)),
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=256),
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
        """Check the server answers at all, so a dead endpoint fails in one line at the start."""
        try:
            response = await self._client.get(endpoint_url(self._base, "/models"), timeout=10.0)
        except httpx.HTTPError as exc:
            raise BackendUnavailable(
                f"cannot reach {self._identity.base_url} ({type(exc).__name__}): "
                "is the server running and --base-url right?"
            ) from None
        if response.status_code in (401, 403):
            raise FatalBackendError(
                f"{self._identity.base_url}: HTTP {response.status_code}, authentication failed; "
                "check the API key variable (--api-key-env)"
            )

    async def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self._client.post(endpoint_url(self._base, path), json=payload)
        except httpx.TimeoutException:
            raise TransientBackendError("request timed out") from None
        except httpx.TransportError as exc:
            raise TransientBackendError(f"connection error ({type(exc).__name__})") from None
        if response.status_code in TRANSIENT_STATUS:
            raise TransientBackendError(
                f"HTTP {response.status_code}: {_error_text(response)}",
                _retry_after(response),
                response.status_code,
            )
        if response.status_code in (401, 403):
            raise FatalBackendError(
                f"HTTP {response.status_code}: authentication failed; check the API key variable"
            )
        if response.status_code >= 400:
            raise FatalBackendError(f"HTTP {response.status_code}: {_error_text(response)}")
        try:
            body = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            raise TransientBackendError("malformed JSON in response") from None
        if not isinstance(body, dict) or not body.get("choices"):
            raise TransientBackendError("response has no choices")
        return cast(dict[str, Any], body)

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
            return _parse_completion(body, request.is_chat, self._identity.model, start)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
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
            scores.append(_continuation_logprob(body, len(prompt)))
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
        return _label_logprobs(await self._post("/chat/completions", payload), labels)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()


def _parse_completion(body: dict[str, Any], is_chat: bool, model: str, start: float) -> Completion:
    choice = body["choices"][0]
    text = choice["message"]["content"] if is_chat else choice["text"]
    if text is None:
        text = ""  # a refusal or tool call leaves content null: record an empty answer
    if not isinstance(text, str):
        raise TypeError("choice text is not a string")
    reason = choice.get("finish_reason") or "unknown"
    usage = body.get("usage") or {}
    return Completion(
        text=text,
        finish_reason=cast(
            FinishReason,
            reason if isinstance(reason, str) and reason in FINISH_REASONS else "unknown",
        ),
        usage=Usage(int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)),
        model=str(body.get("model") or model),
        latency_s=time.monotonic() - start,
        tool_calls=_tool_calls(choice["message"]) if is_chat else (),
    )


def _tool_calls(message: dict[str, Any]) -> tuple[ToolCall, ...]:
    """Read a chat message's native tool calls, keeping the arguments as the model wrote them.

    A call's arguments are JSON text by protocol; anything else (an object some servers send,
    a number) is kept as its JSON text, so the tool loop sees one form and records malformed
    arguments instead of failing the request.
    """
    raw = message.get("tool_calls") or ()
    if not isinstance(raw, list):
        raise TypeError("tool_calls is not a list")
    calls = []
    for n, item in enumerate(raw):
        function = item["function"]
        args = function.get("arguments", "")
        calls.append(
            ToolCall(
                id=str(item.get("id") or f"call_{n}"),
                name=str(function.get("name") or ""),
                arguments=args if isinstance(args, str) else json.dumps(args),
            )
        )
    return tuple(calls)


def _continuation_logprob(body: dict[str, Any], prompt_chars: int) -> float:
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
            total += float(value)
    return total


def _label_logprobs(body: dict[str, Any], labels: Sequence[str]) -> list[float]:
    """Each label's log-probability as the first token of a chat answer.

    A label missing from the listed alternatives is less likely than all of them; it gets the
    lowest listed value minus 1 (a placeholder that ranks it last, not a probability).
    """
    try:
        top = body["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
        listed = [(str(t["token"]).strip(), float(t["logprob"])) for t in top]
    except (KeyError, TypeError, IndexError, ValueError):
        raise FatalBackendError(
            "the chat response has no top_logprobs: the server or model does not return "
            "log-probabilities; use -T mode=generate"
        ) from None
    mass: dict[str, float] = {}
    for token, value in listed:
        if token in labels:
            mass[token] = mass.get(token, 0.0) + math.exp(value)
    if not mass:
        shown = ", ".join(repr(token) for token, _ in listed[:5])
        raise FatalBackendError(
            f"no option letter among the first answer token's top {len(listed)} "
            f"alternatives ({shown}, ...): the model does not answer with a letter first"
        )
    floor = min(value for _, value in listed) - 1.0
    return [math.log(mass[label]) if label in mass else floor for label in labels]


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
        except ValueError:
            body[field] = text
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
