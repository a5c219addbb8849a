"""A local fake OpenAI-compatible HTTP server for tests and benchmarks.

It owns the server: connections, routing, auth, latency, fault injection and stats. It answers
``GET /v1/models``, ``POST /v1/chat/completions`` and ``POST /v1/completions`` with
deterministic replies (see :mod:`support.server_responders`) and fake log-probabilities (see
:mod:`support.server_tokens`), and serves ``GET /stats`` / ``POST /stats/reset`` for tests.

Run it as a script (it prints ``LISTENING <port>`` once ready)::

    python tests/support/openai_server.py --port 0 --responder gsm8k --answers sheet.jsonl \\
        --latency-ms 200 --fault-rate 0.2 --faults 429,500,hang

or start it from Python with :func:`start_server_process`, which returns a :class:`ServerHandle`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# Run as a file path, Python puts tests/support/ on sys.path; the sibling modules are imported
# as the ``support`` namespace package, so tests/ must be importable too.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support.server_api import (
    ApiContext,
    ApiError,
    chat_completion,
    error_body,
    list_models,
    text_completion,
)
from support.server_faults import FaultKind, FaultPlan, body_digest
from support.server_http import (
    HttpProtocolError,
    HttpRequest,
    HttpResponse,
    encode_response,
    json_response,
    read_request,
)
from support.server_options import ServerConfigError, ServerOptions, parse_argv
from support.server_process import ServerHandle, start_server_process
from support.server_responders import (
    EchoResponder,
    FixedResponder,
    Gsm8kResponder,
    MultipleChoiceKey,
    Responder,
    write_gsm8k_answers,
    write_mc_answers,
)
from support.server_stats import ServerStats

__all__ = [
    "FakeOpenAIServer",
    "Responder",
    "ServerConfigError",
    "ServerHandle",
    "ServerOptions",
    "main",
    "make_responder",
    "serve",
    "start_server_process",
    "write_gsm8k_answers",
    "write_mc_answers",
]

_API_ROUTES = {
    "/v1/models": "GET",
    "/v1/chat/completions": "POST",
    "/v1/completions": "POST",
}


def make_responder(options: ServerOptions) -> Responder:
    """Build the responder that ``options.responder`` names."""
    kind, _, text = options.responder.partition(":")
    if kind == "fixed":
        return FixedResponder(text)
    if kind == "gsm8k":
        if options.answers is None:
            raise ServerConfigError("the gsm8k responder needs an answers file")
        return Gsm8kResponder.from_file(options.answers)
    return EchoResponder()


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What an API request led to: a response (``None``: drop the connection) and success."""

    response: HttpResponse | None
    ok: bool


