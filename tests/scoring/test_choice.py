"""Multiple-choice extraction and scoring: the case table, the scorer contract, real options, speed."""

from __future__ import annotations

import csv
import doctest
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from evalkit.errors import ConfigError, DataError
from evalkit.scoring import SCORERS
from evalkit.scoring.choice import extract as choice_module
from evalkit.scoring.choice.patterns import run_on_start
from evalkit.scoring.choice.scorer import (
    DEFAULT_LABELS,
    ChoiceExtraction,
    ChoiceScorer,
    extract_choice,
    make_choice_scorer,
)
from evalkit.types import Completion, FinishReason, Sample

CASES_FILE = Path(__file__).resolve().parents[1] / "cases" / "choice_extraction.jsonl"
CASES: list[dict[str, Any]] = [
    json.loads(line) for line in CASES_FILE.read_text(encoding="utf-8").splitlines() if line
]
CITY = ("Lyon", "Paris", "Marseille", "Nice")


def _sample(options: tuple[str, ...] = CITY, target: str = "B", sid: str = "q1") -> Sample:
    return Sample(id=sid, index=0, data={}, target=target, choices=options)


def _score(text: str, finish: FinishReason = "stop", **kw: Any) -> Any:
    return make_choice_scorer({}).score(_sample(**kw), Completion(text=text, finish_reason=finish))


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# --- the case table ----------------------------------------------------------------------------


def test_case_table_is_large_bilingual_and_consistent() -> None:
    ids = [c["id"] for c in CASES]
    assert len(CASES) >= 100
    assert len(set(ids)) == len(ids)
    assert sum(_has_cjk(c["response"]) for c in CASES) >= 30
    assert sum(not _has_cjk(c["response"]) for c in CASES) >= 60
    assert sum(c["answer"] is None for c in CASES) >= 10
    assert sum(c["answer"] is not None and not c["correct"] for c in CASES) >= 5
    assert sum("<think>" in c["response"] or "</think>" in c["response"] for c in CASES) >= 4
    for c in CASES:
        assert c["correct"] == (c["answer"] == c["gold"]), c["id"]
        assert 2 <= len(c["options"]) <= 10, c["id"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_table_extraction(case: dict[str, Any]) -> None:
    labels = DEFAULT_LABELS[: len(case["options"])]
    truncated = case.get("finish_reason") == "length"
    found = extract_choice(case["response"], labels, case["options"], truncated=truncated)
    assert found.letter == case["answer"]
    if found.letter is None:
        assert found.reason in ("no_answer_found", "multiple_answers")
    else:
        assert found.reason is None and found.candidates == (found.letter,)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_table_scoring(case: dict[str, Any]) -> None:
    sample = _sample(tuple(case["options"]), case["gold"], case["id"])
    finish = case.get("finish_reason", "stop")
    score = ChoiceScorer().score(sample, Completion(text=case["response"], finish_reason=finish))
    assert score.value == (1.0 if case["correct"] else 0.0)
    assert score.metrics == {"accuracy": score.value}
    assert score.answer == case["answer"]


def test_docstring_examples_run() -> None:
    result = doctest.testmod(choice_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 9
    assert result.failed == 0


# Every cue alternative once, so that the first-character prefilter of the patterns stays in sync.
_FINAL_FORMS = [
    "Final answer: B", "Correct answer is B", "Right answer: B", "Best answer is B",
    "My answer is B", "answers: B", "Answer to this question is B", "Answer choice is B",
    "The answer would be B", "Correct option: B", "Right choice is B", "Best option is B",
    "Correct letter: B", "Correct response is B", "Final choice: B", "My pick is B",
    "In conclusion: B", "Verdict: (B)", "Final: B", "The ANSWER IS B", "答：B", "答案B",
    "答案应该是B", "答案应为B", "答案为B", "答案选B", "【答案】B", "正确选项为B", "正确答案：B",
    "正确的是B", "正确项是B", "故选B", "因此选B", "所以选择B", "综上所述，选B", "综上，应选B",
    "本题选B", "故答案为B",
]  # fmt: skip
_COMMIT_FORMS = [
    "I'd choose B", "I would pick B", "I will select B", "I'd go with B", "I say B", "I guess B",
    "I think B", "I believe B", "Choose B", "Pick B", "Select B", "Go with B", "It's B",
    "It is B", "It must be B", "It should be B", "It would be B", "It could be B",
    "It might be B", "Must be B", "Should be B", "Would be B", "Could be B", "Might be B",
    "Most likely B", "Likely B", "Probably B", "which is B", "that is B", "That would be B",
    "So B", "So, B", "Therefore B", "Thus, B", "Hence B", "我选B", "选择B", "应选B",
    "应该是B", "应当选B", "应为B", "觉得是B", "我认为选B", "认为应该是B", "可能是B", "选项B",
    "B is correct", "B is the correct answer", "B is right", "B is the best",
    "B is most appropriate", "B is the most likely", "B is the answer", "B正确", "B都正确",
    "B是正确的", "B是对的", "B对", "B符合题意", "B当选", "B是答案", "B为正确答案",
    "B是正确答案", "B选项正确", "B项正确", "Option B is correct",
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "method"),
    [(t, "final") for t in _FINAL_FORMS] + [(t, "commit") for t in _COMMIT_FORMS],
)
def test_every_cue_form(text: str, method: str) -> None:
    assert extract_choice(text, "ABCD") == ChoiceExtraction("B", None, method, ("B",))  # type: ignore[arg-type]


# --- decisions worth pinning -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["A or C", "The answer is A and C.", "答案：AC", "Both A and B are correct.", "可能是A或者C"],
)
def test_two_letters_are_wrong_with_reason_and_no_answer(text: str) -> None:
    score = _score(text, options=("x1", "x2", "x3", "x4"), target="A")
    assert (score.value, score.answer, score.reason) == (0.0, None, "multiple_answers")
    assert len(score.details["candidates"]) == 2


