"""Publishing a run: text fields hashed, and the copy written like any samples.jsonl."""

from __future__ import annotations

import json
from pathlib import Path

from support.synthetic_runs import sample_lines, write_run

from evalkit.records.io import SAMPLES_FILE, read_samples
from evalkit.records.publish import publish


def test_a_lone_surrogate_is_hashed_and_its_line_written(tmp_path: Path) -> None:
    # A model's reply can hold a lone surrogate; the run file escapes it (\ud800) and reading
    # it back gives the same string, which publishing must hash and write, not crash on.
    lines = sample_lines([1.0, 0.0])
    lines[1] |= {"completion": "half a pair: \ud800", "error": None, "reason": "odd \udfff"}
    run_dir = write_run(tmp_path / "runs", "r1", lines)
    published = publish(run_dir, tmp_path / "published")
    raw = (published / SAMPLES_FILE).read_bytes()
    raw.decode("utf-8")  # the copy is valid UTF-8
    got = {ln["id"]: ln for ln in read_samples(published, complete=True)}
    assert got["q0001"]["completion"].startswith("sha256:")
    assert got["q0001"]["reason"] == "odd \udfff"
    assert json.loads(raw.splitlines()[0])["completion"].startswith("sha256:")
