"""Judge-scored tasks end to end: the evaluated model and the judge are both scripted servers."""

from __future__ import annotations

import re
from pathlib import Path

from support.scripted_server import first_user, reply, scripted_server

from evalkit.cli import main
from evalkit.config import RunConfig
from evalkit.engine.rescore import rescore
from evalkit.engine.run import run
from evalkit.records.io import read_record, read_samples

ANSWERS = {"What is 17 times 23?": "391", "What is 1234 plus 4321?": "5555",
           "What is 2 to the power 12?": "4000", "What is 999 minus 123?": "876"}


def model(body: dict) -> dict:
    return reply(f"I think it is {ANSWERS[first_user(body)]}.")


def judge(body: dict) -> dict:
    prompt = body["messages"][0]["content"]
    reference = re.search(r"\[Reference answer\]\n(.*?)\n", prompt).group(1)
    submitted = re.search(r"\[Submitted answer\]\n(.*?)\n\n", prompt, re.S).group(1)
    if "876" in submitted:
        return reply("I refuse to grade arithmetic.")  # unparseable: excluded, never a 0
    return reply("Reasoning...\nGRADE: " + ("C" if reference in submitted else "I"))


def cfg(tmp_path: Path, fixture_data: Path, fixture_tasks: Path, model_url: str, judge_url: str, **kw) -> RunConfig:
    fields = dict(model="openai-compatible/m", base_url=model_url, tasks=("judged_toy",), data_dir=fixture_data,
                  tasks_dir=(fixture_tasks,), output_dir=tmp_path / "runs", cache_dir=tmp_path / "cache",
                  judge="openai-compatible/judge", judge_args={"base_url": judge_url})
    fields.update(kw)
    return RunConfig(**fields)


def test_judged_run_records_verdicts_and_excludes_unparsed(tmp_path, fixture_data, fixture_tasks):
    with scripted_server(model) as m, scripted_server(judge) as j:
        (out,) = run(cfg(tmp_path, fixture_data, fixture_tasks, m.url, j.url))
    assert len(j.bodies) == 4
    rec = out.record
    assert rec.metrics["accuracy"]["mean"] == round(2 / 3, 6) and rec.metrics["accuracy"]["n"] == 3
    assert rec.metrics["judge_parsed"]["mean"] == 0.75
    assert rec.judge["spec"] == "openai-compatible/judge" and rec.judge["model"] == "judge"
    lines = {ln["id"]: ln for ln in read_samples(out.run_dir)}
    assert lines["a4"]["reason"] == "judge_unparsed" and lines["a4"]["error"] is None
    assert "GRADE: C" in lines["a1"]["details"]["judge_reply"]
    assert "[Submitted answer]\nI think it is 391." in lines["a1"]["details"]["judge_prompt"][0]["content"]
    assert len(lines["a1"]["details"]["judge_prompt_sha256"]) == 64


def test_rescore_reuses_cached_verdicts_unless_told_not_to(tmp_path, fixture_data, fixture_tasks):
    with scripted_server(model) as m, scripted_server(judge) as j:
        (out,) = run(cfg(tmp_path, fixture_data, fixture_tasks, m.url, j.url))
        before = (out.run_dir / "samples.jsonl").read_bytes()
        again = rescore(out.run_dir)
        assert len(j.bodies) == 4  # from the cache
        assert again.metrics == out.record.metrics
        assert (out.run_dir / "samples.jsonl").read_bytes() == before
        rescore(out.run_dir, cache=False)
        assert len(j.bodies) == 8
        assert main(["rescore", str(out.run_dir), "--judge", "openai-compatible/judge-2"]) == 0
        assert len(j.bodies) == 12 and j.bodies[-1]["model"] == "judge-2"
    assert read_record(out.run_dir).judge["model"] == "judge-2"


def test_judge_failures_are_errors_not_zeros(tmp_path, fixture_data, fixture_tasks):
    def broken_judge(body: dict) -> dict:
        if "5555" in body["messages"][0]["content"]:
            return {"role": "assistant", "content": 12}  # wrong shape: transient, retried, then fails
        return judge(body)

    with scripted_server(model) as m, scripted_server(broken_judge) as j:
        (out,) = run(cfg(tmp_path, fixture_data, fixture_tasks, m.url, j.url, max_attempts=2, max_error_rate=0.5))
    lines = {ln["id"]: ln for ln in read_samples(out.run_dir)}
    assert lines["a2"]["error"] and "judge" not in (lines["a2"]["reason"] or "")
    assert lines["a2"]["score"] is None
    assert out.record.counts["errors"] == 1
    assert out.record.metrics["accuracy"]["n"] == 2


def test_a_judged_task_without_a_judge_is_refused_in_one_line(tmp_path, fixture_data, fixture_tasks, capsys):
    code = main(["run", "--model", "mock/echo", "--tasks", "judged_toy", "--data-dir", str(fixture_data),
                 "--tasks-dir", str(fixture_tasks), "--output-dir", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert code == 2 and "pass --judge" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists()


def test_an_unreachable_judge_fails_before_any_request(tmp_path, fixture_data, fixture_tasks, capsys):
    with scripted_server(model) as m:
        code = main(["run", "--model", "openai-compatible/m", "--base-url", m.url, "--tasks", "judged_toy",
                     "--data-dir", str(fixture_data), "--tasks-dir", str(fixture_tasks),
                     "--output-dir", str(tmp_path / "runs"), "--judge", "openai-compatible/j",
                     "-J", "base_url=http://127.0.0.1:9/v1"])
        assert m.bodies == []
    err = capsys.readouterr().err
    assert code == 2 and "the judge cannot be reached" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists()


def test_rescoring_from_cached_verdicts_needs_no_judge_server(tmp_path, fixture_data, fixture_tasks):
    with scripted_server(model) as m, scripted_server(judge) as j:
        (out,) = run(cfg(tmp_path, fixture_data, fixture_tasks, m.url, j.url))
    # Both servers are gone: every verdict comes from the response cache.
    again = rescore(out.run_dir)
    assert again.metrics == out.record.metrics
