"""A keep-alive HTTP/1.1 connection pool over asyncio streams, for plain-HTTP inference servers.

Local servers (vLLM, SGLang, llama.cpp, the test server) answer in milliseconds, so the client's
own CPU decides how fast a run goes. A general client pays for its generality on every request
(httpx's pool checks every idle connection through anyio on each request: about 2-3 ms of CPU
per request at 32 connections); this pool does only what the OpenAI protocol over ``http://``
needs, in about 0.1 ms: a ``GET`` or a ``POST`` with a body, replies framed by
``Content-Length``, chunked or by the end of the connection, gzip/deflate bodies, and
connections kept alive and reused. ``https://`` URLs and proxies are served by httpx
(:mod:`evalkit.backends.transport`).

A connection goes back to the pool only after a complete reply that leaves it open; on any
failure, timeout or cancellation it is closed. A request on a reused connection that the server
had already closed (no byte of the reply came back) is sent once more on a new connection.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

HEAD_LIMIT = 64 * 1024
"""Largest status line plus headers read (a longer head is a protocol error)."""


class TransportError(Exception):
    """The exchange failed below HTTP: connection refused, dropped, or a reply that does not parse.

    Attributes:
        kind: A short name of what failed (shown in the error a sample records).
    """

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class ConnectFailed(TransportError):
    """No connection could be made (refused, no route, unknown host)."""


class BodyTooLarge(TransportError):
    """The reply's body is larger than the cap."""


