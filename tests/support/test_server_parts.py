"""The fake OpenAI server's parts without a socket: tokens, responders, faults, options, API."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from support.openai_server import make_responder
from support.server_api import ApiContext, ApiError, chat_completion, text_completion
from support.server_faults import FAULT_KINDS, FaultPlan, body_digest, parse_fault_kinds
from support.server_options import ServerConfigError, ServerOptions, parse_argv
from support.server_responders import (
    NO_ANSWER,
    EchoResponder,
    FixedResponder,
    Gsm8kResponder,
    MultipleChoiceKey,
    write_gsm8k_answers,
)
from support.server_tokens import FAVOURED_LOGPROB, score_tokens, tokenize


@pytest.mark.parametrize(
    "text", ["", "Answer: B", "  two  spaces\n\nand lines ", "naïve café, 3.5%!", "日本語 テキスト"]
)
def test_tokens_concatenate_back_to_the_text(text: str) -> None:
    assert "".join(tokenize(text)) == text


def test_token_boundaries_fall_between_words_spaces_and_punctuation() -> None:
    assert tokenize("Answer: (B) 42.") == ["Answer", ":", " ", "(", "B", ")", " ", "42", "."]


def test_token_scores_depend_on_the_prefix_only() -> None:
    first = score_tokens("The sky is blue today", top_k=3)
    again = score_tokens("The sky is blue yesterday", top_k=3)
    assert first[:-1] == again[:-1]
    assert first[-1].logprob != again[-1].logprob
    assert score_tokens("The sky", context="a") != score_tokens("The sky", context="b")


def test_favoured_tokens_are_the_clear_argmax() -> None:
    scores = score_tokens("Answer: C", top_k=5, favoured_from=8)
    last = scores[-1]
    assert last.token == "C" and last.logprob == FAVOURED_LOGPROB
    assert last.top[0][0] == "C"
    assert all(value < -4 for _, value in last.top[1:])
    assert all(-8.0 <= s.logprob < -0.2 for s in scores[:-1])
    for s in scores:
        assert sum(math.exp(value) for _, value in s.top) <= 1.0 + 1e-9


def test_gsm8k_responder_finds_the_last_known_question_in_a_template() -> None:
    responder = Gsm8kResponder(
        {
            "Tom has 3 apples and buys 2 more. How many now?": "The answer is 5.",
            "A farm has 4 cows and 6 pigs. How many animals?": "The answer is 10.",
        }
    )
    prompt = (
        "Question: Tom has 3 apples and buys 2 more. How many now?\nAnswer: The answer is 5.\n\n"
        "Question: A farm has 4 cows\nand 6 pigs.  How many animals?\nAnswer:"
    )
    assert responder.respond(prompt) == "The answer is 10."
    assert responder.respond("A farm has 4 cows and 7 pigs. How many animals?") == NO_ANSWER


def test_written_gsm8k_sheet_has_the_requested_accuracy(tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    rows = [
        {
            "question": f"Q{i}: what is {i} + 1?",
            "answer": f"{i} + 1 = <<{i}+1={i + 1}>>{i + 1}\n#### {i + 1}",
        }
        for i in range(50)
    ]
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    sheet = write_gsm8k_answers(data, tmp_path / "sheet.jsonl", accuracy=0.3, seed=4)
    again = write_gsm8k_answers(data, tmp_path / "again.jsonl", accuracy=0.3, seed=4)
    assert sheet.correct == again.correct and sum(sheet.correct) == 15
    assert sheet.accuracy == pytest.approx(0.3)
    written = [json.loads(line) for line in sheet.path.read_text().splitlines()]
    for i, (row, right) in enumerate(zip(written, sheet.correct, strict=True)):
        assert row["question"] == rows[i]["question"] and row["correct"] == right
        assert "<<" not in row["answer"] and row["answer"].startswith(f"{i} + 1 = {i + 1}")
        ends_right = row["answer"].endswith(f"The answer is {i + 1}.")
        assert ends_right == right


def test_multiple_choice_key_uses_the_first_matching_entry() -> None:
    key = MultipleChoiceKey((("planet", "A"), ("red planet", "C")))
    assert key.answer_for("Which red planet?") == "A"
    assert key.answer_for("Which moon?") is None


def test_fault_plan_is_seeded_bounded_and_near_its_rate() -> None:
    plan = FaultPlan(rate=0.2, seed=3, kinds=("429", "reset"), max_faulty_attempts=5)
    digests = [body_digest(f"body {i}".encode()) for i in range(4000)]
    drawn = [plan.decide(d, 1) for d in digests]
    assert drawn == [plan.decide(d, 1) for d in digests]
    assert 0.17 < sum(k is not None for k in drawn) / len(drawn) < 0.23
    assert {k for k in drawn if k is not None} == {"429", "reset"}
    assert all(FaultPlan(rate=1.0).decide(d, 6) is None for d in digests[:50])
    assert all(FaultPlan(rate=0.0).decide(d, 1) is None for d in digests[:50])
    assert drawn != [
        FaultPlan(rate=0.2, seed=4, kinds=("429", "reset")).decide(d, 1) for d in digests
    ]


def test_fault_kinds_parse_and_reject_unknown_names() -> None:
    assert parse_fault_kinds("429, hang,malformed") == ("429", "hang", "malformed")
    with pytest.raises(ValueError, match="unknown fault 'timeout'"):
        parse_fault_kinds("429,timeout")


def test_options_round_trip_through_argv(tmp_path: Path) -> None:
    options = ServerOptions(
        port=8123,
        responder="gsm8k",
        answers=tmp_path / "a.jsonl",
        mc_answers=tmp_path / "m.jsonl",
        latency_ms=12.5,
        fault_rate=0.25,
        fault_seed=9,
        faults=("500", "hang"),
        hang_s=1.5,
        api_key="k",
        exit_on_stdin_eof=True,
    )
    assert parse_argv(options.to_argv()) == options
    assert parse_argv([]) == ServerOptions()
    assert parse_argv(["--faults", "hang"]).faults == ("hang",)
    assert ServerOptions().faults == FAULT_KINDS


@pytest.mark.parametrize(
    "kwargs", [{"responder": "gsm8k"}, {"responder": "oracle"}, {"fault_rate": 1.5}]
)
def test_options_refuse_servers_that_cannot_work(kwargs: dict[str, object]) -> None:
    with pytest.raises(ServerConfigError):
        ServerOptions(**kwargs)  # type: ignore[arg-type]


def test_responders_are_built_from_their_names() -> None:
    assert isinstance(make_responder(ServerOptions()), EchoResponder)
    assert make_responder(ServerOptions(responder="fixed:B: yes")) == FixedResponder("B: yes")


def _ctx(text: str = "") -> ApiContext:
    responder = FixedResponder(text) if text else EchoResponder()
    return ApiContext(responder, MultipleChoiceKey((("keyed", "B"),)), "served")


def test_chat_truncation_reports_length() -> None:
    payload = {"messages": [{"role": "user", "content": "one two three"}], "max_tokens": 3}
    reply = chat_completion(_ctx(), payload, "id1")
    assert reply["choices"][0]["message"]["content"] == "one two"
    assert reply["choices"][0]["finish_reason"] == "length"
    assert reply["model"] == "served" and reply["id"] == "chatcmpl-id1"


def test_chat_accepts_text_parts_and_keyed_questions_get_their_letter() -> None:
    parts = [{"type": "text", "text": "a keyed "}, {"type": "text", "text": "question"}]
    reply = chat_completion(_ctx("D"), {"messages": [{"role": "user", "content": parts}]}, "x")
    assert reply["choices"][0]["message"]["content"] == "B"
    plain = chat_completion(_ctx("D"), {"messages": [{"role": "user", "content": "other"}]}, "x")
    assert plain["choices"][0]["message"]["content"] == "D"


def test_batched_completion_prompts_get_one_choice_each() -> None:
    reply = text_completion(_ctx("!"), {"prompt": ["a", "bb"], "echo": True, "logprobs": 0}, "z")
    assert [c["text"] for c in reply["choices"]] == ["a!", "bb!"]
    assert [c["index"] for c in reply["choices"]] == [0, 1]
    assert reply["choices"][1]["logprobs"]["tokens"] == ["bb", "!"]
    assert reply["usage"] == {"prompt_tokens": 2, "completion_tokens": 2, "total_tokens": 4}


def test_generated_logprob_offsets_continue_after_the_prompt() -> None:
    reply = text_completion(_ctx("x y"), {"prompt": "abc", "logprobs": 1}, "z")
    logprobs = reply["choices"][0]["logprobs"]
    assert logprobs["text_offset"] == [3, 4, 5]
    assert None not in logprobs["token_logprobs"]


@pytest.mark.parametrize(
    "payload",
    [
        {"messages": []},
        {"messages": [{"content": "x"}]},
        {"messages": [{"role": "user", "content": 3}]},
    ],
)
def test_chat_rejects_malformed_messages(payload: dict[str, object]) -> None:
    with pytest.raises(ApiError) as info:
        chat_completion(_ctx(), payload, "x")
    assert info.value.status == 400
