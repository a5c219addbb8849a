"""Options of the test server: one frozen value, its command line, and its validation.

The same :class:`ServerOptions` configures an in-process server and the subprocess started by
:func:`support.server_process.start_server_process`, which passes it on as ``argv``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from support.server_faults import FAULT_KINDS, FaultKind, parse_fault_kinds


class ServerConfigError(ValueError):
    """The options cannot make a server (e.g. ``gsm8k`` responder without ``answers``)."""


@dataclass(frozen=True, slots=True)
class ServerOptions:
    """How the fake OpenAI server behaves.

    Attributes:
        host: Interface to bind.
        port: TCP port; 0 picks a free one (announced on stdout as ``LISTENING <port>``).
        responder: ``echo``, ``gsm8k`` (needs ``answers``) or ``fixed:<text>``.
        answers: GSM8K answer sheet, as written by ``write_gsm8k_answers``.
        mc_answers: Multiple-choice key (JSONL ``{"match", "answer"}``) whose answers the
            server prefers in replies and log-probabilities.
        model: Model name listed by ``/v1/models``.
        latency_ms: Delay before every API answer (overlapping across concurrent requests).
        fault_rate: Probability that an eligible attempt gets a fault.
        fault_seed: Seed of the fault draws.
        faults: Fault kinds to draw from.
        max_faulty_attempts: Attempts after this many for the same body never fault.
        hang_s: How long a ``hang`` fault waits before answering.
        retry_after_s: Value of ``Retry-After`` on 429 answers.
        api_key: When set, API requests need ``Authorization: Bearer <api_key>``.
        exit_on_stdin_eof: Exit when stdin closes (the parent died); set by the process launcher.
    """

    host: str = "127.0.0.1"
    port: int = 0
    responder: str = "echo"
    answers: Path | None = None
    mc_answers: Path | None = None
    model: str = "fake-model"
    latency_ms: float = 0.0
    fault_rate: float = 0.0
    fault_seed: int = 0
    faults: tuple[FaultKind, ...] = FAULT_KINDS
    max_faulty_attempts: int = 5
    hang_s: float = 30.0
    retry_after_s: float = 0.1
    api_key: str | None = None
    exit_on_stdin_eof: bool = False

    def __post_init__(self) -> None:
        kind = self.responder.partition(":")[0]
        if kind not in ("echo", "gsm8k", "fixed"):
            raise ServerConfigError(f"unknown responder {self.responder!r}")
        if kind == "gsm8k" and self.answers is None:
            raise ServerConfigError("the gsm8k responder needs an answers file")
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ServerConfigError(f"fault_rate must be in [0, 1], got {self.fault_rate}")

    def to_argv(self) -> list[str]:
        """Return the arguments that :func:`parse_argv` turns back into these options."""
        argv = [
            f"--host={self.host}",
            f"--port={self.port}",
            f"--responder={self.responder}",
            f"--model={self.model}",
            f"--latency-ms={self.latency_ms}",
            f"--fault-rate={self.fault_rate}",
            f"--fault-seed={self.fault_seed}",
            f"--faults={','.join(self.faults)}",
            f"--max-faulty-attempts={self.max_faulty_attempts}",
            f"--hang-s={self.hang_s}",
            f"--retry-after-s={self.retry_after_s}",
        ]
        for flag, value in (("--answers", self.answers), ("--mc-answers", self.mc_answers)):
            if value is not None:
                argv.append(f"{flag}={value}")
        if self.api_key is not None:
            argv.append(f"--api-key={self.api_key}")
        if self.exit_on_stdin_eof:
            argv.append("--exit-on-stdin-eof")
        return argv


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="A local fake OpenAI-compatible server.")
    add = parser.add_argument
    add("--host", default="127.0.0.1")
    add("--port", type=int, default=0)
    add("--responder", default="echo", help="echo | gsm8k | fixed:<text>")
    add("--answers", type=Path, help="GSM8K answer sheet (JSONL question/answer)")
    add("--mc-answers", type=Path, help="multiple-choice key (JSONL match/answer)")
    add("--model", default="fake-model")
    add("--latency-ms", type=float, default=0.0)
    add("--fault-rate", type=float, default=0.0)
    add("--fault-seed", type=int, default=0)
    add("--faults", type=parse_fault_kinds, default=FAULT_KINDS, help="e.g. 429,500,hang")
    add("--max-faulty-attempts", type=int, default=5)
    add("--hang-s", type=float, default=30.0)
    add("--retry-after-s", type=float, default=0.1)
    add("--api-key")
    add("--exit-on-stdin-eof", action="store_true")
    return parser


def parse_argv(argv: Sequence[str]) -> ServerOptions:
    """Parse command-line arguments; exits with status 2 and a usage message on bad input."""
    parser = _parser()
    args = parser.parse_args(list(argv))
    try:
        return ServerOptions(**vars(args))
    except ServerConfigError as exc:
        parser.error(str(exc))
