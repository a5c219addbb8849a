"""The data an HTML report's sample browser reads: compact sample entries and their JSON blob.

A report embeds one JSON document in ``<script type="application/json">`` elements (the
``strings`` in one of their own, read after the first page is drawn); its script parses them
once and renders one page of samples at a time, so a 14,042-sample run opens about as fast as a
50-sample one. The document is::

    {"strings": [...], "turns": [...],
     "browsers": {"<name>": {"kind": "samples" | "flips",
                             "filters": [[key, label], ...],
                             "items": [...]}}}

Long texts (prompt turns, completions, transcript turns) are stored once in ``strings``, and chat
turns once in ``turns``, both referred to by index: the few-shot turns of an MMLU subject repeat
in each of its prompts, and interning them keeps a full run's report a fraction of its
``samples.jsonl``. A turn is ``{"role", "content": string index}`` plus ``tool_calls``,
``tool_call_id`` and ``name`` where the message has them.

A sample entry has short keys (absent when empty): ``id``, ``ep`` (epoch), ``st`` (status
flags, see :func:`sample_flags`), ``p`` (prompt: a string index for a text prompt, else a list
of turn indices), ``c`` (completion), ``a`` (extracted answer), ``g`` (gold), ``s`` (score),
``r`` (scorer's reason), ``fr`` (finish reason, when not ``stop``), ``err`` (error), ``d``
(score details, judge verdicts included), ``md`` (metadata), ``m`` (per-sample metrics, when
more than one), ``x`` (transcript: turn indices).

Nothing here is markup: the page's script puts every string into the page as text.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from evalkit.records.summary import NO_ANSWER_REASONS
from evalkit.reports.compare import Flip

Status = Literal["correct", "wrong", "no_answer", "error", "truncated", "rated", "unrated"]
"""The filters of the sample browser: a sample is correct, wrong or error (rated, unrated or
error in a judge-rated run, where no score is right or wrong), plus the others where they apply."""

FILTERS: tuple[tuple[Status, str], ...] = (
    ("correct", "correct"),
    ("wrong", "wrong"),
    ("no_answer", "no answer"),
    ("error", "error"),
    ("truncated", "truncated"),
)
"""Sample-browser filters and their labels, in display order."""

RATED_FILTERS: tuple[tuple[Status, str], ...] = (
    ("rated", "rated"),
    ("unrated", "judge unreadable"),
    ("error", "error"),
    ("truncated", "truncated"),
)
"""The filters of a judge-rated run (1-10 ratings)."""

COMPRESS_OVER = 4_000_000
"""Data larger than this (bytes of JSON) is embedded gzipped, in base64 (a third of the size)."""

_TURN_KEYS = ("tool_calls", "tool_call_id", "name")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(slots=True)
class StringTable:
    """Long texts and chat turns stored once, by first appearance (filled while entries are made).

    Attributes:
        strings: The texts; entries refer to them by index.
        turns: The chat turns, their ``content`` a string index; prompts list turn indices.
    """

    strings: list[str] = field(default_factory=list)
    turns: list[dict[str, Any]] = field(default_factory=list)
    _index: dict[str, int] = field(default_factory=dict)
    _turn_index: dict[str, int] = field(default_factory=dict)

    def ref(self, text: str | None) -> int | None:
        """Return the index of ``text`` (added on first use); ``None`` stays ``None``."""
        if text is None:
            return None
        text = str(text)
        found = self._index.get(text)
        if found is None:
            found = self._index[text] = len(self.strings)
            self.strings.append(text)
        return found

    def turn(self, turn: dict[str, Any]) -> int:
        """Return the index of a turn (its content already a string index), added on first use."""
        key = json.dumps(turn, sort_keys=True)
        found = self._turn_index.get(key)
        if found is None:
            found = self._turn_index[key] = len(self.turns)
            self.turns.append(turn)
        return found


def sample_value(line: Mapping[str, Any], metric: str) -> float | None:
    """The sample's value of ``metric`` (its ``score`` when the metric is absent)."""
    value = (line.get("metrics") or {}).get(metric, line.get("score"))
    return None if value is None else float(value)


def sample_flags(line: Mapping[str, Any], metric: str, rated: bool = False) -> list[Status]:
    """Classify one sample line for the browser's filters.

    A failed sample is ``error``; a scored one is ``correct`` with full credit on ``metric`` and
    ``wrong`` otherwise (partial credit included). ``no_answer`` (the scorer found no answer,
    counted as ``counts.no_answer`` in run.json) and ``truncated`` (stopped at ``max_tokens``)
    are added where they apply. In a judge-rated run (``rated``) a scored sample is ``rated``,
    or ``unrated`` when the judge's reply had no readable rating.

    Example:
        >>> sample_flags({"error": None, "score": 0.0, "answer": None,
        ...               "reason": "no_answer_found", "finish_reason": "length"}, "accuracy")
        ['wrong', 'no_answer', 'truncated']
    """
    flags: list[Status] = []
    if line.get("error") is not None:
        flags.append("error")
    elif rated:
        flags.append("unrated" if line.get("reason") == "judge_unparsed" else "rated")
    else:
        value = sample_value(line, metric)
        flags.append("correct" if value is not None and value >= 1.0 else "wrong")
        if line.get("answer") is None and line.get("reason") in NO_ANSWER_REASONS:
            flags.append("no_answer")
    if line.get("finish_reason") == "length":
        flags.append("truncated")
    return flags


