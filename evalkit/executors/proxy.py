"""The driver's stand-in for the model that Ray workers hold.

With the Ray executor the driver never loads the model: it plans, checks and records with this
stand-in, which reports the workers' backend identity (recorded in run.json, compared on
resume) and capabilities (the solver and ranking checks), and answers nothing itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from evalkit.backends import BackendIdentity, Capabilities
from evalkit.errors import FatalBackendError
from evalkit.types import Completion, Request


class WorkersBackend:
    """Identity and capabilities of the workers' backend; calls go to the workers, not here.

    Args:
        identity: The backend identity every worker reported.
        capabilities: Its capabilities (``loglikelihood`` empty when it cannot rank).
    """

    def __init__(self, identity: BackendIdentity, capabilities: Capabilities) -> None:
        self._identity = identity
        self._capabilities = capabilities

    @property
    def identity(self) -> BackendIdentity:
        """The workers' model."""
        return self._identity

    @property
    def capabilities(self) -> Capabilities:
        """What the workers' model can do."""
        return self._capabilities

    async def generate(self, request: Request) -> Completion:
        """Never called: samples run on the workers.

        Raises:
            FatalBackendError: always.
        """
        raise FatalBackendError("the ray executor's model answers on its workers only")

    async def loglikelihood(self, request: Request, continuations: Sequence[str]) -> list[float]:
        """Never called: samples run on the workers.

        Raises:
            FatalBackendError: always.
        """
        raise FatalBackendError("the ray executor's model answers on its workers only")

    async def preflight(self) -> None:
        """Nothing to check: each worker checked its own backend when it started."""

    async def aclose(self) -> None:
        """Nothing to release: the executor stops the workers."""
