"""``samples.jsonl`` put in dataset order without holding its lines in memory.

A run appends lines in completion order, and a resumed run appends its redone samples after the
old lines. When the run ends the file is rewritten in dataset order — ``(index, epoch, id)``,
the last line of each ``(id, epoch)`` winning — from an index of byte offsets: a
:class:`LineRef` (sort key, offset, length) per line, noted by the writer as it appends
(:class:`~evalkit.records.lifecycle.RunFolder`) or, for the lines an earlier session wrote,
found by one pass that reads and checks them. The rewrite reads each line again at its offset
(from the page cache), hands it to the caller (the summary) and writes it out, to a temp file
that replaces the old one when every line is written. Memory holds the index (about 200 bytes
a sample) and one line at a time.

Earlier sessions' lines are checked as :func:`~evalkit.records.io.read_samples` checks them (a
corrupt line before the last is an error; an unterminated last line that does not parse is a
crash's torn write and is dropped) and re-encoded as
:func:`~evalkit.records.io.write_samples_sorted` writes them; this session's lines were encoded
the same way when written and are copied as they are. The file and the metrics are byte for
byte what reading every line at once gave.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from evalkit.errors import ResultsError
from evalkit.records.io import SAMPLES_FILE, atomic_writer, scan_lines
from evalkit.records.lines import encode_line, parse_line
from evalkit.records.schema import SampleLine


class LineRef(NamedTuple):
    """Where one sample's line is in ``samples.jsonl``, and its place in dataset order."""

    sample_index: int
    epoch: int
    id: str
    offset: int
    length: int
    own: bool = False
    """Written by this process with ``encode_line`` (copied as is, not re-checked)."""


def index_lines(path: Path, end: int | None = None) -> list[LineRef]:
    """Where every sample line in ``path`` (up to byte ``end``) is, in file order."""
    return [
        LineRef(int(r["index"]), int(r["epoch"]), str(r["id"]), start, length)
        for start, length, r in scan_lines(path, end)
    ]


def outcomes(run_dir: Path) -> list[dict[str, Any]]:
    """Each line's id, epoch and error, in file order: what resuming needs of an earlier run."""
    return [
        {"id": r["id"], "epoch": r["epoch"], "error": r["error"]}
        for _, _, r in scan_lines(run_dir / SAMPLES_FILE)
    ]


def dataset_order(refs: Sequence[LineRef]) -> list[LineRef]:
    """The last line of each ``(id, epoch)`` (refs in file order), sorted into dataset order."""
    last = {(ref.id, ref.epoch): ref for ref in refs}
    return sorted(last.values(), key=lambda e: (e.sample_index, e.epoch, e.id))


def rewrite_sorted(run_dir: Path, written: Sequence[LineRef] = ()) -> Iterator[SampleLine]:
    """Yield ``samples.jsonl``'s lines in dataset order while rewriting the file in that order.

    ``written`` are the lines this process appended (in order, the last lines of the file);
    the lines before them are read to index them. The new file replaces the old one once the
    last line has been yielded; a consumer that stops early leaves the old file in place.

    Raises:
        ResultsError: the file cannot be read or written, or holds a corrupt line.
    """
    path = run_dir / SAMPLES_FILE
    earlier = index_lines(path, written[0].offset if written else None)
    entries = dataset_order([*earlier, *written])
    try:
        source = path.open("rb")
    except OSError as exc:
        raise ResultsError(f"cannot read {path}: {exc.strerror or exc}") from None
    with source, atomic_writer(path) as out:
        for entry in entries:
            source.seek(entry.offset)
            raw = source.read(entry.length)
            if entry.own:
                yield json.loads(raw)
                out.write(raw)
                continue
            record, _ = parse_line(raw)
            if record is None:  # the file changed under us since it was indexed
                raise ResultsError(f"{path}: changed while it was being sorted")
            yield record
            out.write(encode_line(record).encode("utf-8"))
