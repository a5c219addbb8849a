"""The HTTP transport of an OpenAI-protocol backend: which client carries its requests.

Plain ``http://`` URLs reached without a proxy (local inference servers, where the client's own
CPU time bounds the run) use :class:`~evalkit.backends.http1.Http1Pool`; ``https://`` URLs and
URLs that an ``HTTP_PROXY``/``ALL_PROXY`` variable applies to (``NO_PROXY`` respected) use httpx,
which brings TLS certificate handling and proxies. Both answer a request with a
:class:`~evalkit.backends.http1.Reply` or raise a
:class:`~evalkit.backends.http1.TransportError`, so the code above never knows which ran.
httpx is imported only when it is used.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from evalkit.backends.http1 import BodyTooLarge, ConnectFailed, Http1Pool, Reply, TransportError

if TYPE_CHECKING:
    import httpx

CONNECT_TIMEOUT_S = 10.0
"""Longest wait for a new connection (never more than the request's own timeout)."""


class Transport(Protocol):
    """Sends one request and reads its whole reply."""

    async def request(
        self, method: str, url: str, content: bytes | None = None, head_only: bool = False
    ) -> Reply:
        """Send a request to ``url``; raise :class:`TransportError` below HTTP."""
        ...

    async def aclose(self) -> None:
        """Close the connections."""
        ...


class _Pooled:
    """:class:`Http1Pool` behind full URLs (all of one origin)."""

    def __init__(self, pool: Http1Pool) -> None:
        self._pool = pool

    async def request(
        self, method: str, url: str, content: bytes | None = None, head_only: bool = False
    ) -> Reply:
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return await self._pool.request(method, target, content, head_only)

    async def aclose(self) -> None:
        await self._pool.aclose()


class _Httpx:
    """httpx's pooled async client (TLS, proxies)."""

    def __init__(self, headers: Mapping[str, str], timeout_s: float, max_bytes: int) -> None:
        import httpx

        self._httpx = httpx
        self._max_bytes = max_bytes
        self._client = httpx.AsyncClient(
            headers=dict(headers),
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, CONNECT_TIMEOUT_S)),
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=256),
        )

    async def request(
        self, method: str, url: str, content: bytes | None = None, head_only: bool = False
    ) -> Reply:
        httpx = self._httpx
        headers = {"Content-Type": "application/json"} if content is not None else None
        try:
            async with self._client.stream(method, url, content=content, headers=headers) as r:
                body = b"" if head_only else await self._read_capped(r)
                return Reply(r.status_code, dict(r.headers.items()), body, r.reason_phrase)
        except httpx.ConnectError as exc:
            raise ConnectFailed(type(exc).__name__) from None
        except httpx.HTTPError as exc:  # transport, protocol, content decoding, timeouts
            raise TransportError(type(exc).__name__) from None

    async def _read_capped(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and (len(declared) > 15 or int(declared) > self._max_bytes):
            raise BodyTooLarge("BodyTooLarge")
        data = bytearray()
        async for chunk in response.aiter_bytes():
            data += chunk
            if len(data) > self._max_bytes:
                raise BodyTooLarge("BodyTooLarge")
        return bytes(data)

    async def aclose(self) -> None:
        await self._client.aclose()


def _proxied(scheme: str, host: str) -> bool:
    names = {f"{scheme}_proxy", "all_proxy"}
    if not any(k.lower() in names and v for k, v in os.environ.items()):
        return False
    import urllib.request  # its imports (http.client, email) only when a proxy is set

    proxies = urllib.request.getproxies_environment()
    bypass: bool = urllib.request.proxy_bypass_environment(host, proxies)  # type: ignore[attr-defined]
    return not bypass


def open_transport(
    base_url: str, headers: Mapping[str, str], timeout_s: float, max_bytes: int
) -> Transport:
    """The transport for requests under ``base_url`` (see the module docstring)."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    if parts.scheme == "http" and base_url.isascii() and not _proxied("http", host):
        connect_s = min(timeout_s, CONNECT_TIMEOUT_S)
        return _Pooled(Http1Pool(host, parts.port or 80, headers, connect_s, max_bytes))
    return _Httpx(headers, timeout_s, max_bytes)
