"""A deterministic in-process backend for tests and dry runs.

``mock/echo`` answers with the last user message (or the prompt); ``mock/fixed`` answers every
request with ``-M text=...``. Tests build :class:`MockBackend` directly with a responder function,
which may also raise backend errors to exercise the runner's retry and error paths.
"""

from __future__ import annotations

from collections.abc import Callable

from evalkit.backends import BackendIdentity, BackendOptions, Capabilities
from evalkit.errors import ConfigError
from evalkit.types import Completion, Request

Responder = Callable[[Request], Completion | str]
"""Returns the completion (or just its text) for a request; may raise backend errors."""


def echo(request: Request) -> str:
    """Answer with the last user message, or the raw prompt."""
    if request.messages:
        return next((m.content for m in reversed(request.messages) if m.role == "user"), "")
    return request.prompt or ""


class MockBackend:
    """A backend whose answers come from a Python function."""

    def __init__(self, responder: Responder, name: str = "custom") -> None:
        self._responder = responder
        self._identity = BackendIdentity("mock", name)
        self.calls: list[Request] = []

    @property
    def identity(self) -> BackendIdentity:
        """``mock/<name>``."""
        return self._identity

    @property
    def capabilities(self) -> Capabilities:
        """Chat and completions, no log-likelihoods."""
        return Capabilities(cacheable=False)

    async def generate(self, request: Request) -> Completion:
        """Call the responder (which may raise) and wrap plain text in a Completion."""
        self.calls.append(request)
        out = self._responder(request)
        return Completion(text=out, model=self._identity.model) if isinstance(out, str) else out

    async def preflight(self) -> None:
        """Nothing to check before the first request (a mock has no model or server)."""

    async def aclose(self) -> None:
        """Nothing to release."""


def make_mock(model: str, options: BackendOptions) -> MockBackend:
    """``mock/echo`` or ``mock/fixed`` (with ``-M text=...``)."""
    if model == "echo":
        return MockBackend(echo, "echo")
    if model == "fixed":
        text = options.model_args.get("text", "")
        return MockBackend(lambda _request: text, "fixed")
    raise ConfigError(f"unknown mock model '{model}': use mock/echo or mock/fixed -M text=...")
