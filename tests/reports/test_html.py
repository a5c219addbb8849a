"""HTML reports without a browser: the data blob, sample classification, pages, files and the CLI."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
from pathlib import Path

import pytest

from evalkit.cli import main
from evalkit.errors import ConfigError
from evalkit.records.io import read_record, read_samples
from evalkit.reports.html import run_report, write_report
from evalkit.reports.html_payload import StringTable, sample_entry, sample_flags, script_json


def element(html: str, id: str):
    match = re.search(
        rf'<script type="application/json" id="{id}" data-encoding="([^"]+)">(.*?)</script>',
        html,
        re.S,
    )
    assert match is not None
    if match.group(1) == "gzip+base64":
        return json.loads(gzip.decompress(base64.b64decode(match.group(2))))
    assert match.group(1) == "json"
    return json.loads(match.group(2))


def blob(html: str) -> dict:
    """The report's data document, its texts put back in."""
    return {**element(html, "report-data"), "strings": element(html, "report-strings")}


@pytest.mark.parametrize(
    ("fields", "flags"),
    [
        ({"score": 1.0, "answer": "4"}, ["correct"]),
        ({"score": 0.0, "answer": "5"}, ["wrong"]),
        ({"score": 0.5, "answer": "5"}, ["wrong"]),
        ({"score": 0.0, "answer": None, "reason": "no_answer_found"}, ["wrong", "no_answer"]),
        ({"score": 0.5, "answer": None, "reason": None}, ["wrong"]),  # IFEval extracts nothing
        (
            {"score": 0.0, "answer": None, "reason": "truncated", "finish_reason": "length"},
            ["wrong", "no_answer", "truncated"],
        ),
        ({"score": None, "answer": None, "error": "HTTP 500"}, ["error"]),
        ({"score": 0.0, "answer": "1", "metrics": {"accuracy": 1.0}}, ["correct"]),
    ],
    ids=[
        "correct",
        "wrong",
        "partial",
        "no-answer",
        "nothing-to-extract",
        "truncated",
        "error",
        "metric-over-score",
    ],
)
def test_sample_flags(fields, flags):
    assert sample_flags({"error": None, "finish_reason": "stop", **fields}, "accuracy") == flags


def test_script_json_cannot_close_its_element_and_round_trips():
    doc = {"c": "</script><!-- <script>x</script> & \u2028", "n": [1, 2.5, None]}
    text = script_json(doc)
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == doc
    assert json.loads(script_json({"s": float("nan"), "t": "a\ud800b"})) == {
        "s": None,
        "t": "a\ufffdb",
    }


def test_prompt_turns_are_stored_once(runs):
    lines = read_samples(runs["mmlu"])
    table = StringTable()
    entries = [sample_entry(ln, table, "accuracy") for ln in lines]
    turns = sum(len(ln["prompt"]) for ln in lines)
    # 5-shot prompts of 3 subjects: the few-shot turns repeat within a subject.
    assert len(table.turns) < turns - len(lines) and len(table.strings) < turns - len(lines)
    for entry, ln in zip(entries, lines, strict=True):
        shown = [table.turns[i] for i in entry["p"]]
        assert [(t["role"], table.strings[t["content"]]) for t in shown] == [
            (m["role"], m["content"]) for m in ln["prompt"]
        ]


