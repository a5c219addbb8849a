"""The generic ``judged`` task: a user's JSONL prompts and rubric templates, no code.

The fixture (tests/fixtures/judged/prompts.jsonl) is what docs/judged.md walks through.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.scripted_server import reply, scripted_server

from evalkit.cli import main
from evalkit.config import RunConfig
from evalkit.engine.run import run
from evalkit.records.io import read_samples
from evalkit.task.spec import packaged_tasks_dir

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "judged" / "prompts.jsonl"
FIELDS = {"data": str(FIXTURE), "prompt_field": "question", "reference_field": "ref",
          "category_field": "topic", "id_field": "key"}
RATINGS = {"capital": "[[9]]", "haiku": "[[4]]", "boil": "I cannot judge this."}


def model(body: dict) -> dict:
    question = body["messages"][-1]["content"]
    return reply("Canberra." if "Australia" in question else f"My answer to '{question[:20]}' is long " * 3)


def rating_judge(body: dict) -> dict:
    content = body["messages"][-1]["content"]
    key = "capital" if "Australia" in content else "haiku" if "haiku" in content else "boil"
    return reply(f"Explanation. Rating: {RATINGS[key]}")


def cfg(tmp_path: Path, url: str, judge_url: str, **kw) -> RunConfig:
    fields = dict(model="openai-compatible/m", base_url=url, tasks=("judged",), task_args=FIELDS,
                  output_dir=tmp_path / "runs", cache_dir=tmp_path / "cache",
                  judge="openai-compatible/judge", judge_args={"base_url": judge_url})
    fields.update(kw)
    return RunConfig(**fields)


def test_own_prompts_rated_with_the_reference_rubric(tmp_path):
    with scripted_server(model) as m, scripted_server(rating_judge) as j:
        (out,) = run(cfg(tmp_path, m.url, j.url))
    rec = out.record
    assert rec.metrics["rating"]["mean"] == 6.5 and rec.metrics["rating"]["n"] == 2
    assert rec.metrics["judge_parsed"]["mean"] == round(2 / 3, 6)
    assert rec.groups["category"]["facts"]["rating"]["mean"] == 9.0
    assert rec.groups["category"]["writing"]["rating"]["mean"] == 4.0
    assert list(rec.judge["prompts_sha256"]) == ["rubric_reference.jinja"]
    lines = {ln["id"]: ln for ln in read_samples(out.run_dir)}
    prompt = lines["capital"]["details"]["judgments"][0]["prompt"]
    rubric = (packaged_tasks_dir() / "judged" / "rubric_reference.jinja").read_text()
    assert len(prompt) == 1 and prompt[0]["content"].startswith(rubric.split("\n")[0])
    assert "[Reference answer]\nThe capital of Australia is Canberra." in prompt[0]["content"]
    assert "[Reply]\nCanberra." in prompt[0]["content"]
    assert lines["boil"]["reason"] == "judge_unparsed" and lines["boil"]["error"] is None


def test_a_users_own_rubric_file(tmp_path):
    rubric = tmp_path / "strict.jinja"
    rubric.write_text("Q: {{ question }}\nA: {{ answer }}\nBe strict. Answer [[1]] to [[10]].\n")
    seen = []

    def judge(body: dict) -> dict:
        seen.append(body["messages"][-1]["content"])
        return reply("[[3]]")

    with scripted_server(model) as m, scripted_server(judge) as j:
        (out,) = run(cfg(tmp_path, m.url, j.url, task_args={**FIELDS, "rubric": str(rubric)}))
    assert out.record.metrics["rating"]["mean"] == 3.0
    assert any(s.startswith("Q: What is the capital of Australia?") for s in seen)
    assert list(out.record.judge["prompts_sha256"]) == ["strict.jinja"]


def test_pairwise_against_the_reference_field(tmp_path):
    def longer_wins(body: dict) -> dict:
        content = body["messages"][-1]["content"]
        a = re.search(r"\[Reply of assistant A\]\n(.*?)\n\n\[Reply of assistant B\]", content, re.S).group(1)
        b = re.search(r"\[Reply of assistant B\]\n(.*?)\n\nCompare", content, re.S).group(1)
        return reply("[[A]]" if len(a) > len(b) else "[[B]]")

    with scripted_server(model) as m, scripted_server(longer_wins) as j:
        (out,) = run(cfg(tmp_path, m.url, j.url, tasks=("judged:pairwise",)))
    assert len(j.bodies) == 6
    rec = out.record
    # 'Canberra.' is shorter than its reference; the two long answers are longer than theirs
    assert rec.metrics["win_rate"]["mean"] == round(2 / 3, 6) and rec.metrics["consistency"]["mean"] == 1.0
    assert rec.judge["against"] == "reference" and "baseline" not in rec.judge
    assert "lc_win_rate" in rec.metrics


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "-T data=FILE.jsonl"),
        (["-T", f"data={FIXTURE}"], "no field 'prompt'"),
        (["-T", f"data={FIXTURE}", "-T", "prompt_field=question", "-T", "rubric=/nonexistent.jinja"], "cannot read"),
        (["-T", "data=/nonexistent.jsonl"], "cannot read"),
    ],
)
def test_mistakes_fail_before_any_request_in_one_line(tmp_path, capsys, args, message):
    code = main(["run", "--model", "mock/echo", "--tasks", "judged", "--judge", "mock/echo",
                 "--output-dir", str(tmp_path / "out"), *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_a_rubric_naming_an_unknown_field_is_refused(tmp_path, capsys):
    rubric = tmp_path / "bad.jinja"
    rubric.write_text("{{ question }} {{ answr }}")
    code = main(["run", "--model", "mock/echo", "--tasks", "judged", "--judge", "mock/echo",
                 "-T", f"data={FIXTURE}", "-T", "prompt_field=question", "-T", f"rubric={rubric}",
                 "--output-dir", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "unknown field 'answr'" in err
