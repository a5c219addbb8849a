"""Model backends: one module per provider family, all behind the :class:`Backend` Protocol.

A model spec ``provider/model`` picks a factory from :data:`PROVIDERS`; the factory receives the
model name and the resolved :class:`BackendOptions` and returns a :class:`Backend`. Optional SDKs
are imported inside the factory, so ``import evalkit`` stays light.

Backends classify their failures: :class:`~evalkit.errors.TransientBackendError` (the runner retries
it with capped backoff) or :class:`~evalkit.errors.FatalBackendError` (it does not).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from evalkit.registry import Registry
from evalkit.types import Completion, Request


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a backend can do.

    Attributes:
        chat: Accepts chat messages.
        completions: Accepts a plain text prompt.
        loglikelihood: Modes of log-likelihood scoring it supports, e.g. ``("echo",)`` for
            completions endpoints that return prompt logprobs, ``("top_logprobs",)`` for chat
            endpoints that return the first token's alternatives, ``("exact",)`` for local models.
        max_concurrency: Largest useful number of in-flight requests (``None``: no limit).
        cacheable: Whether responses are worth caching (not for mocks and replays).
        tools: Accepts native tool definitions (OpenAI ``tools``) and returns tool calls.
            Backends without it can still run tool loops in a text protocol.
    """

    chat: bool = True
    completions: bool = True
    loglikelihood: tuple[str, ...] = ()
    max_concurrency: int | None = None
    cacheable: bool = True
    tools: bool = False


@dataclass(frozen=True, slots=True)
class BackendIdentity:
    """Who answered, as recorded in the run record (never carries credentials)."""

    provider: str
    model: str
    base_url: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "provider": self.provider,
            "model": self.model,
            "base_url": self.base_url,
            **({"extra": dict(sorted(self.extra.items()))} if self.extra else {}),
        }


@dataclass(frozen=True, slots=True)
class BackendOptions:
    """Options a factory may use; each backend documents which it reads.

    Attributes:
        base_url: Server URL for HTTP backends.
        api_key_env: Name of the environment variable that holds the API key.
        timeout_s: Per-request timeout in seconds.
        model_args: Provider-specific ``-M key=value`` arguments, already parsed.
    """

    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    timeout_s: float = 120.0
    model_args: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class Backend(Protocol):
    """A model that answers requests."""

    @property
    def identity(self) -> BackendIdentity:
        """Who answers (recorded in the run record)."""
        ...

    @property
    def capabilities(self) -> Capabilities:
        """What this backend can do."""
        ...

    async def generate(self, request: Request) -> Completion:
        """Return the model's completion for ``request``.

        Raises:
            TransientBackendError: a retryable failure.
            FatalBackendError: a failure retrying cannot fix.
        """
        ...

    async def preflight(self) -> None:
        """Check, before the first request of a run, that the backend can answer.

        Raises:
            BackendUnavailable: the server is unreachable (one line, exit 3), so a dead
                server fails fast instead of after every sample's retries.
        """
        ...

    async def aclose(self) -> None:
        """Release connections, processes and models."""
        ...


class LoglikelihoodBackend(Backend, Protocol):
    """A backend that can rank continuations by log-probability."""

    async def loglikelihood(self, request: Request, continuations: Sequence[str]) -> list[float]:
        """Return ``log P(continuation | prompt)`` for each continuation, in order."""
        ...


BackendFactory = Callable[[str, BackendOptions], Backend]
"""Builds a backend from the model part of the spec and the options."""

PROVIDERS: Registry[BackendFactory] = Registry(
    "provider",
    {
        "openai": "evalkit.backends.openai_api:make_openai",
        "openai-compatible": "evalkit.backends.openai_api:make_openai_compatible",
        "vllm": "evalkit.backends.openai_api:make_vllm",
        "sglang": "evalkit.backends.openai_api:make_sglang",
        "lmdeploy": "evalkit.backends.openai_api:make_lmdeploy",
        "ollama": "evalkit.backends.openai_api:make_ollama",
        "replay": "evalkit.backends.replay:make_replay",
        "mock": "evalkit.backends.mock:make_mock",
        "llamacpp": "evalkit.backends.llamacpp:make_llamacpp",
        "hf": "evalkit.backends.hf:make_hf",
    },
    group="evalkit.backends",
)
