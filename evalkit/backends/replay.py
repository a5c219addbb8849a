"""Replay recorded model outputs: re-score them without calling any model.

``replay/<file.jsonl>`` answers each request from a JSONL file of recorded outputs:

* an evalkit ``samples.jsonl`` (default): matched on the sample ``id``, text in ``completion``;
* any other file, with ``-M match=index`` (the i-th line answers the i-th dataset row) or
  ``-M match=id -M id_field=key``, and ``-M text=<dotted.path>`` naming the output text, e.g.
  ``-M text=175b_verification.solution``.

A request with no recorded output is a fatal error for that sample (it is recorded, never
scored as a wrong answer).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from evalkit.backends import BackendIdentity, BackendOptions, Capabilities
from evalkit.errors import ConfigError, FatalBackendError
from evalkit.types import Completion, FinishReason, Request

FINISH = ("stop", "length", "content_filter", "tool_calls", "unknown")


def _dig(record: Mapping[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _read(path: Path) -> list[dict[str, Any]]:
    records = []
    try:
        with path.open("rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                try:
                    record = json.loads(raw.decode("utf-8"))
                except (ValueError, RecursionError) as exc:  # not UTF-8/JSON, too deep or long
                    why = "nested too deeply" if isinstance(exc, RecursionError) else "not JSON"
                    raise ConfigError(f"{path}:{lineno}: {why}; cannot replay it") from None
                if not isinstance(record, dict):
                    raise ConfigError(f"{path}:{lineno}: expected a JSON object; cannot replay it")
                records.append(record)
    except OSError as exc:
        raise ConfigError(f"cannot read replay file '{path}': {exc.strerror}") from None
    return records


class ReplayBackend:
    """Answers requests with outputs recorded earlier."""

    def __init__(self, path: Path, match: str, id_field: str, text: str) -> None:
        self._identity = BackendIdentity("replay", path.name, extra={"match": match, "text": text})
        records = _read(path)
        self._text = text
        self._match = match
        if match == "index":
            self._by_key = {str(i): r for i, r in enumerate(records)}
        elif match == "id":
            self._by_key = {f"{r.get(id_field)}#{r.get('epoch', 0)}": r for r in records}
        else:
            raise ConfigError(f"invalid -M match={match}: use id or index")

    @property
    def identity(self) -> BackendIdentity:
        """``replay/<file name>`` with the matching rule."""
        return self._identity

    @property
    def capabilities(self) -> Capabilities:
        """Replays either kind of request."""
        return Capabilities(cacheable=False)

    async def generate(self, request: Request) -> Completion:
        """Return the recorded output for the request's sample."""
        if self._match == "index":
            key = str(request.sample_index)
        else:
            key = f"{request.sample_id}#{request.epoch}"
        record = self._by_key.get(key)
        text = _dig(record, self._text) if record is not None else None
        if not isinstance(text, str):
            raise FatalBackendError(
                f"no recorded output for sample {request.sample_id} ({self._match} {key})"
            )
        reason = record.get("finish_reason", "stop") if record else "stop"
        return Completion(
            text=text,
            finish_reason=cast(
                FinishReason, reason if isinstance(reason, str) and reason in FINISH else "unknown"
            ),
            model=self._identity.model,
        )

    async def preflight(self) -> None:
        """Nothing to check before the first request (the recorded outputs are already read)."""

    async def aclose(self) -> None:
        """Nothing to release."""


def make_replay(model: str, options: BackendOptions) -> ReplayBackend:
    """``replay/<path to JSONL>``; see the module docstring for ``-M`` options."""
    path = Path(model)
    if not path.is_file():
        raise ConfigError(f"replay file '{model}' not found")
    args = options.model_args
    return ReplayBackend(
        path, args.get("match", "id"), args.get("id_field", "id"), args.get("text", "completion")
    )
