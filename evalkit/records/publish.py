"""Publishing a run: a copy safe to commit, with scores, ids and hashes but no benchmark text.

Benchmark questions, reference answers and recorded model outputs are often under licenses that
forbid redistribution, and they leak test data into training sets. A published run keeps
``run.json`` (configuration, provenance, metrics; marked ``redacted``) and rewrites
``samples.jsonl`` so that every text field becomes ``sha256:<16 hex>`` of its content: ids,
scores, metrics, weights, reasons and the breakdown fields stay, so leaderboards, ``compare``
and the CI gate work on it, and a hash still tells whether two runs saw the same prompt or gave
the same answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evalkit.errors import ResultsError
from evalkit.records.io import SAMPLES_FILE, atomic_write, read_record, read_samples, write_record
from evalkit.records.lines import encode_line
from evalkit.records.schema import SampleLine
from evalkit.task.data import canonical_json

TEXT_FIELDS = ("prompt", "completion", "target", "answer", "details", "transcript")
"""Fields of a sample line replaced by their hash (a multi-turn transcript holds later turns of
the benchmark's own text, e.g. MT-Bench's second questions)."""


def text_hash(value: Any) -> str:
    """Return ``sha256:<first 16 hex>`` of a value's canonical JSON (lone surrogates kept)."""
    canonical = canonical_json(value).encode("utf-8", "surrogatepass")
    return "sha256:" + hashlib.sha256(canonical).hexdigest()[:16]


def redact_line(line: SampleLine, keep_metadata: Sequence[str]) -> dict[str, Any]:
    """Return ``line`` with its text fields hashed and metadata reduced to ``keep_metadata``.

    >>> redact_line({"id": "a", "completion": "18", "score": 1.0, "metadata": {}}, [])["completion"]
    'sha256:0234a350f4d56ae4'
    """
    out: dict[str, Any] = dict(line)
    for field in TEXT_FIELDS:
        if out.get(field) is not None:
            out[field] = text_hash(out[field])
    metadata = line.get("metadata") or {}
    out["metadata"] = {k: metadata[k] for k in keep_metadata if k in metadata}
    return out


def publish(run_dir: Path, destination: Path) -> Path:
    """Write a redacted copy of ``run_dir`` into ``destination/<run id>`` and return its path.

    Raises:
        ResultsError: the run is unreadable or not complete, or the copy exists already.
    """
    record = read_record(run_dir)
    if record.status != "complete":
        raise ResultsError(
            f"run {record.run_id} is {record.status}; only complete runs can be published"
        )
    keep = [str(k) for k in record.task.get("group_by", [])]
    lines = [redact_line(line, keep) for line in read_samples(run_dir)]
    target = destination / run_dir.name
    try:
        target.mkdir(parents=True)
    except FileExistsError:
        raise ResultsError(f"'{target}' already exists; remove it to publish again") from None
    except OSError as exc:
        raise ResultsError(f"cannot create '{target}': {exc.strerror or exc}") from None
    write_record(target, record.model_copy(update={"redacted": True}))
    atomic_write(target / SAMPLES_FILE, "".join(encode_line(ln) for ln in lines))
    return target
