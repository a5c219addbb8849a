"""The exception tree of evalkit and the exit code of each user-facing error.

Every error a user can cause or fix is an :class:`EvalkitError`; the CLI prints its message on one
line and exits with its ``exit_code``. Anything else is a bug and keeps its traceback.

::

    EvalkitError (exit 2: the user can fix it)
    ├── ConfigError            bad flag value, model spec, -T/-M parameter
    │   └── SandboxUnavailable no bubblewrap or no user namespaces: code cannot run safely
    ├── UnknownNameError       unknown task, provider, scorer ... (with "did you mean")
    ├── TaskSpecError          malformed task.toml or template (names the file and key)
    ├── DataError              dataset unreachable, empty, or a row missing a field
    ├── ResultsError           unreadable, corrupt or unwritable results
    ├── ResumeMismatchError    a resume whose config differs from the original run
    ├── GateFailed             (exit 1) the regression gate found a significant drop
    └── BackendError           (exit 3) the model backend failed
        ├── BackendUnavailable     unreachable or refusing at the start of a run
        ├── TransientBackendError  429 / 5xx / timeout / reset / malformed reply: retry
        ├── FatalBackendError      auth, bad request, unsupported: do not retry
        ├── JudgeCallFailed        a judge call failed after its retries (the sample errs)
        └── ErrorRateExceeded      too many samples failed after their retries

Exit codes: 0 ok, 1 gate failed, 2 user error, 3 backend failure beyond the allowed error rate.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_USER_ERROR = 2
EXIT_BACKEND_FAILURE = 3


class EvalkitError(Exception):
    """Base of every user-facing error; the CLI shows ``str(err)`` without a traceback."""

    exit_code: int = EXIT_USER_ERROR


class ConfigError(EvalkitError):
    """A flag, model spec or parameter has an invalid value."""


class SandboxUnavailable(ConfigError):
    """The sandbox for model-written code cannot be created (bubblewrap or namespaces missing)."""


class UnknownNameError(EvalkitError):
    """A registry lookup failed (unknown task, provider, scorer, ...)."""


class TaskSpecError(EvalkitError):
    """A task definition (task.toml or a template) is malformed."""


class DataError(EvalkitError):
    """A dataset cannot be loaded or a row lacks what the task needs."""


class ResultsError(EvalkitError):
    """A results folder or file cannot be read or written."""


class ResumeMismatchError(EvalkitError):
    """A resume was asked for a run whose configuration differs."""


class GateFailed(EvalkitError):
    """The regression gate found a significant drop."""

    exit_code = EXIT_GATE_FAILED


class BackendError(EvalkitError):
    """The model backend failed."""

    exit_code = EXIT_BACKEND_FAILURE


class BackendUnavailable(BackendError):
    """The backend cannot be reached at all (checked before a run starts)."""


class TransientBackendError(BackendError):
    """A failure worth retrying: rate limit, server error, timeout, reset, malformed reply.

    Attributes:
        retry_after: Seconds the server asked us to wait (``Retry-After``), if any.
        status: The HTTP status, when the failure was an HTTP answer.
    """

    def __init__(
        self, message: str, retry_after: float | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status

    @property
    def rate_limited(self) -> bool:
        """Whether the server said "too many requests" (HTTP 429)."""
        return self.status == 429


class FatalBackendError(BackendError):
    """A failure that retrying cannot fix: bad credentials, bad request, unsupported call."""


class JudgeCallFailed(BackendError):
    """A judge model's call failed after its retries: the judged sample is an error, never a 0."""


class ErrorRateExceeded(BackendError):
    """More samples failed than ``--max-error-rate`` allows (results are still written)."""
