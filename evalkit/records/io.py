"""The run record: schema, provenance, and crash-safe reading and writing of run folders.

A run folder ``results/runs/<run_id>/`` holds:

* ``run.json``: the resolved configuration, provenance, data fingerprint, metrics and counts.
  Written atomically (temp file + rename), first with ``status: running``, then ``complete``.
* ``samples.jsonl``: one line per sample, appended as samples finish (a torn last line from a
  crash is detected and dropped on read), rewritten in dataset order when the run completes.

Files are deterministic where it matters: sorted keys, fixed rounding in metrics.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from evalkit.errors import ResultsError
from evalkit.records.lines import (  # sample lines have their own module; names kept here
    REQUIRED_SAMPLE_KEYS as REQUIRED_SAMPLE_KEYS,
)
from evalkit.records.lines import encode_line, parse_line
from evalkit.records.lines import sample_line as sample_line
from evalkit.records.provenance import provenance as provenance
from evalkit.records.schema import (
    Counts,
    DatasetSection,
    ModelSection,
    SampleLine,
    TaskSection,
)
from evalkit.redaction import escape_surrogates

if TYPE_CHECKING:
    from evalkit.backends import Backend
    from evalkit.config import RunConfig

RUN_FILE = "run.json"
SAMPLES_FILE = "samples.jsonl"
SCHEMA_VERSION = 1


class RunRecord(BaseModel):
    """The schema of ``run.json`` (validated when read)."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = SCHEMA_VERSION
    run_id: str
    status: Literal["running", "complete", "failed"]
    created_at: str
    finished_at: str | None = None
    task: TaskSection
    """name, variant, label, version, scorer, primary_metric, params."""
    dataset: DatasetSection
    """source, revision, split, sha256, rows, selected ids hash, few-shot source."""
    model: ModelSection
    """spec and backend identity (never credentials)."""
    generation: dict[str, Any]
    config: dict[str, Any]
    provenance: dict[str, Any]
    metrics: dict[str, Any] = {}
    groups: dict[str, Any] = {}
    """Per-group metrics: ``{group_by field: {value: {metric: summary}}}``."""
    macro: dict[str, Any] = {}
    """Macro averages over groups: ``{group_by field: {metric: mean of group means}}``."""
    counts: Counts | dict[str, int] = {}
    usage: dict[str, int] = {}
    timings: dict[str, float] = {}
    redacted: bool = False
    """A published copy: text fields of ``samples.jsonl`` are hashes (see publish.py)."""
    judge: dict[str, Any] | None = None
    """The judge model of a judge-scored run (spec, backend identity, generation params);
    absent from the file of runs without a judge."""

    def model_name(self) -> str:
        """The model as tables and the leaderboard show it (``--model-name``, else the spec)."""
        return str(self.model.get("name") or self.model.get("spec", ""))

    def primary(self) -> dict[str, Any] | None:
        """Return the summary of the task's primary metric, if computed."""
        value = self.metrics.get(self.task.get("primary_metric", ""))
        return value if isinstance(value, dict) else None


def utc_now() -> str:
    """Return the current UTC time as an ISO 8601 string with seconds."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def recorded_config(config: RunConfig) -> dict[str, Any]:
    """Return the config as run.json records it: base URLs without credentials or query.

    Runs without a judge record no judge keys, runs without a baseline no ``baseline_run``,
    and runs on the local executor no executor keys (their records keep the form they always had).
    """
    from evalkit.backends.urls import public_url

    dumped = config.model_dump(mode="json")
    for key, unset in (("executor", "local"), ("executor_args", {}), ("ray_address", None)):
        if dumped[key] == unset:
            dumped.pop(key)
    if config.baseline_run is None:
        dumped.pop("baseline_run")
    if config.base_url is not None:
        dumped["base_url"] = public_url(config.base_url)
    if config.judge is None:
        dumped.pop("judge")
        dumped.pop("judge_args")
    elif "base_url" in config.judge_args:
        dumped["judge_args"]["base_url"] = public_url(config.judge_args["base_url"])
    return dumped


def recorded_judge(config: RunConfig, backend: Backend) -> dict[str, Any]:
    """The judge as run.json records it: spec and backend identity (never credentials)."""
    return {"spec": config.judge, **backend.identity.to_dict()}


def dumps(obj: Any) -> str:
    """Serialise for evalkit's files: sorted keys, UTF-8 kept (lone surrogates escaped), stable."""
    return escape_surrogates(json.dumps(obj, sort_keys=True, ensure_ascii=False, indent=2)) + "\n"


