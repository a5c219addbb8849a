"""Prompt-mode decoding, case by case: what each reply decodes to, and that BFCL decodes it alike.

``decode_cases.jsonl`` holds one reply per line with the calls it decodes to (``calls``, the
repr of BFCL's ``[{name: {arg: value}}]`` form) or the decoder's error code (``error``), and
``bfcl``: ``same`` when BFCL's decoder must agree (the same calls, or a failure), ``differs: why``
for the named differences of tasks/bfcl/README.md, ``skip: why`` where running BFCL's decoder
is unsafe (it would evaluate a huge expression).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bfcl_reference import load_reference

from evalkit.scoring.calls import decode_text

_TABLE = (Path(__file__).parent / "decode_cases.jsonl").read_text(encoding="utf-8")
CASES = [json.loads(line) for line in _TABLE.splitlines()]


def _decoded(reply: str) -> str:
    decoded = decode_text(reply)
    if decoded.error is not None:
        return f"error:{decoded.error}"
    return repr([{c.name: c.arguments} for c in decoded.calls])


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_decoding(case):
    expected = f"error:{case['error']}" if "error" in case else case["calls"]
    assert _decoded(case["reply"]) == expected


@pytest.fixture(scope="module")
def reference():
    return load_reference()


@pytest.mark.parametrize(
    "case", [c for c in CASES if not c["bfcl"].startswith("skip")], ids=lambda c: c["id"]
)
def test_bfcl_decodes_alike(case, reference):
    try:
        theirs = repr(reference.decode_prompt(case["reply"]))
    except Exception:
        theirs = "error"
    mine = _decoded(case["reply"])
    agree = theirs == mine or (theirs == "error" and mine.startswith("error:"))
    assert agree == (case["bfcl"] == "same"), (mine, theirs)


def test_the_table_covers_both_outcomes_and_names_its_differences():
    assert sum("error" in c for c in CASES) >= 20
    assert sum("calls" in c for c in CASES) >= 20
    differs = [c["id"] for c in CASES if c["bfcl"].startswith("differs")]
    readme = (Path(__file__).parents[3] / "tasks" / "bfcl" / "README.md").read_text()
    assert differs and all(d in readme for d in differs)
