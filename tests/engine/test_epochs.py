"""Repeated sampling (``--epochs N``): every sample asked N times with its own seed, per-epoch
answers kept, and maj@N, pass@k and the spread over epochs computed from them."""

from __future__ import annotations

import json

from support.scripted_server import first_user, reply, scripted_server

from evalkit.cli import main
from evalkit.records.io import read_record, read_samples
from evalkit.stats.passk import pass_at_k

# Per question, the answer given at each seed offset (epoch): a1 right 2 of 3 (majority right),
# a2 right 1 of 3 (majority wrong), a3 always right, a4 a tie between a wrong and a right answer
# broken by the earliest epoch (wrong first), with one draw without an answer.
ANSWERS = {
    "What is 17 times 23?": ["391", "390", "391"],
    "What is 1234 plus 4321?": ["5555", "5554", "5554"],
    "What is 2 to the power 12?": ["4096", "4096", "4096"],
    "What is 999 minus 123?": ["875", "876", None],
}


def script(body: dict) -> dict:
    epoch = body["seed"] - 1234
    answer = ANSWERS[first_user(body)][epoch]
    return reply(f"The answer is {answer}." if answer else "I do not know.")


def run_cli(tmp_path, fixture_data, fixture_tasks, url, *extra):
    return main(["run", "--model", "openai-compatible/s", "--base-url", url, "--tasks", "arith",
                 "--data-dir", str(fixture_data), "--tasks-dir", str(fixture_tasks), "--temperature", "0.7",
                 "--output-dir", str(tmp_path / "runs"), "--cache-dir", str(tmp_path / "cache"), "--quiet", *extra])


def test_epochs_give_majority_vote_pass_at_k_and_spread(tmp_path, fixture_data, fixture_tasks, capsys):
    with scripted_server(script) as server:
        assert run_cli(tmp_path, fixture_data, fixture_tasks, server.url, "--epochs", "3") == 0
        assert len(server.bodies) == 12
        assert sorted({b["seed"] for b in server.bodies}) == [1234, 1235, 1236]
    capsys.readouterr()
    (run_dir,) = (tmp_path / "runs").iterdir()
    record = read_record(run_dir)
    lines = read_samples(run_dir)
    assert sorted((ln["id"], ln["epoch"]) for ln in lines) == [(k, e) for k in ("a1", "a2", "a3", "a4") for e in range(3)]
    m = record.metrics
    # The per-draw mean, with its interval and n over the 4 items (draws of one item are not
    # independent evidence); the counts still count the 12 draws.
    assert m["flexible"]["mean"] == round(7 / 12, 6) and m["flexible"]["n"] == 4
    assert record.counts["scored"] == 12
    assert m["maj@3"]["mean"] == 0.5  # a1 and a3
    assert m["maj@3"]["n"] == 4
    expected = [pass_at_k(3, c, 1) for c in (2, 1, 3, 1)]
    assert m["pass@1"]["mean"] == round(sum(expected) / 4, 6)
    assert m["pass@3"]["mean"] == 1.0
    assert m["pass@2"]["mean"] == round(sum(pass_at_k(3, c, 2) for c in (2, 1, 3, 1)) / 4, 6)
    spread = m["flexible:epochs"]
    assert spread["per_epoch"] == [0.75, 0.5, 0.5] and spread["n"] == 3
    assert spread["mean"] == round(1.75 / 3, 6)
    assert spread["std"] == round((((0.75 - 1.75 / 3) ** 2 + 2 * (0.5 - 1.75 / 3) ** 2) / 2) ** 0.5, 6)
    assert record.config["epochs"] == 3
    assert main(["table", str(run_dir)]) == 0
    table = capsys.readouterr().out
    assert "| 58.33 ± 14.43 |" in table  # flexible:epochs, mean ± std over the epochs' means


def test_one_epoch_adds_no_epoch_metrics_and_compare_pairs_items(tmp_path, fixture_data, fixture_tasks, capsys):
    with scripted_server(script) as server:
        assert run_cli(tmp_path, fixture_data, fixture_tasks, server.url) == 0
        assert run_cli(tmp_path, fixture_data, fixture_tasks, server.url, "--epochs", "3") == 0
    capsys.readouterr()
    one, three = sorted((tmp_path / "runs").iterdir(), key=lambda p: read_record(p).config["epochs"])
    assert not any("@" in k or ":epochs" in k for k in read_record(one).metrics)
    assert main(["compare", str(one), str(three), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    (task,) = report["tasks"]
    # (id, epoch) pairs: the one-epoch run's 4 items meet epoch 0 of the other (same seed, same
    # answers); the other epochs have no partner and are counted, not paired.
    assert task["n"] == 4 and task["candidate_only"] == 8 and task["diff"]["diff"] == 0.0


def test_bad_epochs_are_one_line_errors(tmp_path, fixture_data, fixture_tasks, capsys):
    assert run_cli(tmp_path, fixture_data, fixture_tasks, "http://127.0.0.1:9/v1", "--epochs", "0") == 2
    err = capsys.readouterr().err
    assert "--epochs" in err and len(err.strip().splitlines()) == 1
