"""Multiple-choice exams: MMLU, CMMLU, C-Eval and the generic kind (tests/fixtures/exam/).

Golden prompts are rendered from invented fixture rows; end-to-end runs go through the real local
HTTP test server (tests/support/) in generate mode, by log-likelihood (completions echo and chat
first-token top_logprobs), and with circular evaluation.
"""

import json
import math
import os
from pathlib import Path

import pytest
from support.server_responders import write_mc_answers

from evalkit.backends.openai_api import _label_logprobs
from evalkit.cli import main
from evalkit.config import RunConfig, TaskRef
from evalkit.errors import ConfigError, DataError, FatalBackendError
from evalkit.records.io import read_record, read_samples
from evalkit.task.data import load_adapter
from evalkit.task.plan import plan_task
from evalkit.task.spec import find_task

GOLDEN = Path(__file__).parents[1] / "golden"
EXAM = Path(__file__).parents[1] / "fixtures" / "exam"

# Invented fixture questions (tests/fixtures/data/mmlu) → the answer the fake model gives.
MMLU_KEY = {
    "What is the order of the element 2 in Z_5": "D",
    "How many generators does Z_8 have?": "A",  # gold C: wrong
    "Let G be a group of order 7.": "A",
    "Which bone protects the brain?": "A",
    "Which vessel carries blood away from the heart?": "B",
    "I think, therefore I am": "D",  # gold A: wrong
    "Which ethical theory judges acts by their consequences?": "C",
}


def plan(task, data_dir, tasks_dir=(), **task_args):
    cfg = RunConfig(
        model="mock/echo",
        tasks=(task,),
        data_dir=data_dir,
        tasks_dir=tasks_dir,
        task_args=task_args,
    )
    return plan_task(TaskRef.parse(task), cfg)