class FakeOpenAIServer:
    """The server; run it in an event loop with :meth:`start`, or as a process with :func:`main`.

    Attributes:
        options: How it behaves.
        stats: Its live counters.
    """

    def __init__(self, options: ServerOptions) -> None:
        self.options = options
        self.stats = ServerStats()
        mc_key = (
            MultipleChoiceKey.from_file(options.mc_answers)
            if options.mc_answers is not None
            else MultipleChoiceKey()
        )
        self._ctx = ApiContext(make_responder(options), mc_key, options.model)
        self._faults = FaultPlan(
            options.fault_rate, options.fault_seed, options.faults, options.max_faulty_attempts
        )
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        """Bind and start accepting connections; return the bound port."""
        self._server = await asyncio.start_server(
            self._serve_connection, self.options.host, self.options.port, backlog=1024
        )
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def close(self) -> None:
        """Stop accepting connections and close the listening socket."""
        if self._server is not None:
            self._server.close()
            # Newer Pythons wait for open connections here, and a hung one may never finish.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Answer requests on one keep-alive connection until either side closes it."""
        self.stats.connection_opened()
        try:
            while True:
                try:
                    request = await read_request(reader, writer)
                except HttpProtocolError as exc:
                    body = error_body(str(exc), "invalid_request_error", "bad_http")
                    writer.write(encode_response(json_response(exc.status, body), False))
                    await writer.drain()
                    return
                if request is None or not await self._answer(request, writer):
                    return
        except ConnectionError:
            return  # the client went away (e.g. timed out on a hang); nothing to answer
        finally:
            writer.close()

    async def _answer(self, request: HttpRequest, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; return whether the connection stays open."""
        if request.path in ("/stats", "/stats/reset"):
            await self._write(writer, self._stats_route(request), request.keep_alive)
            return request.keep_alive
        self.stats.begin(request.method)
        outcome = _Outcome(None, False)
        try:
            outcome = await self._api(request)
            if outcome.response is None:
                writer.transport.abort()
                return False
            await self._write(writer, outcome.response, request.keep_alive)
        finally:
            status = outcome.response.status if outcome.response is not None else None
            self.stats.end(status, ok=outcome.ok)
        return request.keep_alive

    @staticmethod
    async def _write(writer: asyncio.StreamWriter, response: HttpResponse, keep: bool) -> None:
        writer.write(encode_response(response, keep))
        await writer.drain()

    def _stats_route(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/stats" and request.method == "GET":
            return json_response(200, self.stats.snapshot())
        if request.path == "/stats/reset" and request.method == "POST":
            self.stats.reset()
            return json_response(200, self.stats.snapshot())
        return json_response(405, error_body("method not allowed", "invalid_request_error", None))

    async def _api(self, request: HttpRequest) -> _Outcome:
        """Check auth and route, draw a fault, wait the latency, then answer."""
        refusal = self._refusal(request)
        if refusal is not None:
            return _Outcome(json_response(refusal.status, refusal.body()), False)
        fault: FaultKind | None = None
        if request.method == "POST":
            digest = body_digest(request.body)
            fault = self._faults.decide(digest, self.stats.next_attempt(digest))
        if fault is not None:
            self.stats.record_fault(fault)
        # The latency is the model's: inference requests wait it; GET /v1/models answers at
        # once, as vLLM, SGLang and llama.cpp's server do.
        latency = self.options.latency_ms / 1000 if request.method == "POST" else 0.0
        delay = self.options.hang_s if fault == "hang" else latency
        if delay > 0:
            await asyncio.sleep(delay)
        if fault == "reset":
            return _Outcome(None, False)
        if fault in ("429", "500", "503"):
            return _Outcome(self._fault_response(int(fault)), False)
        response = self._route(request)
        if fault == "malformed":
            # Cut the JSON in half: a 200 whose body does not parse, like a proxy cut short.
            cut = HttpResponse(200, response.body[: len(response.body) // 2], response.headers)
            return _Outcome(cut, False)
        return _Outcome(response, response.status == 200)

    def _refusal(self, request: HttpRequest) -> ApiError | None:
        """Return the error for an unauthorised, unknown or wrong-method request, if any."""
        key = self.options.api_key
        if key is not None and request.headers.get("authorization") != f"Bearer {key}":
            return ApiError(401, "Incorrect API key provided.", "invalid_api_key")
        method = _API_ROUTES.get(request.path)
        if method is None:
            return ApiError(404, f"no route {request.path}", "unknown_url")
        if method != request.method:
            return ApiError(405, f"{request.path} needs {method}", "method_not_allowed")
        return None

    def _fault_response(self, status: int) -> HttpResponse:
        """Return an injected error; 429 and 503 say when to retry, as real gateways do."""
        seconds = self.options.retry_after_s
        retry_after = (("Retry-After", f"{seconds:g}"), ("retry-after-ms", f"{seconds * 1000:g}"))
        if status == 429:
            body = error_body("Rate limit reached (injected).", "requests", "rate_limit_exceeded")
            return json_response(429, body, retry_after)
        message = "The server had an error while processing your request (injected)."
        headers = retry_after if status == 503 else ()
        return json_response(status, error_body(message, "server_error", None), headers)

    def _route(self, request: HttpRequest) -> HttpResponse:
        """Build the 200 (or 400) answer of a routed API request."""
        if request.path == "/v1/models":
            return json_response(200, list_models(self._ctx))
        request_id = body_digest(request.body).hex()[:24]
        try:
            payload = json.loads(request.body)
            if request.path == "/v1/chat/completions":
                return json_response(200, chat_completion(self._ctx, payload, request_id))
            return json_response(200, text_completion(self._ctx, payload, request_id))
        except json.JSONDecodeError as exc:
            return json_response(400, ApiError(400, f"invalid JSON body: {exc}").body())
        except ApiError as exc:
            return json_response(exc.status, exc.body())


async def serve(options: ServerOptions) -> None:
    """Run a server until SIGTERM/SIGINT (or stdin EOF, with ``exit_on_stdin_eof``)."""
    server = FakeOpenAIServer(options)
    port = await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    if options.exit_on_stdin_eof:
        # The launcher holds our stdin open; EOF means it died without stopping us.
        await loop.connect_read_pipe(lambda: _EofProtocol(stop), sys.stdin)
    print(f"LISTENING {port}", flush=True)
    try:
        await stop.wait()
    finally:
        await server.close()


class _EofProtocol(asyncio.Protocol):
    """Sets an event when the pipe it reads closes."""

    def __init__(self, closed: asyncio.Event) -> None:
        self._closed = closed

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed.set()


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    asyncio.run(serve(parse_argv(sys.argv[1:] if argv is None else argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