def test_repeating_one_letter_is_not_multiple() -> None:
    assert extract_choice("The answer is B or, more precisely, B.", "ABCD").letter == "B"


def test_candidates_ignore_letters_inside_words() -> None:
    found = extract_choice("A and C are correct.", "ABCD")
    assert found.candidates == ("A", "C")  # not the "a" and "d" of "and"


def test_no_answer_reason_and_truncation() -> None:
    assert _score("I am not sure.").reason == "no_answer_found"
    cut = _score("<think>Lyon is large, Paris is", finish="length")
    assert (cut.value, cut.answer, cut.reason) == (0.0, None, "truncated")
    done = _score("Answer: B", finish="length")
    assert (done.value, done.reason) == (1.0, None)
    multi = _score("The answer is A or B", finish="length")
    assert multi.reason == "multiple_answers"
    # Cut before committing: a letter it was still weighing is no answer.
    assert _score("A or B", finish="length").reason == "truncated"
    assert _score("A. Lyon: This is a large city but", finish="length").answer is None


def test_think_block_is_ignored_even_when_it_names_other_letters() -> None:
    text = "<think>The answer is D. No, the answer is A.</think>\nThe answer is B."
    assert extract_choice(text, "ABCD").letter == "B"
    assert extract_choice("<think>The answer is B.", "ABCD").letter is None


def test_article_and_pronoun_are_not_labels() -> None:
    assert extract_choice("A good answer is C", "ABCD").letter == "C"
    assert extract_choice("A bit unclear.", "ABCD").letter is None
    assert extract_choice("I think so.", DEFAULT_LABELS).letter is None
    assert extract_choice("Answer: I", DEFAULT_LABELS).letter == "I"
    assert extract_choice("The answer is a bit unclear.", "ABCD").letter is None


def test_lowercase_letters_only_when_unambiguous() -> None:
    assert extract_choice("answer: b", "ABCD").letter == "B"
    assert extract_choice("(a + b)", "ABCD").letter is None
    assert extract_choice("it's a trap", "ABCD").letter is None


def test_details_name_the_tier() -> None:
    assert _score("Answer: B").details == {"method": "final", "candidates": ["B"]}
    assert _score("The capital of France is Paris.").details["method"] == "text"


