"""The regression gate on synthetic runs: verdicts, refusals, Holm, reports, CLI exit codes."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from support.synthetic_runs import sample_lines, simulated_pair, write_run

from evalkit.cli import main
from evalkit.errors import ConfigError, GateFailed
from evalkit.reports.gate import check, gate, holm, junit_xml, summary_markdown
from evalkit.stats.paired import paired_drop_test

N = 1319


def _pair_dirs(tmp_path, base, cand, **cand_kw):
    write_run(tmp_path / "baseline", "base-gsm8k", sample_lines(base))
    write_run(
        tmp_path / "candidate", "cand-gsm8k", sample_lines(cand), model="mock/beta", **cand_kw
    )
    return tmp_path / "baseline", tmp_path / "candidate"


def test_real_three_point_drop_fails(tmp_path):
    base, cand = simulated_pair(42, drop=0.03)
    report = gate(*_pair_dirs(tmp_path, base, cand), max_drop=1.0, alpha=0.05)
    (task,) = report.tasks
    assert task.failed and not report.passed
    assert task.test.method == "score" and task.test.n == N
    assert task.pvalue == task.test.pvalue < 0.05  # one task: Holm changes nothing
    assert task.comparison.diff.diff == pytest.approx(-0.025, abs=0.01)
    with pytest.raises(GateFailed, match=r"gate failed: 1 of 1 task regressed \(gsm8k\)"):
        check(report)


@pytest.mark.parametrize("seed", range(8))
def test_rerun_with_different_noise_passes(tmp_path, seed):
    base, cand = simulated_pair(seed)
    report = gate(*_pair_dirs(tmp_path, base, cand))
    assert report.passed, summary_markdown(report)
    check(report)  # does not raise
    assert report.tasks[0].comparison.lost > 10  # the runs do differ item by item


def test_drop_within_the_margin_passes(tmp_path):
    base, cand = simulated_pair(3, drop=0.03)
    assert not gate(*_pair_dirs(tmp_path, base, cand), max_drop=5.0).tasks[0].failed


@pytest.mark.parametrize(
    ("cand_kw", "reason"),
    [
        ({"version": "2"}, "task version differs: baseline 1, candidate 2"),
        ({"dataset": {"sha256": "e" * 64}}, "dataset fingerprint (sha256) differs"),
        ({"dataset": {"selection_sha256": "6" * 64}}, "sample set (selection_sha256) differs"),
        ({"params": {"num_fewshot": 5}}, "task parameters differs"),
    ],
    ids=["version", "data", "sample-set", "params"],
)
def test_incomparable_runs_are_refused_with_a_reason(tmp_path, capsys, cand_kw, reason):
    base, cand = simulated_pair(1)
    dirs = _pair_dirs(tmp_path, base, cand, **cand_kw)
    with pytest.raises(ConfigError, match="refuses incomparable runs") as err:
        gate(*dirs)
    assert reason in str(err.value)
    code = main(["gate", "--baseline", str(dirs[0]), "--candidate", str(dirs[1])])
    assert code == 2 and reason in capsys.readouterr().err


def test_missing_candidate_task_or_unmatched_samples_are_refused(tmp_path):
    base, cand = simulated_pair(1)
    write_run(tmp_path / "b", "b1", sample_lines(base), label="gsm8k")
    write_run(tmp_path / "b", "b2", sample_lines(base[:100]), label="mmlu")
    write_run(tmp_path / "c", "c1", sample_lines(cand), label="gsm8k")
    with pytest.raises(ConfigError, match="mmlu: no candidate run"):
        gate(tmp_path / "b", tmp_path / "c")
    failed = [{**ln, "error": "timeout", "metrics": None} for ln in sample_lines(cand)]
    write_run(tmp_path / "d", "d1", failed)
    with pytest.raises(ConfigError, match="gsm8k: no sample scored in both runs"):
        gate(tmp_path / "b" / "b1", tmp_path / "d")


def test_invalid_margin_or_level(tmp_path):
    dirs = _pair_dirs(tmp_path, *simulated_pair(1))
    for kw in ({"max_drop": -1.0}, {"max_drop": 100.0}, {"alpha": 0.0}, {"alpha": 1.5}):
        with pytest.raises(ConfigError):
            gate(*dirs, **kw)


def test_holm_adjusted_pvalues():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.001]) == pytest.approx([0.5, 0.002])
    assert holm([0.6, 0.7]) == pytest.approx([1.0, 1.0])  # 2 * 0.6 capped at 1, then monotone
    assert holm([]) == []


def _borderline(lost=48, gained=20):
    """0/1 runs whose drop test against a 1-point margin gives p of about 0.033."""
    base = [1.0] * lost + [0.0] * gained + [1.0] * (N - lost - gained)
    cand = [0.0] * lost + [1.0] * gained + [1.0] * (N - lost - gained)
    return base, cand


def test_holm_correction_across_tasks(tmp_path):
    base, cand = _borderline()
    raw = paired_drop_test(base, cand, margin=0.01).pvalue
    assert 0.025 < raw < 0.05
    for label in ("gsm8k", "mmlu"):
        write_run(tmp_path / "b", f"b-{label}", sample_lines(base), label=label)
        write_run(tmp_path / "c", f"c-{label}", sample_lines(cand), label=label)
    corrected = gate(tmp_path / "b", tmp_path / "c")
    assert corrected.passed
    assert [t.pvalue for t in corrected.tasks] == pytest.approx([2 * raw, 2 * raw])
    uncorrected = gate(tmp_path / "b", tmp_path / "c", correction="none")
    assert [t.label for t in uncorrected.failures] == ["gsm8k", "mmlu"]


def test_reports_summary_and_junit(tmp_path):
    base, cand = simulated_pair(42, drop=0.03)
    write_run(tmp_path / "b", "b1", sample_lines(base), label="gsm8k")
    write_run(tmp_path / "b", "b2", sample_lines(base[:200]), label="ifeval")
    answers = [None if v == 0 else str(i) for i, v in enumerate(cand)]
    write_run(tmp_path / "c", "c1", sample_lines(cand, answers=answers), label="gsm8k")
    write_run(tmp_path / "c", "c2", sample_lines(base[:200]), label="ifeval")
    write_run(tmp_path / "c", "c3", sample_lines(base[:50]), label="arc")
    report = gate(tmp_path / "b", tmp_path / "c")
    assert report.ungated == ("arc",)
    assert [(t.label, t.failed) for t in report.tasks] == [("gsm8k", True), ("ifeval", False)]
    md = summary_markdown(report, max_flips=3)
    assert md.startswith("## ❌ evalkit gate failed: 1 of 2 tasks regressed (gsm8k)")
    assert "| gsm8k | ❌ regressed |" in md and "| ifeval | ✅ pass |" in md
    assert "Not gated (no baseline run): arc." in md
    assert "<details><summary>gsm8k:" in md and "| lost | " in md and "(none) |" in md
    suite = ET.fromstring(junit_xml(report))
    assert suite.tag == "testsuite"
    assert {k: suite.get(k) for k in ("tests", "failures", "skipped")} == {
        "tests": "3",
        "failures": "1",
        "skipped": "1",
    }
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert cases["gsm8k"].find("failure") is not None
    assert "gsm8k: 74.53 -> " in cases["gsm8k"].find("failure").get("message")
    assert cases["ifeval"].find("failure") is None
    assert cases["arc"].find("skipped") is not None


def test_cli_gate_exit_codes_and_files(tmp_path, capsys):
    base, cand = simulated_pair(42, drop=0.03)
    baseline, candidate = _pair_dirs(tmp_path, base, cand)
    summary, junit = tmp_path / "out" / "gate.md", tmp_path / "out" / "junit.xml"
    argv = ["gate", "--baseline", str(baseline), "--candidate", str(candidate)]
    code = main([*argv, "--summary", str(summary), "--junit", str(junit)])
    out, err = capsys.readouterr()
    assert code == 1
    assert err.startswith("evalkit: error: gate failed: 1 of 1 task regressed (gsm8k)")
    assert "❌ regressed" in out and summary.read_text(encoding="utf-8") == out
    assert ET.parse(junit).getroot().get("failures") == "1"
    assert main([*argv, "--max-drop", "5"]) == 0
    assert "✅ evalkit gate passed" in capsys.readouterr().out
    assert main([*argv, "--alpha", "2"]) == 2
    assert "--alpha must be between 0 and 1" in capsys.readouterr().err


def test_gate_accepts_single_run_folders(tmp_path):
    base, cand = simulated_pair(5)
    b = write_run(tmp_path, "base-run", sample_lines(base))
    c = write_run(tmp_path, "cand-run", sample_lines(cand))
    report = gate(b, c)
    assert report.passed and report.tasks[0].comparison.base.path == b
