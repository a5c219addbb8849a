"""One bounded HTTP exchange with an OpenAI-protocol server, its failures classified.

Every POST has a deadline for the whole exchange (connect, send, wait, read), not only between
bytes, so a server trickling a valid body cannot hold a request for minutes; and the body is
read as a stream and abandoned past :data:`MAX_RESPONSE_BYTES`, so a huge reply cannot exhaust
memory. Failures become :class:`~evalkit.errors.BackendError` subclasses and nothing else:

* transient (retried): 408/409/425/429/5xx, the deadline, connection errors, a body that is not
  a JSON object (malformed, cut short, nested beyond the parser's depth, numbers too long);
* fatal (not retried): 401/403 (credentials), other 4xx (the request or model name is wrong),
  and a reply larger than the cap (a server that sends 32 MB once will do it again).

Error text quoted from a server is redacted (API key, URL credentials and query, anything
shaped like an ``Authorization`` header) and stripped of terminal controls before it is kept.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Mapping
from typing import Any

from evalkit.backends.http1 import BodyTooLarge, Reply, TransportError
from evalkit.backends.transport import Transport
from evalkit.errors import FatalBackendError, TransientBackendError
from evalkit.redaction import Redactor, escape_surrogates

TRANSIENT_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529})
MAX_RESPONSE_BYTES = 32 * 2**20
"""Largest response body read (32 MiB, after content decoding); a larger one is a fatal error."""


def json_bytes(payload: Any) -> bytes:
    r"""Encode a request body as httpx would, with lone surrogates as ``\udXXX`` escapes.

    Text can hold lone surrogates (a model's reply fed back in a tool loop, a dataset row):
    UTF-8 cannot encode them, JSON can, and the server reads back the same string.

    Raises:
        ValueError: the payload holds NaN or infinity (not JSON).
    """
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return escape_surrogates(text).encode("utf-8")


def _retry_after(headers: Mapping[str, str]) -> float | None:
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value[:32]) / scale
        except ValueError:
            return None
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    return None


def parse_object(body: bytes) -> dict[str, Any] | None:
    """Parse a JSON object; ``None`` for anything else (including bodies the parser refuses)."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError and over-long numbers included
        return None
    return value if isinstance(value, dict) else None


def _message(body: bytes, reason: str) -> str:
    parsed = parse_object(body)
    error = parsed.get("error") if parsed is not None else None
    message = error.get("message") if isinstance(error, dict) else error
    if isinstance(message, str) and message:
        return message
    return body[:1000].decode("utf-8", "replace") or reason


class Exchange:
    """POSTs JSON with a deadline and a size cap over one pooled transport."""

    def __init__(
        self,
        transport: Transport,
        timeout_s: float,
        redactor: Redactor,
        max_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self._transport = transport
        self._timeout_s = timeout_s
        self._redactor = redactor
        self._max_bytes = max_bytes

    def safe(self, text: str) -> str:
        """Server text made safe to record and show (see :class:`Redactor`)."""
        return self._redactor.safe(text)

    async def post_json(self, url: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST ``payload``; return the reply's JSON object or raise a classified error."""
        try:
            content = json_bytes(payload)
        except ValueError as exc:
            raise FatalBackendError(f"cannot encode the request as JSON: {exc}") from None
        try:
            async with asyncio.timeout(self._timeout_s):
                reply = await self._post(url, content)
        except TimeoutError:
            raise TransientBackendError(
                f"no complete answer within {self._timeout_s:g} s (--timeout)"
            ) from None
        self._check_status(reply)
        body = parse_object(reply.body)
        if body is None:
            raise TransientBackendError("malformed JSON in response")
        return body

    async def _post(self, url: str, content: bytes) -> Reply:
        try:
            return await self._transport.request("POST", url, content)
        except BodyTooLarge:
            raise self._too_large() from None
        except TransportError as exc:  # transport, protocol and content-decoding errors
            if exc.kind.endswith("Timeout"):
                raise TransientBackendError("request timed out") from None
            raise TransientBackendError(f"connection error ({exc.kind})") from None

    def _too_large(self) -> FatalBackendError:
        return FatalBackendError(
            f"response larger than {self._max_bytes // 2**20} MiB: not read (a reply that "
            "size is a server fault)"
        )

    def _check_status(self, reply: Reply) -> None:
        status = reply.status
        if status < 400:
            return
        if status in TRANSIENT_STATUS:
            text = self.safe(_message(reply.body, reply.reason))
            raise TransientBackendError(
                f"HTTP {status}: {text}", _retry_after(reply.headers), status
            )
        if status in (401, 403):
            raise FatalBackendError(
                f"HTTP {status}: authentication failed; check the API key variable"
            )
        raise FatalBackendError(f"HTTP {status}: {self.safe(_message(reply.body, reply.reason))}")