def _write_through(path: Path, text: str) -> None:
    """Write into what ``path`` names (a link, device or pipe), in place."""
    try:
        with path.open("w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise ResultsError(f"cannot write {path}: {exc.strerror or exc}") from None


@lru_cache(maxsize=1)
def _umask() -> int:
    # Read once: os.umask can only be read by setting it, which is not thread-safe.
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so readers see the old or the new file, never a mix.

    A symbolic link (``/dev/stdout``) or a path that is not a regular file (a device, a pipe) is
    written through: renaming a temp file over it would replace the link or device node itself.
    """
    if path.is_symlink() or (path.exists() and not path.is_file()):
        _write_through(path, text)
        return
    with atomic_writer(path) as fh:
        fh.write(text.encode("utf-8"))


@contextlib.contextmanager
def atomic_writer(path: Path) -> Iterator[BinaryIO]:
    """A binary file that replaces ``path`` when the block ends, and is discarded if it fails.

    Raises:
        ResultsError: the file cannot be written (e.g. the disk is full).
    """
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise ResultsError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; results are ordinary files
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        # A full disk must not leave a half-written temp file next to the results.
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise ResultsError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def discard_temp_files(run_dir: Path) -> None:
    """Delete the temp files of :func:`atomic_write` calls a crash cut short in ``run_dir``."""
    for name in (RUN_FILE, SAMPLES_FILE):
        for tmp in run_dir.glob(f".{name}.*.tmp"):
            with contextlib.suppress(OSError):
                tmp.unlink()


def _drop_torn_tail(path: Path) -> None:
    """Cut an unterminated last line (a write interrupted by a crash) before appending.

    The file is read backwards from its end to the last newline, not whole: a resumed run's
    file may hold 100,000s of lines.
    """
    if not path.is_file():
        return
    with path.open("r+b") as fh:
        end = pos = fh.seek(0, os.SEEK_END)
        while pos > 0:
            start = max(0, pos - 65536)
            fh.seek(start)
            cut = fh.read(pos - start).rfind(b"\n")
            if cut >= 0:
                pos = start + cut + 1
                break
            pos = start
        if pos < end:
            fh.truncate(pos)


class SamplesWriter:
    """Appends sample lines to ``samples.jsonl``, unbuffered: a line is on disk or it failed.

    Nothing is held back in a buffer, so a failed write (disk full) is reported once by
    :meth:`append` and is not retried by :meth:`close`.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            _drop_torn_tail(path)
            self._fh = path.open("ab", buffering=0)
            self.size = os.fstat(self._fh.fileno()).st_size
        except OSError as exc:
            raise ResultsError(f"cannot write {path}: {exc.strerror or exc}") from None

    def append(self, line: Mapping[str, Any]) -> None:
        """Append one record (a short write is continued; a failed one raises ResultsError).

        :attr:`size` (the file's length) grows by the line's length.
        """
        encoded = encode_line(line).encode("utf-8")
        data = memoryview(encoded)
        try:
            while data:
                data = data[self._fh.write(data) :]
        except OSError as exc:
            raise ResultsError(f"cannot write {self.path}: {exc.strerror or exc}") from None
        self.size += len(encoded)

    def close(self) -> None:
        """Close the file."""
        self._fh.close()


def read_samples(run_dir: Path, complete: bool = False) -> list[SampleLine]:
    """Read ``samples.jsonl``, dropping a torn (unterminated or unparsable) last line.

    Args:
        run_dir: The run folder.
        complete: The run is complete (its file was rewritten whole at the end), so a torn
            last line is corruption too, not a crash's interrupted write.

    Raises:
        ResultsError: the file cannot be read, or a line (before the last, unless ``complete``)
            is not a sample record.
    """
    return [record for _, _, record in scan_lines(run_dir / SAMPLES_FILE, complete=complete)]


def scan_lines(
    path: Path, end: int | None = None, complete: bool = False
) -> Iterator[tuple[int, int, SampleLine]]:
    """Each sample record in ``path`` (up to byte ``end``) with its offset and length, in order.

    An unterminated last line that does not parse is a crash's torn write and is skipped,
    unless ``complete`` (see :func:`read_samples`).

    Raises:
        ResultsError: the file cannot be read, or a line before the last is not a sample record.
    """
    offset = 0
    try:
        with path.open("rb") as fh:
            for number, raw in enumerate(fh, start=1):
                if end is not None and offset >= end:
                    return
                start, offset = offset, offset + len(raw)
                if not raw.strip():
                    continue
                record, why = parse_line(raw)
                if record is None:
                    if complete or raw.endswith(b"\n"):  # only an unterminated last line is torn
                        raise ResultsError(
                            f"{path}:{number}: corrupt sample line ({why}); delete that line, "
                            "then 'evalkit run ... --resume' the run to redo its sample"
                        )
                    continue
                yield start, len(raw), record
    except OSError as exc:
        raise ResultsError(f"cannot read {path}: {exc.strerror or exc}") from None


def write_samples_sorted(run_dir: Path, records: Iterable[SampleLine]) -> None:
    """Rewrite ``samples.jsonl`` in dataset order (atomically)."""
    # Rotated copies of a circular-evaluation question share an index: the id breaks the tie.
    ordered = sorted(records, key=lambda r: (r["index"], r["epoch"], str(r["id"])))
    text = "".join(encode_line(r) for r in ordered)
    atomic_write(run_dir / SAMPLES_FILE, text)


def write_record(run_dir: Path, record: RunRecord) -> None:
    """Write ``run.json`` atomically."""
    exclude = {"judge"} if record.judge is None else set()
    atomic_write(run_dir / RUN_FILE, dumps(record.model_dump(mode="json", exclude=exclude)))


def read_record(run_dir: Path) -> RunRecord:
    """Read and validate ``run.json`` of a run folder."""
    path = run_dir / RUN_FILE
    if not path.is_file():
        raise ResultsError(f"'{run_dir}' is not a run folder (no {RUN_FILE})")
    try:
        return RunRecord.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise ResultsError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        why = f"{loc}: {first['msg']}" if loc else first["msg"]
        raise ResultsError(f"{path}: not a valid run record ({why})") from None


def new_run_dir(output_dir: Path, run_id: str) -> Path:
    """Create the folder of a new run, never reusing one (``-2``, ``-3`` ... on a clash)."""
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ResultsError(f"cannot create '{output_dir}': {exc.strerror or exc}") from None
    for attempt in range(1, 1000):
        path = output_dir / (run_id if attempt == 1 else f"{run_id}-{attempt}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
        except OSError as exc:
            raise ResultsError(f"cannot create '{path}': {exc.strerror or exc}") from None
    raise ResultsError(f"too many runs named {run_id} in {output_dir}")
