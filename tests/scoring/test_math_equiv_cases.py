"""The labelled case table tests/cases/math_equiv.jsonl, run through is_equiv and the pool."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from evalkit.scoring.math.forms import based_verdict, choice_verdict, prose_verdict
from evalkit.scoring.math.normalize import normalize_answer
from evalkit.scoring.math.scorer import MathChecker, is_equiv

CASES_PATH = Path(__file__).resolve().parents[1] / "cases" / "math_equiv.jsonl"
CASES = [json.loads(line) for line in CASES_PATH.read_text(encoding="utf-8").splitlines() if line]

# Every bullet of the checker's brief has its own group of cases.
GROUPS = {
    "frac", "irrational", "bigint", "wrappers", "list", "tuple", "interval", "set", "matrix",
    "equation", "mixed", "base", "choice", "plusminus", "complex", "infinity", "scientific",
    "hedge", "text", "algebra", "functions", "adversarial", "math500", "model",
}  # fmt: skip


def test_table_is_large_balanced_and_well_formed() -> None:
    assert len(CASES) >= 300
    ids = [case["id"] for case in CASES]
    assert len(ids) == len(set(ids))
    for case in CASES:
        assert set(case) == {"id", "gold", "pred", "equal"}
        assert isinstance(case["equal"], bool)
    groups = Counter(case["id"].rsplit("-", 1)[0] for case in CASES)
    assert set(groups) == GROUPS
    labels = Counter(case["equal"] for case in CASES)
    assert labels[True] >= 100 and labels[False] >= 100


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_case(case: dict[str, object]) -> None:
    gold, pred = str(case["gold"]), str(case["pred"])
    assert is_equiv(gold, pred) is case["equal"], f"gold={gold!r} pred={pred!r}"


def _read_by_form(text: str) -> bool:
    normal = normalize_answer(text)
    forms = (choice_verdict, based_verdict, prose_verdict)
    return any(form(normal, normal) is not None for form in forms)


def test_equal_cases_are_symmetric() -> None:
    # Equality is symmetric except where the gold's form decides how the prediction is read
    # (a choice letter, a based numeral, prose): those cases are skipped here.
    checked = 0
    for case in CASES:
        gold, pred = str(case["gold"]), str(case["pred"])
        if case["equal"] and not _read_by_form(gold) and not _read_by_form(pred):
            assert is_equiv(pred, gold), case["id"]
            checked += 1
    assert checked >= 250


def test_pool_gives_the_same_verdicts_in_other_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    # Workers run with a different hash seed than this process: verdicts must not depend on it.
    monkeypatch.setenv("PYTHONHASHSEED", "12345")
    pairs = [(str(case["gold"]), str(case["pred"])) for case in CASES]
    with MathChecker(workers=2) as checker:
        verdicts = checker.check_many(pairs, timeout_s=5.0)
    wrong = [case["id"] for case, got in zip(CASES, verdicts, strict=True) if got != case["equal"]]
    assert wrong == []
