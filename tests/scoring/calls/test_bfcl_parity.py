"""Parity with BFCL: seeded replies to every single-turn entry get BFCL's own verdict.

The replies (``bfcl_cases``) are acceptable calls built from the possible answers and mistakes
made from them, in native and prompt form, across all ten categories. The reference verdict is
BFCL's decoder, format check and ``ast_checker`` from the installed bfcl-eval package
(``bfcl_reference``). Where BFCL's checker raises (its evaluation would abort), evalkit must give
a wrong verdict with code ``checker_error``.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from bfcl_cases import CALL_KINDS, NATIVE_KINDS, TEXT_EDITS, VALUE_KINDS, build_cases
from bfcl_reference import load_reference, verdict

from evalkit.scoring.calls import BfclScorer
from evalkit.scoring.calls.dataset import CATEGORIES, read_rows


@pytest.fixture(scope="module")
def rows():
    pytest.importorskip("bfcl_eval", reason="pip install --no-deps bfcl-eval==2026.3.23")
    return read_rows()


@pytest.fixture(scope="module")
def cases(rows):
    return build_cases(rows)


def _sample(row):
    from evalkit.types import Sample

    truth = row["ground_truth"]
    return Sample(
        id=row["id"],
        index=0,
        data={"functions": row["function"]},
        target="" if truth is None else json.dumps(truth),
        metadata={"category": row["category"]},
    )


def test_verdicts_are_bfcls_on_every_reply(rows, cases):
    ref = load_reference()
    scorers = {True: BfclScorer("native"), False: BfclScorer("prompt")}
    mismatches, crashes, right = [], 0, 0
    for case in cases:
        row = case.row
        expected = verdict(
            ref, row["category"], row["function"], row["ground_truth"], case.completion, case.native
        )
        score = scorers[case.native].score(_sample(row), case.completion)
        if expected is None:
            crashes += 1
            if score.value != 0.0 or score.reason != "checker_error":
                mismatches.append((case.label, "BFCL raises", score.reason))
        elif (score.value == 1.0) != expected:
            mismatches.append((case.label, expected, score.reason, case.completion))
        right += expected is True
    assert not mismatches, f"{len(mismatches)} verdicts differ, e.g. {mismatches[:5]}"
    assert len(cases) >= 2000
    # Both verdicts are well represented: the replies are neither all right nor all wrong.
    assert 0.2 * len(cases) < right < 0.8 * len(cases)
    assert crashes < len(cases) // 100


def test_replies_cover_every_category_mode_and_kind(rows, cases):
    assert {c.row["category"] for c in cases} == set(CATEGORIES)
    per_category_mode = Counter((c.row["category"], c.native) for c in cases)
    assert all(per_category_mode[(cat, m)] >= 10 for cat in CATEGORIES for m in (True, False))
    kinds = {c.kind for c in cases}
    wanted = {*VALUE_KINDS, *CALL_KINDS, *NATIVE_KINDS, *TEXT_EDITS, "acceptable", "called"}
    assert wanted - kinds == set()
