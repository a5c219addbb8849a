"""The final rewrite of samples.jsonl streams: same file and same metrics as reading it whole."""

from __future__ import annotations

import random

import pytest

from evalkit.errors import ResultsError
from evalkit.records.io import (
    SAMPLES_FILE,
    RunRecord,
    SamplesWriter,
    read_samples,
    write_samples_sorted,
)
from evalkit.records.ordering import LineRef, rewrite_sorted
from evalkit.records.summary import finalize_ordered, finalize_record


def line(i: int, epoch: int = 0, error: str | None = None, subject: str = "a") -> dict:
    score = float(i % 3 == 0)
    meta = {"subject": subject, "circular_of": f"q{i // 2}", "circular_n": 2}
    return {"id": f"s{i}", "index": i // 2 * 2, "epoch": epoch, "error": error,
            "prompt": "p" * 50, "completion": None if error else f"answer {i}", "target": "t",
            "finish_reason": "length" if i % 7 == 0 else "stop", "answer": None if i % 5 == 0 else "A",
            "reason": "no_answer_found" if i % 5 == 0 else None, "score": None if error else score,
            "metrics": None if error else {"accuracy": score}, "weights": None, "metadata": meta,
            "usage": {"input_tokens": i, "output_tokens": 2}, "attempts": 1}  # fmt: skip


def record() -> RunRecord:
    return RunRecord(
        run_id="r", status="running", created_at="2026-01-01T00:00:00Z",
        task={"name": "t", "label": "t", "version": "1", "scorer": "exact",
              "primary_metric": "accuracy", "group_by": ["subject"], "params": {}},  # type: ignore[typeddict-item]
        dataset={}, model={}, generation={}, config={"seed": 3}, provenance={},
    )  # fmt: skip


def write(run_dir, lines, own: bool) -> list[LineRef]:
    writer = SamplesWriter(run_dir / SAMPLES_FILE)
    refs = []
    for ln in lines:
        start = writer.size
        writer.append(ln)
        refs.append(LineRef(ln["index"], ln["epoch"], ln["id"], start, writer.size - start, own))
    writer.close()
    return refs


def test_earlier_and_own_lines_come_out_sorted_with_the_last_line_of_a_sample_winning(tmp_path):
    rng = random.Random(4)
    earlier = [
        line(i, error="HTTP 500" if i % 4 == 1 else None, subject="ab"[i % 2]) for i in range(40)
    ]
    rng.shuffle(earlier)
    redone = [line(i, subject="ab"[i % 2]) for i in range(40) if i % 4 == 1]
    fresh = [line(i, subject="ab"[i % 2]) for i in range(40, 90)]
    own = redone + fresh
    rng.shuffle(own)
    expected_dir = tmp_path / "whole"
    expected_dir.mkdir()
    merged = {(ln["id"], ln["epoch"]): ln for ln in [*earlier, *own]}
    write_samples_sorted(expected_dir, merged.values())
    expected = finalize_record(record(), list(merged.values()), 1.0)

    write(tmp_path, earlier, own=False)
    refs = write(tmp_path, own, own=True)
    streamed = finalize_ordered(record(), rewrite_sorted(tmp_path, refs), 1.0)

    assert (tmp_path / SAMPLES_FILE).read_bytes() == (expected_dir / SAMPLES_FILE).read_bytes()
    for field in ("metrics", "groups", "macro", "counts", "usage"):
        assert getattr(streamed, field) == getattr(expected, field)
    assert streamed.counts["samples"] == 90 and streamed.counts["errors"] == 0
    assert "circular" in streamed.metrics


def test_a_corrupt_line_fails_and_a_torn_last_line_is_dropped(tmp_path):
    path = tmp_path / SAMPLES_FILE
    write(tmp_path, [line(2), line(0)], own=False)
    with path.open("ab") as fh:
        fh.write(b'{"id": "s9", "ind')  # a crash's torn write
    assert [ln["id"] for ln in rewrite_sorted(tmp_path)] == ["s0", "s2"]
    assert [ln["id"] for ln in read_samples(tmp_path)] == ["s0", "s2"]
    with path.open("ab") as fh:
        fh.write(b"not json\n")
    with pytest.raises(ResultsError, match=r"samples.jsonl:3: corrupt sample line \(not JSON\)"):
        list(rewrite_sorted(tmp_path))


def test_a_consumer_that_stops_early_leaves_the_file_as_it_was(tmp_path):
    write(tmp_path, [line(4), line(2), line(0)], own=False)
    before = (tmp_path / SAMPLES_FILE).read_bytes()
    lines = rewrite_sorted(tmp_path)
    assert next(lines)["id"] == "s0"
    lines.close()
    assert (tmp_path / SAMPLES_FILE).read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [SAMPLES_FILE]  # no temp file left