def run_cli(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out.strip(), err


def run_server(capsys, server, task, data_dir, out_dir, *extra):
    code, run_dir, err = run_cli(
        capsys,
        "run",
        "--model",
        "openai-compatible/fake-model",
        "--base-url",
        server.base_url,
        "--tasks",
        task,
        "--data-dir",
        str(data_dir),
        "--output-dir",
        str(out_dir),
        "--quiet",
        "--no-cache",
        *extra,
    )
    assert code == 0, err
    return read_record(out_dir / os.path.basename(run_dir)), out_dir / os.path.basename(run_dir)


# --- golden prompts -------------------------------------------------------------------------

GOLDENS = [
    ("mmlu:zeroshot", "mmlu_0shot_chat.json"),
    ("mmlu", "mmlu_5shot_chat.json"),
    ("mmlu:loglikelihood", "mmlu_5shot_text.json"),
    ("mmlu:cot", "mmlu_cot_chat.json"),
    ("cmmlu:zeroshot", "cmmlu_0shot_chat.json"),
    ("cmmlu", "cmmlu_5shot_chat.json"),
    ("cmmlu:loglikelihood", "cmmlu_5shot_text.json"),
    ("ceval:zeroshot", "ceval_0shot_chat.json"),
    ("ceval", "ceval_5shot_chat.json"),
    ("ceval:loglikelihood", "ceval_5shot_text.json"),
    ("ceval:cot_5shot", "ceval_cot_5shot_chat.json"),
]


@pytest.mark.parametrize(("task", "golden"), GOLDENS, ids=[g[1][:-5] for g in GOLDENS])
def test_golden_prompts(fixture_data, task, golden):
    request = plan(task, fixture_data).requests[0]
    got = {"prompt": request.prompt_json(), "params": request.params.to_dict()}
    assert got == json.loads((GOLDEN / golden).read_text(encoding="utf-8"))


def test_five_shot_examples_come_from_the_same_subject(fixture_data):
    p = plan("mmlu:loglikelihood", fixture_data)
    assert len(p.fewshot_ids) == 15  # 5 dev rows for each of the 3 subjects
    by_subject = {
        s.metadata["subject"]: r.prompt for s, r in zip(p.samples, p.requests, strict=True)
    }
    assert "Which bone is in the upper arm?" in by_subject["anatomy"]
    assert "Who wrote the Republic?" not in by_subject["anatomy"]
    assert by_subject["philosophy"].count("\nAnswer:") == 6
    assert by_subject["philosophy"].startswith(
        "The following are multiple choice questions (with answers) about philosophy.\n\n"
    )


# --- adapters --------------------------------------------------------------------------------


def test_mmlu_hub_and_csv_layouts_give_the_same_sample():
    adapt = load_adapter(find_task("mmlu"))
    csv_row = {
        "question": "Q?",
        "A": "w",
        "B": "x",
        "C": "y",
        "D": "z",
        "answer": "C",
        "_file": "college_physics_test",
    }
    hub_row = {
        "question": "Q?",
        "subject": "college_physics",
        "choices": ["w", "x", "y", "z"],
        "answer": 2,
    }
    a, b = adapt(csv_row, 7), adapt(hub_row, 7)
    assert a == b
    assert a.target == "C" and a.metadata == {"subject": "college_physics", "category": "stem"}
    assert a.data["subject_name"] == "college physics"
    with pytest.raises(ValueError, match="unknown MMLU subject 'astrology'"):
        adapt({**csv_row, "_file": "astrology_test"}, 0)
    with pytest.raises(ValueError, match="answer 'E'"):
        adapt({**csv_row, "answer": "E"}, 0)


def test_metadata_of_the_chinese_exams(fixture_data):
    cm = {s.metadata["subject"]: s.metadata for s in plan("cmmlu", fixture_data).samples}
    assert cm["chinese_history"] == {
        "subject": "chinese_history",
        "category": "humanities",
        "china_specific": True,
    }
    assert cm["agronomy"]["category"] == "other" and cm["agronomy"]["china_specific"] is False
    ce = {s.metadata["subject"]: s.metadata for s in plan("ceval", fixture_data).samples}
    assert ce["high_school_physics"] == {
        "subject": "high_school_physics",
        "category": "stem",
        "hard": True,
    }
    assert ce["accountant"]["hard"] is False


def test_ceval_test_split_is_refused_with_the_reason(fixture_data):
    with pytest.raises(DataError, match="test answers are hidden, score split=val"):
        plan("ceval", fixture_data, split="test")


# --- subject selection and circular expansion -------------------------------------------------


@pytest.mark.parametrize(
    ("subjects", "expected"),
    [
        ("abstract_algebra,anatomy", {"abstract_algebra": 3, "anatomy": 2}),
        ("stem", {"abstract_algebra": 3}),
        ("humanities,anatomy", {"philosophy": 2, "anatomy": 2}),
    ],
)
def test_subject_and_category_selection(fixture_data, subjects, expected):
    samples = plan("mmlu", fixture_data, subjects=subjects).samples
    counts: dict[str, int] = {}
    for s in samples:
        counts[s.metadata["subject"]] = counts.get(s.metadata["subject"], 0) + 1
    assert counts == expected


def test_unknown_subject_is_refused_with_a_suggestion(fixture_data):
    with pytest.raises(ConfigError, match="unknown subject or category 'anatomyy'.*'anatomy'"):
        plan("mmlu", fixture_data, subjects="anatomyy")


def test_circular_expansion_rotates_options_and_remaps_targets(fixture_data):
    base = plan("mmlu:zeroshot", fixture_data).samples
    p = plan("mmlu:zeroshot", fixture_data, circular="true")
    assert len(p.samples) == 4 * len(base) == len(p.requests)
    first = base[0]  # gold D = "5"
    copies = [s for s in p.samples if s.metadata["circular_of"] == first.id]
    assert [s.id for s in copies] == [first.id] + [f"{first.id}@rot{k}" for k in (1, 2, 3)]
    assert [s.target for s in copies] == ["D", "C", "B", "A"]
    for s in copies:
        assert s.choices["ABCD".index(s.target)] == "5" and sorted(s.choices) == sorted(
            first.choices
        )
        assert s.metadata["circular_n"] == 4 and s.metadata["subject"] == "abstract_algebra"
    rot1 = p.requests[p.samples.index(copies[1])]
    assert rot1.messages[-1].content.endswith("A. 2\nB. 4\nC. 5\nD. 1\nAnswer:")


def test_circular_keeps_text_targets_and_refuses_unmappable_ones(tmp_path):
    quiz = plan("my_quiz", EXAM / "data", (EXAM / "tasks",), circular="true").samples
    assert len(quiz) == 9 and {s.target for s in quiz[:3]} == {"Four"}
    bad = tmp_path / "data" / "my_quiz"
    bad.mkdir(parents=True)
    (bad / "questions.jsonl").write_text(
        json.dumps(
            {
                "id": "q",
                "topic": "t",
                "question": "?",
                "option_1": "a",
                "option_2": "b",
                "option_3": "c",
                "correct": "7",
            }
        )
        + "\n"
    )
    with pytest.raises(ConfigError, match="target '7' is neither a label A/B/C nor an option"):
        plan("my_quiz", tmp_path / "data", (EXAM / "tasks",), circular="true")


# --- end to end through the local HTTP server --------------------------------------------------


@pytest.fixture
def mmlu_server(tmp_path, openai_server_factory):
    return openai_server_factory(mc_answers=write_mc_answers(tmp_path / "key.jsonl", MMLU_KEY))


def check_mmlu_record(record):
    assert record.metrics["accuracy"]["mean"] == pytest.approx(5 / 7)
    assert record.counts == {"samples": 7, "scored": 7, "errors": 0, "truncated": 0, "no_answer": 0}
    subject = {k: v["accuracy"]["mean"] for k, v in record.groups["subject"].items()}
    assert subject == pytest.approx({"abstract_algebra": 2 / 3, "anatomy": 1.0, "philosophy": 0.5})
    category = {k: v["accuracy"]["mean"] for k, v in record.groups["category"].items()}
    assert category == pytest.approx({"stem": 2 / 3, "other": 1.0, "humanities": 0.5})
    assert record.macro["subject"]["accuracy"] == pytest.approx((2 / 3 + 1.0 + 0.5) / 3, abs=1e-6)


@pytest.mark.parametrize(
    ("task", "extra", "calls"),
    [("mmlu", (), 7), ("mmlu:loglikelihood", (), 28), ("mmlu", ("-T", "mode=loglikelihood"), 7)],
    ids=["generate-5shot-chat", "loglikelihood-echo", "loglikelihood-chat-top-logprobs"],
)
def test_mmlu_end_to_end(capsys, tmp_path, fixture_data, mmlu_server, task, extra, calls):
    record, run_dir = run_server(capsys, mmlu_server, task, fixture_data, tmp_path / "runs", *extra)
    check_mmlu_record(record)
    # One call per question, except echo scoring: one completions call per option.
    assert mmlu_server.stats()["completed"] == calls + 1  # + the preflight GET /v1/models
    ranked = record.task["params"]["mode"] == "loglikelihood"
    for line in read_samples(run_dir):
        assert (len(line["option_logprobs"]) == 4) if ranked else line["option_logprobs"] is None


def test_circular_end_to_end_separates_knowledge_from_position_bias(
    capsys, tmp_path, fixture_data, openai_server_factory
):
    # The fake model knows the anatomy answers wherever they appear; elsewhere it always says A.
    known = {}
    for s in plan("mmlu:zeroshot", fixture_data, circular="true").samples:
        block = "\n".join(f"{x}. {c}" for x, c in zip("ABCD", s.choices, strict=True))
        if s.metadata["subject"] == "anatomy":
            known[block] = s.target
    known["Answer:"] = "A"
    server = openai_server_factory(mc_answers=write_mc_answers(tmp_path / "key.jsonl", known))
    record, _ = run_server(
        capsys, server, "mmlu:zeroshot", fixture_data, tmp_path / "runs", "-T", "circular=true"
    )
    assert record.counts["samples"] == 28
    assert record.metrics["circular"]["mean"] == pytest.approx(2 / 7)  # the two anatomy questions
    assert record.metrics["accuracy"]["mean"] == pytest.approx((8 + 5) / 28)  # 8 known + 5 lucky A


def test_generic_exam_end_to_end(capsys, tmp_path, openai_server_factory):
    key = {
        "Which river flows through Cairo?": "A",
        "Which ocean lies between": "C",
        "largest desert in Asia": "D",
        "symbol for sodium": "Na is the symbol, so D.",
        "plants absorb": "**B**",
    }
    server = openai_server_factory(mc_answers=write_mc_answers(tmp_path / "key.jsonl", key))
    args = ("--tasks-dir", str(EXAM / "tasks"))
    record, _ = run_server(capsys, server, "my_exam:fewshot", EXAM / "data", tmp_path / "a", *args)
    assert record.metrics["accuracy"]["mean"] == pytest.approx(4 / 5)
    assert {k: v["accuracy"]["mean"] for k, v in record.groups["subject"].items()} == pytest.approx(
        {"geography": 2 / 3, "chemistry": 1.0}
    )
    record, _ = run_server(
        capsys, server, "my_exam", EXAM / "data", tmp_path / "b", *args, "-T", "subjects=chemistry"
    )
    assert record.counts["samples"] == 2 and record.metrics["accuracy"]["mean"] == 1.0


@pytest.mark.parametrize(
    ("target", "answers"),
    [("letter", ("A", "C", "C")), ("text", ("Four", "Harp", "Eleven"))],
)
def test_generic_quiz_by_loglikelihood(capsys, tmp_path, openai_server_factory, target, answers):
    # Gold: Four (A), Piano (B), Eleven (C); the fake model prefers the given continuations.
    questions = ("strings does a standard violin", "88 keys", "football team")
    key = dict(zip(questions, answers, strict=True))
    server = openai_server_factory(mc_answers=write_mc_answers(tmp_path / "key.jsonl", key))
    args = ("--tasks-dir", str(EXAM / "tasks"), "-T", "mode=loglikelihood", "-T", "format=text")
    record, _ = run_server(
        capsys,
        server,
        "my_quiz",
        EXAM / "data",
        tmp_path / "runs",
        *args,
        "-T",
        f"ll_target={target}",
    )
    assert record.metrics["accuracy"]["mean"] == pytest.approx(2 / 3)
    assert record.groups["topic"]["sport"]["accuracy"]["mean"] == 1.0


def test_loglikelihood_on_a_backend_without_it_fails_before_any_request(
    capsys, fixture_data, tmp_path
):
    code, _, err = run_cli(
        capsys,
        "run",
        "--model",
        "mock/echo",
        "--tasks",
        "mmlu:loglikelihood",
        "--data-dir",
        str(fixture_data),
        "--output-dir",
        str(tmp_path),
        "--quiet",
    )
    assert code == 2 and "supports only -T mode=generate" in err


# --- chat first-token ranking -----------------------------------------------------------------


def chat_body(top):
    entries = [{"token": t, "logprob": v} for t, v in top]
    return {"choices": [{"logprobs": {"content": [{"token": top[0][0], "top_logprobs": entries}]}}]}


def test_first_token_ranking_pools_spaced_letters_and_ranks_unlisted_last():
    body = chat_body([("B", -0.5), (" A", -1.2), ("A", -1.5), ("The", -2.0)])
    values = _label_logprobs(body, ["A", "B", "C", "D"])
    assert values[1] == pytest.approx(-0.5)
    assert values[0] == pytest.approx(math.log(math.exp(-1.2) + math.exp(-1.5)))
    assert values[2] == values[3] == -3.0 < min(values[:2])


def test_first_token_ranking_errors_name_the_cause():
    with pytest.raises(FatalBackendError, match="no option letter among .* \\('The', '\\*\\*'"):
        _label_logprobs(chat_body([("The", -0.1), ("**", -0.2)]), ["A", "B"])
    with pytest.raises(FatalBackendError, match="does not return log-probabilities"):
        _label_logprobs({"choices": [{"logprobs": None}]}, ["A", "B"])


# --- the real data (skipped when /work/shared/data is absent) ----------------------------------


@pytest.mark.parametrize(
    ("task", "rows", "subjects", "categories"),
    [("mmlu", 14042, 57, 4), ("cmmlu", 11582, 67, 4), ("ceval", 1346, 52, 4)],
)
def test_real_exams_load_whole(shared_data, task, rows, subjects, categories):
    p = plan(f"{task}:loglikelihood", shared_data, subjects="")
    assert len(p.samples) == rows
    assert len({s.metadata["subject"] for s in p.samples}) == subjects
    assert len({s.metadata["category"] for s in p.samples}) == categories
    assert len(p.fewshot_ids) == 5 * subjects
    assert all(r.prompt.count("\n\n") >= 6 for r in p.requests[:50])


def test_ranking_method_is_recorded_and_impossible_modes_refused(capsys, tmp_path, fixture_data, openai_server):
    from evalkit.cli import main
    from evalkit.records.io import read_record

    base = ["run", "--model", "openai-compatible/fake-model", "--base-url", openai_server.base_url,
            "--data-dir", str(fixture_data), "--output-dir", str(tmp_path), "--quiet", "--no-cache"]
    before = openai_server.stats()["requests"]
    code = main([*base, "--tasks", "mmlu:zeroshot:mode=loglikelihood:ll_target=text"])
    assert code == 2 and "ranks chat prompts by the first answer token only" in capsys.readouterr().err
    assert openai_server.stats()["requests"] == before  # refused before any request
    code = main([*base, "--tasks", "mmlu:loglikelihood", "--limit", "2"])
    run_dir = capsys.readouterr().out.strip()
    assert code == 0
    assert read_record(__import__("pathlib").Path(run_dir)).task["ll_method"] == "echo"
