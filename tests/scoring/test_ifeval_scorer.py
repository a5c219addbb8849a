"""The IFEval scorer's contract: metrics, weights, details, reasons and errors."""

from __future__ import annotations

import doctest
import importlib
from typing import Any

import pytest

from evalkit.errors import DataError
from evalkit.scoring import SCORERS
from evalkit.scoring.ifeval import INSTRUCTIONS, build_instruction, make_ifeval_scorer
from evalkit.types import Completion, Sample

ALL_25 = {
    "keywords:existence",
    "keywords:frequency",
    "keywords:forbidden_words",
    "keywords:letter_frequency",
    "language:response_language",
    "length_constraints:number_sentences",
    "length_constraints:number_paragraphs",
    "length_constraints:number_words",
    "length_constraints:nth_paragraph_first_word",
    "detectable_content:number_placeholders",
    "detectable_content:postscript",
    "detectable_format:number_bullet_lists",
    "detectable_format:constrained_response",
    "detectable_format:number_highlighted_sections",
    "detectable_format:multiple_sections",
    "detectable_format:json_format",
    "detectable_format:title",
    "combination:two_responses",
    "combination:repeat_prompt",
    "startend:end_checker",
    "startend:quotation",
    "change_case:capital_word_frequency",
    "change_case:english_capital",
    "change_case:english_lowercase",
    "punctuation:no_comma",
}


def make_sample(ids: list[str], kwargs: list[Any], prompt: str = "Answer.") -> Sample:
    return Sample(
        id="s1",
        index=0,
        data={"prompt": prompt},
        target="",
        metadata={"instruction_id_list": ids, "kwargs": kwargs},
    )


def score(text: str, finish_reason: Any = "stop") -> Any:
    sample = make_sample(
        ["punctuation:no_comma", "keywords:existence", "punctuation:no_comma"],
        [{}, {"keywords": ["rain"]}, {}],
    )
    return make_ifeval_scorer({}).score(sample, Completion(text=text, finish_reason=finish_reason))


def test_registered_under_ifeval() -> None:
    assert SCORERS.get("ifeval")({}).score is not None


def test_exactly_the_25_instruction_types() -> None:
    assert set(INSTRUCTIONS) == ALL_25


def test_metrics_weights_and_details() -> None:
    result = score("Sure, here:\nRain falls softly.")
    # Strict: the comma fails both no_comma instructions; loose drops the first line.
    assert result.value == 0.0
    assert result.details == {"strict": [False, True, False], "loose": [True, True, True]}
    assert result.metrics == {
        "prompt_strict": 0.0,
        "inst_strict": pytest.approx(1 / 3),
        "inst_strict/punctuation:no_comma": 0.0,
        "inst_strict/keywords:existence": 1.0,
        "prompt_loose": 1.0,
        "inst_loose": 1.0,
        "inst_loose/punctuation:no_comma": 1.0,
        "inst_loose/keywords:existence": 1.0,
    }
    assert result.weights == {
        "inst_strict": 3.0,
        "inst_strict/punctuation:no_comma": 2.0,
        "inst_strict/keywords:existence": 1.0,
        "inst_loose": 3.0,
        "inst_loose/punctuation:no_comma": 2.0,
        "inst_loose/keywords:existence": 1.0,
    }
    assert result.reason is None


def test_all_followed_scores_one() -> None:
    result = score("Rain falls softly.")
    assert result.value == 1.0
    assert result.metrics["prompt_strict"] == result.metrics["prompt_loose"] == 1.0


@pytest.mark.parametrize("text", ["", "  \n\t "])
def test_blank_response_fails_everything(text: str) -> None:
    result = score(text)
    assert result.reason == "empty_response"
    assert result.details == {"strict": [False] * 3, "loose": [False] * 3}
    assert result.metrics["inst_loose"] == 0.0


def test_truncated_response_is_flagged_and_still_scored() -> None:
    result = score("Rain falls", finish_reason="length")
    assert result.reason == "truncated"
    assert result.value == 1.0


def test_none_kwargs_as_in_the_hugging_face_copy_are_ignored() -> None:
    hf_style = {"num_words": 3, "relation": "at least", "keywords": None, "letter": None}
    sample = make_sample(["length_constraints:number_words"], [hf_style])
    assert make_ifeval_scorer({}).score(sample, Completion(text="one two three")).value == 1.0


def test_unknown_instruction_suggests_close_names() -> None:
    with pytest.raises(DataError, match="did you mean punctuation:no_comma"):
        build_instruction("punctuation:no_commas", {})


@pytest.mark.parametrize(
    ("instruction_id", "kwargs", "match"),
    [
        ("length_constraints:number_words", {"relation": "at least"}, "needs argument 'num_words'"),
        ("length_constraints:number_words", {"num_words": 5, "relation": "about"}, "relation"),
        (
            "keywords:letter_frequency",
            {"letter": "ab", "let_frequency": 1, "let_relation": "at least"},
            "one character",
        ),
        ("keywords:existence", {"keywords": "rain"}, "list of strings"),
        ("detectable_format:number_bullet_lists", {"num_bullets": True}, "integer"),
        (
            "length_constraints:nth_paragraph_first_word",
            {"num_paragraphs": 2, "nth_paragraph": 3, "first_word": "a"},
            "nth_paragraph",
        ),
    ],
)
def test_invalid_arguments_raise_data_error(
    instruction_id: str, kwargs: dict[str, Any], match: str
) -> None:
    with pytest.raises(DataError, match=match):
        build_instruction(instruction_id, kwargs)


def test_mismatched_lists_raise_data_error() -> None:
    sample = make_sample(["punctuation:no_comma", "startend:quotation"], [{}])
    with pytest.raises(DataError, match="2 instruction ids but 1 kwargs"):
        make_ifeval_scorer({}).score(sample, Completion(text="x"))


def test_missing_metadata_raises_data_error() -> None:
    sample = Sample(id="s", index=0, data={"prompt": "p"}, target="")
    with pytest.raises(DataError, match="instruction_id_list"):
        make_ifeval_scorer({}).score(sample, Completion(text="x"))


def test_scorer_ignores_prompt_parameters() -> None:
    # The runner hands every task parameter to the scorer; prompt settings must not change verdicts.
    assert make_ifeval_scorer({"format": "chat", "user_template": "prompt.jinja"}) == make_ifeval_scorer({})


def test_float_integers_from_json_are_accepted() -> None:
    checker = build_instruction("detectable_format:number_bullet_lists", {"num_bullets": 2.0})
    assert checker.check("* a\n* b")


@pytest.mark.parametrize(
    "module",
    [
        "arguments",
        "instructions_case",
        "instructions_format",
        "instructions_keywords",
        "instructions_length",
        "instructions_shape",
        "language",
        "loose",
        "registry",
        "scorer",
        "text",
    ],
)
def test_docstring_examples(module: str) -> None:
    imported = importlib.import_module(f"evalkit.scoring.ifeval.{module}")
    failed, attempted = doctest.testmod(imported, optionflags=doctest.ELLIPSIS)
    assert failed == 0
    if module not in ("arguments",):
        assert attempted > 0
