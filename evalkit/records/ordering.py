"""``samples.jsonl`` put in dataset order without holding its lines in memory.

A run appends lines in completion order, and a resumed run appends its redone samples after the
old lines. When the run ends the file is rewritten in dataset order — ``(index, epoch, id)``,
the last line of each ``(id, epoch)`` winning — from an index of byte offsets: one pass reads
and checks every line and keeps only its sort key, offset and length; the rewrite reads each
line again at its offset (from the page cache), hands it to the caller (the summary) and writes
it out, to a temp file that replaces the old one when every line is written. Memory holds the
index (about 200 bytes a sample) and one line at a time.

Lines are checked as :func:`~evalkit.records.io.read_samples` checks them (a corrupt line
before the last is an error; an unterminated last line that does not parse is a crash's torn
write and is dropped) and re-encoded as :func:`~evalkit.records.io.write_samples_sorted` writes
them, so the file and the metrics are byte for byte what reading every line at once gave.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from evalkit.errors import ResultsError
from evalkit.records.io import SAMPLES_FILE, atomic_writer
from evalkit.records.lines import encode_line, parse_line
from evalkit.records.schema import SampleLine


class _Entry(NamedTuple):
    sample_index: int
    epoch: int
    id: str
    offset: int
    length: int


def _corrupt(path: Path, number: int, why: str) -> ResultsError:
    return ResultsError(
        f"{path}:{number}: corrupt sample line ({why}); delete that line, then "
        "'evalkit run ... --resume' the run to redo its sample"
    )


def index_lines(path: Path) -> list[_Entry]:
    """Every sample's last line in ``path``: its sort key, offset and length, in dataset order.

    Raises:
        ResultsError: the file cannot be read, or a line before the last is not a sample record.
    """
    last: dict[tuple[str, int], _Entry] = {}
    offset = 0
    try:
        with path.open("rb") as fh:
            for number, raw in enumerate(fh, start=1):
                start, offset = offset, offset + len(raw)
                if not raw.strip():
                    continue
                record, why = parse_line(raw)
                if record is None:
                    if raw.endswith(b"\n"):  # only an unterminated last line can be torn
                        raise _corrupt(path, number, why)
                    continue
                key = (str(record["id"]), int(record["epoch"]))
                last[key] = _Entry(int(record["index"]), key[1], key[0], start, len(raw))
    except OSError as exc:
        raise ResultsError(f"cannot read {path}: {exc.strerror or exc}") from None
    return sorted(last.values(), key=lambda e: (e.sample_index, e.epoch, e.id))


def rewrite_sorted(run_dir: Path) -> Iterator[SampleLine]:
    """Yield ``samples.jsonl``'s lines in dataset order while rewriting the file in that order.

    The new file replaces the old one once the last line has been yielded; a consumer that
    stops early leaves the old file in place.

    Raises:
        ResultsError: the file cannot be read or written, or holds a corrupt line.
    """
    path = run_dir / SAMPLES_FILE
    entries = index_lines(path)
    try:
        source = path.open("rb")
    except OSError as exc:
        raise ResultsError(f"cannot read {path}: {exc.strerror or exc}") from None
    with source, atomic_writer(path) as out:
        for entry in entries:
            source.seek(entry.offset)
            record, _ = parse_line(source.read(entry.length))
            if record is None:  # the file changed under us since it was indexed
                raise ResultsError(f"{path}: changed while it was being sorted")
            yield record
            out.write(encode_line(record).encode("utf-8"))