def test_extraction_is_deterministic_and_works_without_options() -> None:
    text = "Let me think. B is correct."
    assert extract_choice(text, "ABCD") == extract_choice(text, "ABCD", CITY)
    assert extract_choice(text, "ABCD") == ChoiceExtraction("B", None, "commit", ("B",))


_VERDICTS = "- A) 12: {}\n- B) 24: {}\n- C) 42: {}\n- D) 84: incorrect"


@pytest.mark.parametrize(
    ("marks", "expected"),
    [
        (("incorrect", "incorrect", "correct"), ChoiceExtraction("C", None, "verdict", ("C",))),
        (
            ("correct", "wrong", "true"),
            ChoiceExtraction(None, "multiple_answers", "verdict", ("A", "C")),
        ),
        (("false", "incorrect", "✗"), ChoiceExtraction(None, "no_answer_found")),
    ],
)
def test_verdict_list_reasons(marks: tuple[str, str, str], expected: ChoiceExtraction) -> None:
    assert extract_choice(_VERDICTS.format(*marks), "ABCD", ("12", "24", "42", "84")) == expected


def test_one_verdict_line_is_no_list() -> None:
    assert extract_choice("Note:\n- C) 42: correct\nBut I am unsure.", "ABCD").letter is None


_RUN_ON = " C\n\nWhat is 1 + 1?\nA. 2\nB. 3\nC. 4\nAnswer: A"


def test_run_on_question_is_cut_only_when_new() -> None:
    assert run_on_start(_RUN_ON, ()) == 2
    assert run_on_start(_RUN_ON, ("5", "6", "7")) == 2
    assert run_on_start(_RUN_ON, ("2", "3", "4")) == -1  # it restates this question's options
    assert run_on_start(_RUN_ON.lstrip(" C"), ()) == -1  # nothing before it: it is the answer
    assert run_on_start(_RUN_ON.replace("Answer: A", "So A."), ()) == -1
    assert run_on_start(_RUN_ON.replace("B. 3", "C. 3"), ()) == -1  # labels out of order
    assert run_on_start(_RUN_ON.replace("What is 1 + 1?\n", ""), ()) == -1  # no question text


# --- scorer parameters and data errors ---------------------------------------------------------


def test_registered_as_choice() -> None:
    factory = SCORERS.get("choice")
    assert factory({}).score(_sample(), Completion(text="(B)")).value == 1.0


@pytest.mark.parametrize(
    ("labels", "text", "expected"),
    [
        ("1,2,3,4", "Answer: 2", "2"),
        (["W", "X", "Y", "Z"], "The answer is X.", "X"),
        ("WXYZ", "I'd go with Z.", "Z"),
    ],
)
def test_labels_parameter(labels: Any, text: str, expected: str) -> None:
    scorer = make_choice_scorer({"labels": labels})
    target = expected
    score = scorer.score(_sample(target=target), Completion(text=text))
    assert (score.answer, score.value) == (expected, 1.0)


@pytest.mark.parametrize("labels", ["A", "A,A", ["A", 3], 7, "ABCDEFGHIJK", ["A", ""]])
def test_bad_labels_parameter(labels: Any) -> None:
    with pytest.raises(ConfigError):
        make_choice_scorer({"labels": labels})


def test_labels_without_listed_options() -> None:
    scorer = make_choice_scorer({"labels": "ABCD"})
    sample = Sample(id="q", index=0, data={}, target="C")
    assert scorer.score(sample, Completion(text="选C")).value == 1.0


@pytest.mark.parametrize(
    "sample",
    [
        _sample(options=("only",), target="A"),
        _sample(options=tuple(f"o{i}" for i in range(11)), target="A"),
        _sample(target="E"),
        Sample(id="q", index=0, data={}, target="A"),
    ],
    ids=["one_option", "eleven_options", "target_not_a_label", "no_options_no_labels"],
)
def test_data_errors(sample: Sample) -> None:
    with pytest.raises(DataError, match=sample.id):
        ChoiceScorer().score(sample, Completion(text="A"))


