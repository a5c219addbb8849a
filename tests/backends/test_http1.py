"""The keep-alive HTTP/1.1 pool against real sockets on 127.0.0.1: framing, reuse, failures."""

from __future__ import annotations

import asyncio
import gzip
import socket
from collections.abc import Awaitable, Callable

import pytest

from evalkit.backends.http1 import BodyTooLarge, ConnectFailed, Http1Pool, TransportError

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> tuple[str, dict[str, str], bytes]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:] if h)}
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return head[0], headers, body


def reply(body: bytes, *extra: str, status: str = "200 OK") -> bytes:
    head = [f"HTTP/1.1 {status}", *extra]
    if not any(h.lower().startswith(("content-length", "transfer-encoding")) for h in extra):
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def serve(handler: Handler, check: Callable[[Http1Pool, list[int]], Awaitable[None]]) -> None:
    """Run ``handler`` per connection; call ``check`` with a pool and the connection count."""
    connections: list[int] = []

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pool = Http1Pool("127.0.0.1", port, {"Authorization": "Bearer k"}, 5.0, 1000)
    try:
        await check(pool, connections)
    finally:
        await pool.aclose()
        server.close()
        await server.wait_closed()


async def echo_forever(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        line, headers, body = await read_request(reader)
        writer.write(reply(line.encode() + b"|" + headers["authorization"].encode() + b"|" + body))
        await writer.drain()


def test_connections_are_kept_alive_and_reused():
    async def check(pool: Http1Pool, connections: list[int]) -> None:
        first = await pool.request("POST", "/v1/x?q=1", b'{"a":1}')
        second = await pool.request("GET", "/v1/models")
        assert first.status == 200 and first.body == b'POST /v1/x?q=1 HTTP/1.1|Bearer k|{"a":1}'
        assert second.body == b"GET /v1/models HTTP/1.1|Bearer k|"
        assert len(connections) == 1
        both = await asyncio.gather(*(pool.request("GET", f"/{i}") for i in range(3)))
        assert [r.body.split(b" ")[1] for r in both] == [b"/0", b"/1", b"/2"]
        assert len(connections) == 3  # two more for the concurrent requests, then reused

    asyncio.run(serve(echo_forever, check))


def test_chunked_gzip_and_interim_replies_are_read_whole():
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        packed = gzip.compress(b"hello chunked world")
        chunks = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(p), p) for p in (packed[:5], packed[5:]))
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        writer.write(reply(chunks + b"0\r\nX-Trailer: t\r\n\r\n", "Transfer-Encoding: chunked",
                           "Content-Encoding: gzip"))  # fmt: skip
        await read_request(reader)  # the connection was kept: a second request arrives on it
        writer.write(reply(b"again"))
        await writer.drain()

    async def check(pool: Http1Pool, connections: list[int]) -> None:
        assert (await pool.request("POST", "/", b"{}")).body == b"hello chunked world"
        assert (await pool.request("POST", "/", b"{}")).body == b"again"
        assert len(connections) == 1

    asyncio.run(serve(handler, check))


def test_a_body_ended_by_close_is_read_and_the_connection_not_reused():
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 503 Busy\r\nRetry-After: 2\r\n\r\nno length")
        await writer.drain()

    async def check(pool: Http1Pool, connections: list[int]) -> None:
        for _ in range(2):
            got = await pool.request("POST", "/", b"{}")
            assert (got.status, got.reason, got.body) == (503, "Busy", b"no length")
            assert got.headers["retry-after"] == "2"
        assert len(connections) == 2

    asyncio.run(serve(handler, check))


def test_an_idle_connection_the_server_closed_is_replaced_transparently():
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(reply(b"once"))  # keep-alive promised, then closed once answered
        await writer.drain()

    async def check(pool: Http1Pool, connections: list[int]) -> None:
        assert (await pool.request("POST", "/", b"{}")).body == b"once"
        await asyncio.sleep(0.05)
        assert (await pool.request("POST", "/", b"{}")).body == b"once"
        assert len(connections) == 2

    asyncio.run(serve(handler, check))


@pytest.mark.parametrize(
    "answer",
    [
        reply(b"x" * 1001),
        reply(b"3e9\r\n" + b"x" * 1001 + b"\r\n0\r\n\r\n", "Transfer-Encoding: chunked"),
        reply(gzip.compress(b"x" * 5000), "Content-Encoding: gzip"),
    ],
    ids=["declared", "chunked", "gzip-bomb"],
)
def test_a_body_over_the_cap_is_refused(answer):
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(answer)
        await writer.drain()

    async def check(pool: Http1Pool, connections: list[int]) -> None:
        with pytest.raises(BodyTooLarge):
            await pool.request("POST", "/", b"{}")

    asyncio.run(serve(handler, check))


@pytest.mark.parametrize(
    "answer",
    [b"NONSENSE\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", b""],
    ids=["garbage", "cut-short", "closed"],
)
def test_a_broken_reply_is_a_transport_error(answer):
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(answer)
        await writer.drain()

    async def check(pool: Http1Pool, connections: list[int]) -> None:
        with pytest.raises(TransportError) as info:
            await pool.request("POST", "/", b"{}")
        assert not isinstance(info.value, ConnectFailed | BodyTooLarge)

    asyncio.run(serve(handler, check))


def test_a_cancelled_request_closes_its_connection():
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab")  # then nothing more
        await writer.drain()
        await reader.read()  # until the client hangs up
        writer.close()

    async def check(pool: Http1Pool, connections: list[int]) -> None:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await pool.request("POST", "/", b"{}")
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await pool.request("POST", "/", b"{}")
        assert len(connections) == 2  # the half-read connection was not put back

    asyncio.run(serve(handler, check))


def test_nothing_listening_is_connect_failed():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def main() -> None:
        pool = Http1Pool("127.0.0.1", port, {}, 5.0, 1000)
        with pytest.raises(ConnectFailed):
            await pool.request("GET", "/v1/models", head_only=True)

    asyncio.run(main())
