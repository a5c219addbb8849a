"""The code_tests scorer: check programs, error kinds, modes and parameters (real sandbox)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from evalkit.errors import ConfigError, SandboxUnavailable
from evalkit.sandbox import ExecResult, Sandbox
from evalkit.scoring import SCORERS, ResourceScorer, ScoringResources
from evalkit.scoring.code import (
    CodeTestsScorer,
    check_program,
    continuation_program,
    error_kind,
    make_code_tests_scorer,
)
from evalkit.types import Completion, Sample, Score

PROBLEMS = Path(__file__).resolve().parents[2] / "fixtures/data/code/problems.jsonl"
DIGIT_ROOT = next(
    r for r in map(json.loads, PROBLEMS.read_text().splitlines()) if r["id"] == "digit_root"
)


def sample(row: dict[str, Any] = DIGIT_ROOT) -> Sample:
    return Sample(row["id"], 0, row, row["entry_point"])


def score(text: str, **params: Any) -> Score:
    try:
        Sandbox.check_available()
    except SandboxUnavailable as exc:
        pytest.skip(str(exc))
    scorer = make_code_tests_scorer(params)
    return asyncio.run(
        scorer.ascore(sample(), Completion(text), (), ScoringResources(sandbox=Sandbox(slots=1)))
    )


def result(stdout: str = "", stderr: str = "", code: int | None = 0, **kw: Any) -> ExecResult:
    return ExecResult(
        stdout, stderr, code, kw.get("timed_out", False), kw.get("killed"), 0.1, False
    )


def test_registered_as_a_resource_scorer_needing_the_sandbox() -> None:
    scorer = SCORERS.get("code_tests")({})
    assert isinstance(scorer, ResourceScorer) and scorer.needs == frozenset({"sandbox"})


def test_check_program_appends_tests_check_and_a_marker() -> None:
    source, marker = check_program(
        "def f():\n    return 1\n", "def check(c):\n    assert c() == 1\n", "f"
    )
    assert source.endswith(f"check(f)\nprint({marker!r})\n")
    assert marker.startswith("evalkit-check-passed-") and marker not in "def f"
    assert check_program("def f(): return 2", "def check(c): pass", "f")[1] != marker


@pytest.mark.parametrize(
    ("run", "kind"),
    [
        (result("M\n"), None),
        (result("other output\n"), "exited_early"),
        (result("", code=None, timed_out=True, killed="timeout"), "timeout"),
        (result("", code=152, killed="cpu"), "timeout"),
        (result("", "Traceback\nMemoryError\n", 1, killed="memory"), "memory"),
        (result("", '  File "x"\n    print x\nSyntaxError: Missing parentheses\n', 1), "syntax"),
        (result("", "IndentationError: unexpected indent\n", 1), "syntax"),
        (result("", "Traceback\n    assert candidate(0) == 0\nAssertionError\n", 1), "assertion"),
        (result("", "Traceback\nNameError: name 'f' is not defined\n", 1), "NameError"),
        (result("", "Traceback\nnumpy.linalg.LinAlgError: Singular matrix\n", 1), "LinAlgError"),
        (result("", "", 137), "exit_137"),
    ],
    ids=[
        "pass",
        "no-marker",
        "wall",
        "cpu",
        "memory",
        "syntax",
        "indent",
        "assert",
        "name",
        "dotted",
        "signal",
    ],
)
def test_error_kinds(run: ExecResult, kind: str | None) -> None:
    assert error_kind(run, "M") == kind


def test_continuation_is_prompt_plus_completion_cut_at_stops() -> None:
    got = continuation_program("def f():\n", "    return 1\n\ndef g():\n    pass\n")
    assert (got.program, got.how) == ("def f():\n    return 1\n", "continuation")
    assert continuation_program("p", "  x\nprint(1)").program == "p  x"


def test_continuation_mode_passes_a_right_body() -> None:
    body = "    while n >= 10:\n        n = sum(map(int, str(n)))\n    return n\n\nprint(digit_root(5))\n"
    got = score(body, code_from="continuation")
    assert (got.value, got.reason, got.details["how"]) == (1.0, None, "continuation")
    assert got.metrics == {"pass@1": 1.0}


@pytest.mark.parametrize(
    "body",
    ["    import os\n    os._exit(0)\n", "    import sys\n    sys.exit(0)\n"],
    ids=["os-exit", "sys-exit"],
)
def test_leaving_before_the_tests_finish_fails(body: str) -> None:
    got = score(body, code_from="continuation")
    assert (got.value, got.reason) == (0.0, "exited_early")


def test_no_code_is_not_run() -> None:
    got = score("I would loop over the digits.")
    assert (got.value, got.reason, got.answer) == (0.0, "no_code", None)
    assert got.details == {"error_kind": "no_code", "how": "none"}


def test_details_record_the_run() -> None:
    got = score("```python\ndef digit_root(n):\n    return n\n```")
    assert got.reason == "assertion" and got.details["exit_code"] == 1
    assert "AssertionError" in got.details["stderr_tail"] and got.details["how"] == "fenced"


def test_without_a_sandbox_it_refuses() -> None:
    scorer = CodeTestsScorer()
    with pytest.raises(SandboxUnavailable, match="no sandbox"):
        asyncio.run(scorer.ascore(sample(), Completion("x"), (), ScoringResources()))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"code_from": "prose"}, "code_from must be"),
        ({"timeout_s": 0}, "positive"),
        ({"timeout_s": float("inf")}, "positive"),
    ],
)
def test_bad_parameters_are_config_errors(params: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_code_tests_scorer(params)