def _turns(messages: Sequence[Any], table: StringTable) -> list[int]:
    out = []
    for m in messages:
        if not isinstance(m, Mapping):
            m = {"role": "?", "content": json.dumps(m, ensure_ascii=False)}
        turn: dict[str, Any] = {"role": str(m.get("role", "?")), "content": table.ref(_text(m))}
        turn.update({k: m[k] for k in _TURN_KEYS if m.get(k) not in (None, [], "")})
        out.append(table.turn(turn))
    return out


def _text(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if content is None or isinstance(content, str):
        return content or ""
    return json.dumps(content, ensure_ascii=False)  # structured content parts, shown as JSON


def _prompt(prompt: Any, table: StringTable) -> Any:
    if isinstance(prompt, list):
        return _turns(prompt, table)
    return table.ref(None if prompt is None else str(prompt))


def sample_entry(
    line: Mapping[str, Any], table: StringTable, metric: str, rated: bool = False
) -> dict[str, Any]:
    """Return the browser entry of one ``samples.jsonl`` line (see the module docstring)."""
    metrics = line.get("metrics") or {}
    entry: dict[str, Any] = {
        "id": str(line.get("id", "")),
        "ep": line.get("epoch", 0),
        "st": sample_flags(line, metric, rated),
        "p": _prompt(line.get("prompt"), table),
        "c": table.ref(line.get("completion")),
        "a": line.get("answer"),
        "g": line.get("target"),
        "s": sample_value(line, metric),
        "r": line.get("reason"),
        "fr": None if line.get("finish_reason") == "stop" else line.get("finish_reason"),
        "err": line.get("error"),
        "d": line.get("details"),
        "md": line.get("metadata"),
        "m": metrics if len(metrics) > 1 else None,
        "x": _turns(line.get("transcript") or [], table),
    }
    return {k: v for k, v in entry.items() if v not in (None, [], {}, "")}


def samples_browser(
    lines: Sequence[Mapping[str, Any]], table: StringTable, metric: str, rated: bool = False
) -> dict[str, Any]:
    """Return the browser of a run's samples, in file order (dataset order for complete runs).

    ``rated``: the run's scores are judge ratings (1-10), filtered as rated or not.
    """
    items = [sample_entry(ln, table, metric, rated) for ln in lines]
    filters = [list(f) for f in (RATED_FILTERS if rated else FILTERS)]
    return {"kind": "samples", "filters": filters, "items": items}


def flips_browser(
    flips: Sequence[Flip],
    base_lines: Sequence[Mapping[str, Any]],
    cand_lines: Sequence[Mapping[str, Any]],
    table: StringTable,
    metric: str,
) -> dict[str, Any]:
    """Return the browser of a comparison's flipped items, lost ones first, both sides whole."""
    base = {(str(ln["id"]), int(ln["epoch"])): ln for ln in base_lines}
    cand = {(str(ln["id"]), int(ln["epoch"])): ln for ln in cand_lines}
    items = [
        {
            "id": f.id,
            "ep": f.epoch,
            "st": ["lost" if f.lost else "gained"],
            "g": f.gold,
            "b": sample_entry(base[(f.id, f.epoch)], table, metric),
            "c": sample_entry(cand[(f.id, f.epoch)], table, metric),
        }
        for f in sorted(flips, key=lambda f: not f.lost)  # stable: dataset order within each
    ]
    return {"kind": "flips", "filters": [["lost", "lost"], ["gained", "gained"]], "items": items}


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities replaced by ``None`` (JSON has no spelling for them)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def script_json(document: Any) -> str:
    r"""Serialise ``document`` for a ``<script type="application/json">`` element.

    ``<``, ``>`` and ``&`` become JSON escapes, so no text in it can close the element
    (``</script>``) or open a comment; U+2028/U+2029 are escaped too. NaN becomes ``null`` and
    lone surrogates (which UTF-8 cannot encode) become U+FFFD.

    Example:
        >>> script_json({"c": "</script><b>", "s": float("nan")})
        '{"c":"\\u003c/script\\u003e\\u003cb\\u003e","s":null}'
    """
    try:
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:  # a NaN somewhere: rare, so the copy is only made then
        text = json.dumps(_finite(document), ensure_ascii=False, separators=(",", ":"))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escape)
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return _LONE_SURROGATE.sub("\ufffd", text)


def embedded(
    parts: Mapping[str, Any], compress_over: int = COMPRESS_OVER
) -> dict[str, tuple[str, str]]:
    """Return ``{element id: (encoding, text)}`` for data elements holding ``parts``.

    Each part is serialised by :func:`script_json`; when they come to more than
    ``compress_over`` bytes together, each is gzipped and written in base64 (encoding
    ``gzip+base64``, else ``json``). A full MMLU run with reasoning completions is ~40 MB of
    JSON and a third of that gzipped; the page's script inflates it with the browser's
    ``DecompressionStream``. Base64 has no ``<`` or ``&``, so it is as safe inside a
    ``<script>`` element as the escaped JSON.
    """
    texts = {name: script_json(part) for name, part in parts.items()}
    if sum(len(t) for t in texts.values()) <= compress_over:
        return {name: ("json", text) for name, text in texts.items()}
    return {
        name: (
            "gzip+base64",
            base64.b64encode(gzip.compress(text.encode("utf-8"), 6, mtime=0)).decode("ascii"),
        )
        for name, text in texts.items()
    }