@dataclass(frozen=True, slots=True)
class Reply:
    """A complete HTTP answer: status, headers (names lower-cased) and the whole body."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    reason: str


class _StaleConnection(Exception):
    """A reused connection was closed by the server before it answered."""


@dataclass(slots=True)
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    def usable(self) -> bool:
        return not (self.writer.is_closing() or self.reader.at_eof())

    def close(self) -> None:
        self.writer.close()


def _parse_head(head: bytes) -> tuple[int, str, dict[str, str], bool]:
    """Status, reason, headers and whether the version is HTTP/1.1 (keep-alive by default)."""
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code, _, reason = rest.partition(" ")
    if not version.startswith("HTTP/1.") or len(code) != 3 or not code.isdigit():
        raise TransportError("RemoteProtocolError")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise TransportError("RemoteProtocolError")
        key = name.lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    return int(code), reason, headers, version == "HTTP/1.1"


async def _read_chunked(reader: asyncio.StreamReader, max_bytes: int) -> bytes:
    body = bytearray()
    while True:
        size_line = await reader.readuntil(b"\r\n")
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise TransportError("RemoteProtocolError") from None
        if size < 0 or len(body) + size > max_bytes:
            raise BodyTooLarge("BodyTooLarge") if size >= 0 else TransportError("bad chunk")
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                pass
            return bytes(body)
        body += await reader.readexactly(size)
        if await reader.readexactly(2) != b"\r\n":
            raise TransportError("RemoteProtocolError")


async def _read_to_end(reader: asyncio.StreamReader, max_bytes: int) -> bytes:
    body = bytearray()
    while chunk := await reader.read(65536):
        body += chunk
        if len(body) > max_bytes:
            raise BodyTooLarge("BodyTooLarge")
    return bytes(body)


def _decoded(body: bytes, encoding: str, max_bytes: int) -> bytes:
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "deflate", "x-gzip"):
        raise TransportError("DecodingError")
    inflate = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header, found from the data
    try:
        data = inflate.decompress(body, max_bytes + 1)
    except zlib.error:
        raise TransportError("DecodingError") from None
    if len(data) > max_bytes:
        raise BodyTooLarge("BodyTooLarge")
    return data


async def _read_body(
    reader: asyncio.StreamReader, method: str, status: int, headers: Mapping[str, str], cap: int
) -> tuple[bytes, bool]:
    """The body and whether it was framed (so the connection may be reused)."""
    if method == "HEAD" or status in (204, 304) or status < 200:
        return b"", True
    encoding = headers.get("content-encoding", "")
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return _decoded(await _read_chunked(reader, cap), encoding, cap), True
    declared = headers.get("content-length")
    if declared is None:
        return _decoded(await _read_to_end(reader, cap), encoding, cap), False
    if not declared.isdigit():
        raise TransportError("RemoteProtocolError")
    if len(declared) > 15 or int(declared) > cap:
        raise BodyTooLarge("BodyTooLarge")
    body = await reader.readexactly(int(declared))
    return _decoded(body, encoding, cap), True


class Http1Pool:
    """Keep-alive connections to one ``host:port``, reused most recently used first.

    Args:
        host: The server's host (a name or an address).
        port: Its TCP port.
        headers: Sent with every request (``Authorization``, ...).
        connect_timeout_s: Longest wait for a new connection.
        max_bytes: Largest body read (after decoding); a larger one raises :class:`BodyTooLarge`.
    """

    def __init__(
        self,
        host: str,
        port: int,
        headers: Mapping[str, str],
        connect_timeout_s: float,
        max_bytes: int,
    ) -> None:
        self._host, self._port = host, port
        shown = f"[{host}]" if ":" in host else host
        host_header = shown if port == 80 else f"{shown}:{port}"
        fixed = {"Host": host_header, "Accept": "*/*", "User-Agent": "evalkit", **headers}
        self._head = "".join(f"{k}: {v}\r\n" for k, v in fixed.items()).encode("latin-1")
        self._connect_timeout_s = connect_timeout_s
        self._max_bytes = max_bytes
        self._idle: list[_Connection] = []
        self._closed = False

    async def request(
        self, method: str, target: str, content: bytes | None = None, head_only: bool = False
    ) -> Reply:
        """Send one request to ``target`` (path and query) and read the whole reply.

        With ``head_only`` the body is not read (the connection is closed instead).

        Raises:
            TransportError: the connection failed or the reply does not parse;
                :class:`ConnectFailed` when no connection could be made, :class:`BodyTooLarge`.
        """
        message = self._message(method, target, content)
        while self._idle:
            conn = self._idle.pop()
            if not conn.usable():
                conn.close()
                continue
            try:
                return await self._exchange(conn, method, message, head_only, reused=True)
            except _StaleConnection:
                continue
        conn = await self._connect()
        try:
            return await self._exchange(conn, method, message, head_only, reused=False)
        except _StaleConnection:
            raise TransportError("RemoteProtocolError: server closed the connection") from None

    def _message(self, method: str, target: str, content: bytes | None) -> bytes:
        start = f"{method} {target} HTTP/1.1\r\n".encode("ascii")
        if content is None:
            return start + self._head + b"\r\n"
        length = b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(content)
        return start + self._head + length + content

    async def _connect(self) -> _Connection:
        try:
            async with asyncio.timeout(self._connect_timeout_s):
                reader, writer = await asyncio.open_connection(
                    self._host, self._port, limit=HEAD_LIMIT
                )
        except TimeoutError:
            raise TransportError("ConnectTimeout") from None
        except OSError:
            raise ConnectFailed("ConnectError") from None
        return _Connection(reader, writer)

    async def _exchange(
        self, conn: _Connection, method: str, message: bytes, head_only: bool, reused: bool
    ) -> Reply:
        keep = False
        try:
            conn.writer.write(message)
            status, reason, headers, keep = await self._read_head(conn, reused)
            if head_only:
                keep = False
                return Reply(status, headers, b"", reason)
            body, framed = await _read_body(conn.reader, method, status, headers, self._max_bytes)
            keep = keep and framed and "close" not in headers.get("connection", "").lower()
            return Reply(status, headers, body, reason)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            keep = False
            raise TransportError("RemoteProtocolError") from None
        except OSError:
            keep = False
            raise TransportError("ReadError") from None
        except BaseException:
            keep = False
            raise
        finally:
            if keep and not self._closed:
                self._idle.append(conn)
            else:
                conn.close()

    async def _read_head(
        self, conn: _Connection, reused: bool
    ) -> tuple[int, str, dict[str, str], bool]:
        while True:
            try:
                head = await conn.reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError as exc:
                if reused and not exc.partial:
                    raise _StaleConnection from None
                raise
            except ConnectionResetError:
                if reused:
                    raise _StaleConnection from None
                raise
            parsed = _parse_head(head[:-4])
            if not 100 <= parsed[0] < 200:  # an interim 1xx reply is followed by the real one
                return parsed

    async def aclose(self) -> None:
        """Close every idle connection; connections in use close when their exchange ends."""
        self._closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