def test_run_report_is_self_contained_with_a_csp_naming_its_script(runs):
    html = run_report(runs["mmlu"])
    assert not re.search(r'(src|href)="(https?:)?//', html)
    script = re.findall(r"<script>(.*?)</script>", html, re.S)
    assert len(script) == 1
    digest = base64.b64encode(hashlib.sha256(script[0].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in html
    assert "default-src 'none'" in html


def test_run_report_shows_card_metrics_and_groups(runs):
    html = run_report(runs["mmlu"])
    for text in (
        "mock/fixed",
        "local:mmlu/test/*_test.csv",
        "By subject",
        "By category",
        "abstract_algebra",
        "mean over subject",
    ):
        assert text in html, text
    data = blob(html)
    items = data["browsers"]["samples"]["items"]
    assert len(items) == 7
    assert {i["a"] for i in items} == {"B"}


def test_large_data_is_embedded_gzipped_and_decodes_to_the_same(runs):
    plain, packed = run_report(runs["mmlu"]), run_report(runs["mmlu"], compress_over=0)
    assert 'data-encoding="json"' in plain and 'data-encoding="gzip+base64"' in packed
    assert blob(packed) == blob(plain)
    assert run_report(runs["mmlu"], compress_over=0) == packed  # deterministic (no gzip mtime)


def test_text_from_models_is_escaped_on_the_server_side(runs, xss):
    html = run_report(runs["cand"])
    assert "cand <b>model</b>" not in html and "cand &lt;b&gt;model&lt;/b&gt;" in html
    assert xss not in html  # the completion travels escaped inside the JSON blob only
    completions = {
        blob(html)["strings"][i["c"]] for i in blob(html)["browsers"]["samples"]["items"]
    }
    assert completions == {f"{xss} The answer is 42."}


def test_long_context_heatmap_and_pass_at_k(runs):
    html = run_report(runs["long"])
    grid = re.search(r'<table class="heatmap">(.*?)</table>', html, re.S).group(1)
    headers = re.findall(r"<th>([^<]*)</th>", grid)
    assert headers == ["depth \\ length", "1000", "4000", "16000", "0", "50"]
    cells = re.findall(r'<td[^>]*title="n = (\d+)">([^<]*)</td>', grid)
    assert cells == [("2", "100.0")] * 3 + [("2", "100.0"), ("2", "100.0"), ("2", "50.0")]
    passk = re.search(r'<table class="data passk">(.*?)</table>', html, re.S).group(1)
    rows = re.findall(r'<tr><td class="num">(\d+)</td><td class="num">([^<]*)</td>', passk)
    assert rows == [("1", "91.7"), ("4", "100.0")]
    lengths = re.search(r'<table class="data groups" data-group="length">(.*?)</table>', html, re.S)
    assert re.findall(r"<tr><td>(\d+)</td>", lengths.group(1)) == ["1000", "4000", "16000"]


def test_epochs_run_shows_its_pass_at_k_and_spread(runs):
    record = read_record(runs["epochs"])
    html = run_report(runs["epochs"])
    passk = re.search(r'<table class="data passk">(.*?)</table>', html, re.S).group(1)
    rows = re.findall(r'<tr><td class="num">(\d+)</td><td class="num">([^<]*)</td>', passk)
    ks = sorted(int(k.split("@")[1]) for k in record.metrics if k.startswith("pass@"))
    assert [int(k) for k, _ in rows] == ks == [1, 2, 4]
    assert [v for _, v in rows] == [f"{100 * record.metrics[f'pass@{k}']['mean']:.1f}" for k in ks]
    assert "per epoch 10.0, 10.0, 10.0, 10.0; SD 0.0" in html
    samples = blob(html)["browsers"]["samples"]["items"]
    assert len(samples) == 40 and sorted({s.get("ep", 0) for s in samples}) == [0, 1, 2, 3]


def test_a_run_still_running_is_reported_with_a_warning(runs, tmp_path):
    import shutil

    from evalkit.records.io import write_record

    run = tmp_path / "running"
    shutil.copytree(runs["base"], run)
    write_record(run, read_record(run).model_copy(update={"status": "running"}))
    html = run_report(run)
    assert "This run is running: the numbers cover only the samples on disk." in html
    assert len(blob(html)["browsers"]["samples"]["items"]) == len(read_samples(run))


def test_judge_ratings_are_shown_on_their_scale(runs):
    record = read_record(runs["rated"])
    html = run_report(runs["rated"])
    score = record.metrics["score"]
    assert score["mean"] == pytest.approx(20 / 3)  # the unparsed rating is left out, not a 0
    row = f'<td class="num">{score["mean"]:.2f}</td><td class="num">[{score["ci_low"]:.2f}, '
    assert row in html
    assert f'style="width: {round(10 * score["mean"], 2)}%"' in html
    parsed = record.metrics["judge_parsed"]["mean"]
    assert f'<td class="num">{100 * parsed:.1f}</td>' in html  # a share: in points
    math = record.groups["category"]["math"]["score"]
    assert math["mean"] == 6.5  # ratings 9 and 4
    cells = f'<td class="num">{math["n"]}</td><td class="num">6.50</td>'
    assert f"<tr><td>math</td>{cells}" in html
    samples = blob(html)["browsers"]["samples"]
    assert samples["filters"][0] == ["rated", "rated"]
    assert [i["st"] for i in samples["items"]] == [["rated"]] * 3 + [["unrated"]]


@pytest.mark.parametrize("name", ["mmlu", "transcript", "long", "cand"])
def test_filter_counts_agree_with_the_run_record(runs, name):
    record = read_record(runs[name])
    items = blob(run_report(runs[name]))["browsers"]["samples"]["items"]
    flagged = {
        f: sum(1 for i in items if f in i["st"]) for f in ("no_answer", "truncated", "error")
    }
    counts = record.counts
    assert flagged == {
        "no_answer": counts["no_answer"],
        "truncated": counts["truncated"],
        "error": counts["errors"],
    }


def test_write_report_forms_and_refusals(runs, tmp_path):
    assert write_report([runs["base"]], tmp_path / "one.html") == [tmp_path / "one.html"]
    assert write_report([runs["base"], runs["cand"]], tmp_path / "diff.html") == [
        tmp_path / "diff.html"
    ]
    site = write_report([runs["root"] / "base"], tmp_path / "site")
    assert site[0] == tmp_path / "site" / "index.html" and len(site) == 2
    with pytest.raises(ConfigError, match="one run folder, two runs"):
        write_report([runs["base"]] * 3, tmp_path / "x.html")
    with pytest.raises(ConfigError, match="is a folder"):
        write_report([runs["base"]], tmp_path)
    with pytest.raises(ConfigError, match="gives a site; name a folder"):
        write_report([runs["root"] / "base"], tmp_path / "one.html")  # exists: a file
    with pytest.raises(ConfigError, match="gives a site; name a folder"):
        write_report([runs["root"] / "base"], tmp_path / "new.html")


def test_comparison_report_reuses_compare(runs, tmp_path):
    from evalkit.reports.compare import compare

    out = tmp_path / "diff.html"
    assert main(["report", str(runs["base"]), str(runs["cand"]), "-o", str(out)]) == 0
    html = out.read_text()
    (task,) = compare(runs["base"], runs["cand"]).tasks
    assert f'<td class="num mcnemar">{task.mcnemar_p:.3g}</td>' in html
    flips = blob(html)["browsers"]["flips-0"]["items"]
    assert [(f["id"], f["st"]) for f in flips] == [
        (f.id, ["lost" if f.lost else "gained"])
        for f in sorted(task.pairing.flips, key=lambda f: not f.lost)
    ]
    assert flips[0]["st"] == ["lost"] and flips[0]["b"]["a"] == "25" and flips[0]["c"]["a"] == "42"


def test_cli_report_and_site(runs, tmp_path, capsys):
    assert main(["report", str(runs["mmlu"]), "-o", str(tmp_path / "r.html")]) == 0
    assert (tmp_path / "r.html").read_text().startswith("<!doctype html>")
    assert main(["report", str(runs["root"]), "-o", str(tmp_path / "site")]) == 0
    index = (tmp_path / "site" / "index.html").read_text()
    pages = sorted(p.name for p in (tmp_path / "site" / "runs").iterdir())
    assert len(pages) == len(list(runs["root"].rglob("run.json")))
    assert all(f'href="runs/{p}"' in index for p in pages)
    judged = index.split('<table class="data leaderboard judged">', 1)[1].split("</table>", 1)[0]
    score = read_record(runs["rated"]).metrics["score"]
    assert f">{score['mean']:.2f} [{score['ci_low']:.2f}, {score['ci_high']:.2f}]</a>" in judged
    capsys.readouterr()
    assert main(["report", str(tmp_path / "nowhere"), "-o", str(tmp_path / "x")]) == 2
    assert "nowhere" in capsys.readouterr().err


def test_gate_html_carries_the_verdict(runs, tmp_path, capsys):
    out = tmp_path / "gate.html"
    code = main(
        [
            "gate",
            "--baseline",
            str(runs["base"]),
            "--candidate",
            str(runs["cand"]),
            "--html",
            str(out),
        ]
    )
    assert code == 0  # one lost and one gained item: no significant drop
    html = out.read_text()
    assert "evalkit gate passed" in html and '<td class="good">pass</td>' in html
    assert str(out) in capsys.readouterr().out


def test_gate_html_of_a_regression_names_the_failed_task(synthetic_run, tmp_path, capsys):
    base = synthetic_run(tmp_path / "base", [1.0] * 40)
    cand = synthetic_run(tmp_path / "cand", [1.0] * 10 + [0.0] * 30)
    out = tmp_path / "gate.html"
    argv = ["gate", "--baseline", str(base), "--candidate", str(cand), "--html", str(out)]
    assert main(argv) == 1  # the page is written before the gate fails the job
    html = out.read_text()
    assert '<span class="badge lost">FAIL</span> evalkit gate failed: 1 of 1 task regressed' in html
    assert '<td class="bad">regressed</td>' in html
    assert blob(html)["browsers"]["flips-0"]["filters"] == [["lost", "lost"], ["gained", "gained"]]
    assert len(blob(html)["browsers"]["flips-0"]["items"]) == 30


def test_published_ifeval_run_folds_its_per_instruction_metrics():
    baseline = Path(__file__).resolve().parents[2] / "results" / "baseline"
    runs = [p.parent for p in baseline.glob("*/run.json") if "ifeval" in p.parent.name]
    if not runs:
        pytest.skip("no committed IFEval baseline run")
    html = run_report(runs[0])
    main_table, folded = html.split('<details class="sub-metrics">', 1)
    assert "prompt_strict" in main_table and "inst_strict/" not in main_table
    assert "inst_strict/punctuation:no_comma" in folded.split("</details>", 1)[0]
    assert "A published copy" in html
