"""The wire layer of the fake OpenAI server: just enough HTTP/1.1 over asyncio streams.

It reads one request at a time from a keep-alive connection (``Content-Length`` bodies only; the
OpenAI SDK and httpx never send chunked JSON) and writes complete responses. Nothing here knows
about OpenAI; :mod:`support.openai_server` routes the parsed requests.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

MAX_BODY_BYTES = 64 * 1024 * 1024
"""Largest request body accepted; bigger ones are refused with 413."""

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Payload Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class HttpProtocolError(Exception):
    """The peer sent bytes that are not a request this server understands.

    Attributes:
        status: The status code to answer with before closing the connection.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """One parsed request.

    Attributes:
        method: Upper-case method, e.g. ``POST``.
        path: Request target without the query string.
        headers: Header names lower-cased; a repeated header keeps its last value.
        body: The raw body bytes (empty when there is none).
        keep_alive: Whether the connection stays open after the response.
    """

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    keep_alive: bool


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """One response to write.

    Attributes:
        status: Status code.
        body: Body bytes; ``Content-Length`` is always its exact length.
        headers: Extra headers as ``(name, value)`` pairs.
        content_type: Value of the ``Content-Type`` header.
    """

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = "application/json"


def json_response(
    status: int, payload: Any, headers: tuple[tuple[str, str], ...] = ()
) -> HttpResponse:
    """Return a response whose body is ``payload`` as compact JSON."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return HttpResponse(status, body, headers)


async def read_request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> HttpRequest | None:
    """Read the next request from a connection.

    Answers ``Expect: 100-continue`` (curl sends it for bodies over 1 KiB and would otherwise
    wait a second before sending the body).

    Returns:
        The request, or ``None`` when the peer closed the connection between requests.

    Raises:
        HttpProtocolError: the head or body is malformed or too large.
    """
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial.strip():
            return None
        raise HttpProtocolError(400, "connection closed inside the request head") from exc
    except asyncio.LimitOverrunError as exc:
        raise HttpProtocolError(400, "request head too large") from exc
    method, path, version, headers = _parse_head(head)
    if headers.get("expect", "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    body = await _read_body(reader, headers)
    return HttpRequest(method, path, headers, body, _keeps_alive(version, headers))


def _parse_head(head: bytes) -> tuple[str, str, str, dict[str, str]]:
    """Split a request head into method, path (no query), version and headers."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise HttpProtocolError(400, f"bad request line {lines[0]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise HttpProtocolError(400, f"bad header line {line!r}")
        headers[name.strip().lower()] = value.strip()
    return parts[0].upper(), parts[1].split("?", 1)[0], parts[2], headers


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    """Read a ``Content-Length`` body; chunked uploads are refused."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        raise HttpProtocolError(411, "chunked request bodies are not supported")
    raw_length = headers.get("content-length", "0")
    if not raw_length.isdigit():
        raise HttpProtocolError(400, f"bad Content-Length {raw_length!r}")
    length = int(raw_length)
    if length > MAX_BODY_BYTES:
        raise HttpProtocolError(413, "request body too large")
    try:
        return await reader.readexactly(length) if length else b""
    except asyncio.IncompleteReadError as exc:
        raise HttpProtocolError(400, "connection closed inside the request body") from exc


def _keeps_alive(version: str, headers: dict[str, str]) -> bool:
    """Apply the HTTP/1.0 and 1.1 defaults for connection reuse."""
    connection = headers.get("connection", "").lower()
    if version == "HTTP/1.0":
        return connection == "keep-alive"
    return connection != "close"


def encode_response(response: HttpResponse, keep_alive: bool) -> bytes:
    """Return the full wire bytes of ``response``."""
    reason = _REASONS.get(response.status, "Unknown")
    lines = [
        f"HTTP/1.1 {response.status} {reason}",
        f"Content-Type: {response.content_type}",
        f"Content-Length: {len(response.body)}",
        f"Connection: {'keep-alive' if keep_alive else 'close'}",
    ]
    lines.extend(f"{name}: {value}" for name, value in response.headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + response.body
