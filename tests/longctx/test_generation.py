"""Generation: seeded and deterministic rows, stable ids, needles where the grid says, bad input."""

from __future__ import annotations

import random
import re

import pytest

from evalkit.errors import ConfigError
from evalkit.longctx.grid import GridSpec, depth_grid, parse_length
from evalkit.longctx.haystack import NoiseHaystack, WordListHaystack, haystack_for
from evalkit.longctx.rows import generate_rows
from evalkit.longctx.subtasks import BUILDERS, niah_multikey, variable_tracking
from evalkit.task.data import fingerprint

ALL = "niah_single,niah_multikey,niah_multivalue,niah_multiquery,variable_tracking,cwe"


def params(**over: object) -> dict[str, object]:
    base: dict[str, object] = {"tasks": ALL.split(","), "lengths": ["1k", "4k"], "depths": 3}
    return {**base, **over}


def test_the_same_parameters_give_the_same_rows_and_fingerprint():
    first, second = generate_rows(params()), generate_rows(params())
    assert first == second
    assert fingerprint(first) == fingerprint(second)


def test_another_seed_gives_other_needles_under_the_same_ids():
    a, b = generate_rows(params()), generate_rows(params(data_seed=7))
    assert [r["id"] for r in a] == [r["id"] for r in b]
    assert all(x["answers"] != y["answers"] for x, y in zip(a, b, strict=True))
    assert fingerprint(a) != fingerprint(b)


def test_ids_are_unique_readable_and_independent_of_other_cells():
    rows = generate_rows(params())
    ids = [r["id"] for r in rows]
    assert len(set(ids)) == len(ids)
    assert "niah_single-4096-d50-0" in ids and "cwe-1024-0" in ids
    # a cell's row does not depend on which other cells are generated
    alone = generate_rows(params(tasks=["niah_single"], lengths=["4k"], depths=3))
    by_id = {r["id"]: r for r in rows}
    assert all(by_id[r["id"]] == r for r in alone)


def test_grid_size_is_subtasks_times_lengths_times_depths_times_samples():
    rows = generate_rows(params(samples_per_cell=2))
    # cwe has no depth dimension: one cell per length
    assert len(rows) == (5 * 2 * 3 + 1 * 2 * 1) * 2


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("1k", 1024),
        ("4K", 4096),
        ("128k", 131072),
        ("200k", 204800),
        ("200000", 200000),
        ("1.5k", 1536),
        ("1m", 1048576),
    ],
)
def test_lengths_parse_with_k_as_1024(text, tokens):
    assert parse_length(text) == tokens


@pytest.mark.parametrize("text", ["", "4kb", "k", "-1k", "100"])
def test_bad_lengths_are_refused(text):
    with pytest.raises(ConfigError):
        parse_length(text)


def test_depths_are_evenly_spaced_from_top_to_bottom():
    assert depth_grid(11) == (0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100)
    assert depth_grid(4) == (0, 33.3, 66.7, 100)
    assert depth_grid(1) == (50,)


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"tasks": ["niah_singel"]}, "Did you mean .niah_single."),
        ({"values": "uuids"}, "unknown value kind"),
        ({"haystack": "essay"}, "unknown haystack"),
        ({"depths": 0}, "depths must be"),
        ({"samples_per_cell": 0}, "samples_per_cell"),
        ({"lengths": []}, "no lengths"),
    ],
)
def test_bad_parameters_are_one_line_errors(over, message):
    with pytest.raises(ConfigError, match=message):
        GridSpec.of(params(**over))


@pytest.mark.parametrize("depth", [0, 30, 100])
def test_the_asked_needle_sits_at_its_depth(depth):
    row = next(
        r
        for r in generate_rows(params(tasks=["niah_single"], depths=11))
        if r["depth"] == depth and r["length"] == 4096
    )
    text = haystack_for(row).text(1000)
    needle = row["needles"][0][1]
    assert row["answers"][0] in needle
    sentences_before = text[: text.index(needle)].count(".")
    assert sentences_before == round(depth / 100 * 1000)


def test_more_units_only_grow_the_haystack_and_keep_every_needle():
    for row in generate_rows(params(lengths=["1k"], depths=2)):
        haystack = haystack_for(row)
        texts = [haystack.text(n) for n in (0, 10, 100, 400)]
        assert [len(t) for t in texts] == sorted(len(t) for t in texts)
        for text in texts:
            assert all(n in text for _, n in row["needles"])


def test_multikey_distractors_use_other_keys_and_the_question_names_the_first():
    problem = niah_multikey(random.Random(3), "uuid", 0.5)
    keys = [re.search(r"for (\S+) is:", n).group(1) for _, n in problem.needles]
    assert len(set(keys)) == len(keys) == 4
    assert f"for {keys[0]} mentioned" in problem.question
    assert re.fullmatch(r"[0-9a-f-]{36}", problem.answers[0])


def test_needle_haystack_never_repeats_an_asked_key():
    row = next(r for r in generate_rows(params(tasks=["niah_single"], haystack="needles")))
    key = re.search(r"for (\S+) is:", row["needles"][0][1]).group(1)
    text = haystack_for(row).text(3000)
    assert text.count(f"for {key} is:") == 1


def test_variable_tracking_chain_is_in_order_after_its_depth():
    problem = variable_tracking(random.Random(5), "number", 0.4)
    depths = [d for d, _ in problem.needles]
    assert depths[0] == 0.4 and depths == sorted(depths)
    first = problem.needles[0][1]
    assert first.startswith(f"VAR {problem.answers[0]} = ")
    for (_, line), (a, b) in zip(
        problem.needles[1:], zip(problem.answers, problem.answers[1:], strict=False), strict=True
    ):
        assert line == f"VAR {b} = VAR {a}."


def test_common_words_appear_more_often_than_all_others():
    common = ["bakotu", "meniso", "ravulo"]
    text = WordListHaystack(common, 6, seed=1).text(50)
    words = [line.split(". ", 1)[1] for line in text.splitlines()]
    counts = {w: words.count(w) for w in set(words)}
    assert all(counts[w] == 6 for w in common)
    assert len(counts) == 53 and all(counts[w] == 3 for w in counts if w not in common)


def test_noise_haystack_is_rulers_five_sentences():
    assert NoiseHaystack(()).text(6) == (
        "The grass is green. The sky is blue. The sun is yellow. Here we go. "
        "There and back again. The grass is green."
    )


def test_every_subtask_has_answers_and_a_question():
    for name, build in BUILDERS.items():
        problem = build(random.Random(0), "number", 0.5)
        assert problem.answers and problem.question.strip(), name
