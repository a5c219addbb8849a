"""A content-addressed response cache in one SQLite file.

The key is the sha256 of everything that determines a model's output: the backend identity
(provider, model, base URL, backend extras), the full request (messages or prompt) and the
generation parameters. With ``temperature > 0`` the epoch is part of the key too, so repeated
samples of one prompt stay distinct. Only successful completions are stored; errors never are.

The file is opened in WAL mode with a busy timeout, so several evalkit processes can share one
cache. Credentials never enter it: identities carry no keys and base URLs are recorded bare.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from evalkit.backends import BackendIdentity
from evalkit.errors import ResultsError
from evalkit.redaction import escape_surrogates
from evalkit.task.data import canonical_json
from evalkit.types import FINISH_REASONS, Completion, FinishReason, Request, ToolCall, Usage

CACHE_FILE = "responses.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    completion TEXT NOT NULL,
    created_at REAL NOT NULL
)
"""


def default_cache_dir() -> Path:
    """``$EVALKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/evalkit``, else ``~/.cache/evalkit``."""
    if os.environ.get("EVALKIT_CACHE_DIR"):
        return Path(os.environ["EVALKIT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "evalkit"


def cache_key(
    identity: BackendIdentity,
    request: Request,
    mode: str = "generate",
    options: tuple[str, ...] = (),
) -> str:
    """Return the content address of ``request`` sent to the backend ``identity``.

    ``mode`` tells generation from option ranking (``loglikelihood:letter`` ...), whose answers
    to the same prompt differ; when ranking, the ``options`` ranked are part of the key too (two
    questions can share a prompt and differ in their options).
    """
    params = request.params.to_dict()
    payload: dict[str, Any] = {
        "mode": mode,
        "options": list(options) if mode != "generate" else [],
        "backend": identity.to_dict(),
        "messages": [m.to_dict() for m in request.messages]
        if request.messages is not None
        else None,
        "prompt": request.prompt,
        "params": params,
        # Sampled answers are draws: each sample and epoch keeps its own entry. Greedy answers
        # are shared by any request with the same prompt.
        "epoch": request.epoch if request.params.temperature > 0 else 0,
        "sample": request.sample_id if request.params.temperature > 0 else None,
    }
    if request.tools:  # tool-less requests keep the keys they always had
        payload["tools"] = [t.to_dict() for t in request.tools]
        payload["tool_choice"] = request.tool_choice
    text = canonical_json(payload)
    # surrogatepass: a lone surrogate in a prompt hashes deterministically; other text as UTF-8
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _encode(c: Completion) -> str:
    return escape_surrogates(
        json.dumps(
            {
                "text": c.text,
                "finish_reason": c.finish_reason,
                "model": c.model,
                "input_tokens": c.usage.input_tokens,
                "output_tokens": c.usage.output_tokens,
                "option_logprobs": list(c.option_logprobs) if c.option_logprobs else None,
                **({"tool_calls": [t.to_dict() for t in c.tool_calls]} if c.tool_calls else {}),
            },
            sort_keys=True,
            ensure_ascii=False,
        )
    )




def _decode(raw: Any) -> Completion | None:
    """Read a stored entry; ``None`` (a miss) for anything that is not one evalkit wrote."""
    try:
        d = json.loads(raw)
    except (TypeError, ValueError, RecursionError):  # not text, not JSON, numbers too long
        return None
    if not isinstance(d, dict):
        return None
    text, reason, model = d.get("text"), d.get("finish_reason"), d.get("model")
    counts = (d.get("input_tokens"), d.get("output_tokens"))
    logprobs = d.get("option_logprobs") or None
    if not (isinstance(text, str) and isinstance(model, str) and isinstance(reason, str)):
        return None
    if reason not in FINISH_REASONS:
        return None
    if not all(type(n) is int and n >= 0 for n in counts):
        return None
    if logprobs is not None and not (
        isinstance(logprobs, list)
        and all(type(v) in (int, float) and not math.isnan(v) for v in logprobs)
    ):
        return None
    calls = _tool_calls(d.get("tool_calls"))
    if calls is None:
        return None
    return Completion(
        text=text,
        finish_reason=cast(FinishReason, reason),
        usage=Usage(cast(int, counts[0]), cast(int, counts[1])),
        model=model,
        cached=True,
        option_logprobs=tuple(logprobs) if logprobs else None,
        tool_calls=calls,
    )


def _tool_calls(raw: Any) -> tuple[ToolCall, ...] | None:
    """Stored tool calls; ``None`` (a miss) when they are not what evalkit wrote."""
    if raw is None:
        return ()
    try:
        return ToolCall.many_from_dicts(raw)
    except (KeyError, TypeError, AttributeError):
        return None


@dataclass(frozen=True, slots=True)
class CacheStats:
    """What ``evalkit cache stats`` shows."""

    path: Path
    entries: int
    bytes: int


class ResponseCache:
    """Completions keyed by :func:`cache_key`, stored in ``<dir>/responses.sqlite``."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / CACHE_FILE
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                self.path, timeout=30.0, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ResultsError(
                f"cannot open the response cache at {self.path}: {exc} (use --no-cache)"
            ) from None

    def get(self, key: str) -> Completion | None:
        """Return the cached completion for ``key``, if any.

        An entry that does not decode (a corrupt row, a row some other program wrote) or a
        database that cannot be read is a miss: the request is sent, never a traceback, and the
        bad row is deleted so that the new answer can take its place.
        """
        try:
            row = self._db.execute(
                "SELECT completion FROM responses WHERE key = ?", (key,)
            ).fetchone()
        except sqlite3.Error:
            return None
        if row is None:
            return None
        completion = _decode(row[0])
        if completion is None:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("DELETE FROM responses WHERE key = ?", (key,))
        return completion

    def put(self, key: str, completion: Completion) -> None:
        """Store a successful completion (first writer wins; entries never change)."""
        try:
            self._db.execute(
                "INSERT INTO responses (key, completion, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO NOTHING",
                (key, _encode(completion), time.time()),
            )
        except sqlite3.Error as exc:
            raise ResultsError(f"cannot write the response cache at {self.path}: {exc}") from None

    def stats(self) -> CacheStats:
        """Count entries and measure the file."""
        (count,) = self._db.execute("SELECT COUNT(*) FROM responses").fetchone()
        size = sum(p.stat().st_size for p in self.path.parent.glob(CACHE_FILE + "*") if p.is_file())
        return CacheStats(self.path, int(count), size)

    def clear(self) -> int:
        """Delete every entry; return how many there were."""
        (count,) = self._db.execute("SELECT COUNT(*) FROM responses").fetchone()
        self._db.execute("DELETE FROM responses")
        self._db.execute("VACUUM")
        return int(count)

    def close(self) -> None:
        """Close the database."""
        self._db.close()