@pytest.mark.parametrize("target", ["B", "b", "(B)", "Paris"])
def test_gold_forms(target: str) -> None:
    assert _score("Answer: B", target=target).value == 1.0


def test_ten_options() -> None:
    options = tuple(f"river {i}" for i in range(10))
    assert _score("The answer is (J).", options=options, target="J").value == 1.0


# --- real option texts (read at run time, never copied) ----------------------------------------

_TEMPLATES: dict[str, Callable[[str, str], str]] = {
    "answer_letter_text": lambda letter, text: f"**Answer: {letter}) {text}**\n\nBecause ...",
    "zh_answer_letter": lambda letter, text: f"答案：{letter}。{text}",
    "bare_letter_text": lambda letter, text: f"{letter}. {text}",
    "answer_is_text": lambda letter, text: f"The answer is {text}.",
    "whole_text": lambda letter, text: text,
}


def _real_rows(data: Path) -> list[tuple[list[str], str]]:
    rows: list[tuple[list[str], str]] = []
    for path in sorted((data / "mmlu" / "dev").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            rows += [(r[1:5], r[5]) for r in csv.reader(f)]
    for folder, key in (("ceval/dev", "answer"), ("cmmlu/dev", "Answer")):
        for path in sorted((data / folder).glob("*.csv")):
            with path.open(encoding="utf-8", newline="") as f:
                rows += [([r[x] for x in "ABCD"], r[key]) for r in csv.DictReader(f)]
    return rows


def test_real_options_restated_in_responses(shared_data: Path) -> None:
    if not (shared_data / "mmlu" / "dev").is_dir():
        pytest.skip("MMLU data not found")
    rows = _real_rows(shared_data)
    assert len(rows) >= 800
    for name, template in _TEMPLATES.items():
        hits = total = 0
        for options, gold in rows:
            text = options["ABCD".index(gold)]
            if "\n" in text or [o.strip().casefold() for o in options].count(text.casefold()) > 1:
                continue  # a multi-line or duplicated option cannot be restated unambiguously
            total += 1
            hits += extract_choice(template(gold, text), "ABCD", options).letter == gold
        floor = 0.995 if name in ("answer_is_text", "whole_text") else 1.0
        assert hits / total >= floor, f"{name}: {hits}/{total}"


# --- bounded time ------------------------------------------------------------------------------

_MB = 1_000_000
_ADVERSARIAL = {
    "letters_and_or": "A or " * (_MB // 5),
    "comma_letters_then_cue": ("A, B, C, D, " * 5 + "is correct ") * (_MB // 71),
    "answer_cues": "Answer: " * (_MB // 8),
    "zh_cues": "答案选" * (_MB // 3),
    "open_brackets": "(" * _MB,
    "letter_lines": "A.\n" * (_MB // 3),
    "boxed_unclosed": "\\boxed{" * (_MB // 7),
    "spaces_after_cue": "answer is" + " " * _MB,
    "run_on_paragraphs": "x\n\nq\nA. a\nB. b\n" * (_MB // 17),
    "verdict_lines": "A) 1: " * 40 + "correct\n" + "B) x: incorrect\n" * (_MB // 16),
    "latex_delims": "\\(" * (_MB // 2),
    "json_nesting": '{"answer": ' * (_MB // 11),
    "json_small_nesting": '{"a": ' * 3000 + '"B"' + "}" * 3000,
    "corrections": "Wait, " * (_MB // 6),
    "ordinals": "the third choice " * (_MB // 17),
    "zh_ordinals": "第三个" * (_MB // 3),
    "rejections": "A is wrong. " * (_MB // 12),
    "dashes": "Answer: - " * (_MB // 10),
}
_ANSWERS = {"letters_and_or": "A", "letter_lines": "A"}  # the rest hold no answer


@pytest.mark.parametrize("name", list(_ADVERSARIAL))
def test_adversarial_megabyte_inputs_read_right(name: str) -> None:
    # Linear scans take well under a second here and catastrophic backtracking hours, so a
    # regression hangs (test_linear_time.py guards more shapes in a subprocess).
    assert extract_choice(_ADVERSARIAL[name], "ABCD", CITY).letter == _ANSWERS.get(name)
