"""HTML reports in a real headless Chromium, loaded from file://: filters, search, transcripts,
comparisons, the site, and markup from models that must stay text."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.records.io import read_samples
from evalkit.reports.html import run_report, write_report

expect = pytest.importorskip("playwright.sync_api", reason="pip install playwright").expect


def open_report(page, path: Path):
    page.goto(path.resolve().as_uri())
    page.wait_for_selector("body[data-ready='1']")
    return page


def report(paths, out: Path, page):
    write_report(paths, out)
    return open_report(page, out)


def click_filter(browser, name: str) -> None:
    browser.locator(f"button[data-filter='{name}']").click()


def test_run_report_filters_and_search(runs, tmp_path, page):
    report([runs["mmlu"]], tmp_path / "mmlu.html", page)
    samples = page.locator("[data-browser='samples']")
    expect(samples.locator(".where")).to_have_text("7 of 7 samples · page 1 of 1")
    # Every answer is B: correct exactly where the gold is B.
    right = sum(1 for ln in read_samples(runs["mmlu"]) if ln["target"] == "B")
    assert 0 < right < 7
    expect(samples.locator("button[data-filter='correct']")).to_have_text(f"correct ({right})")
    click_filter(samples, "correct")
    expect(samples).to_have_attribute("data-matching", str(right))
    expect(samples.locator("details.item .badge.correct")).to_have_count(right)
    click_filter(samples, "wrong")
    expect(samples).to_have_attribute("data-matching", str(7 - right))
    click_filter(samples, "error")
    expect(samples.locator("details.item")).to_have_count(0)
    click_filter(samples, "all")
    samples.locator("input.search").fill("Z_5 under addition")
    expect(samples).to_have_attribute("data-matching", "1")
    item = samples.locator("details.item")
    item.locator("summary").click()
    expect(item.locator(".prompt .last .turn.role-user")).to_contain_text("order of the element 2")
    earlier = item.locator("details.earlier")
    expect(earlier.locator("summary")).to_have_text("11 earlier turns (system, few-shot)")
    expect(earlier.locator(".turn.role-system")).to_be_hidden()
    earlier.locator("summary").click()
    expect(earlier.locator(".turn.role-system")).to_contain_text("multiple choice questions")
    # The group tables and their bars are in the page.
    expect(page.locator("table[data-group='subject'] tbody tr")).to_have_count(3)
    expect(page.locator("table.metrics tr.primary")).to_contain_text("accuracy")


def test_transcript_is_shown_as_a_conversation(runs, tmp_path, page, xss):
    report([runs["transcript"]], tmp_path / "t.html", page)
    samples = page.locator("[data-browser='samples']")
    expect(samples.locator("button[data-filter='error']")).to_have_text("error (1)")
    expect(samples.locator("button[data-filter='truncated']")).to_have_text("truncated (1)")
    expect(samples.locator("button[data-filter='no_answer']")).to_have_text("no answer (1)")
    click_filter(samples, "error")
    expect(samples.locator("details.item")).to_have_count(1)
    expect(samples.locator("details.item .sid")).to_have_text("s0001")
    click_filter(samples, "correct")
    first = samples.locator("details.item[data-id='s0000']")
    first.locator("summary").click()
    transcript = first.locator(".conversation.transcript")
    expect(transcript.locator(".turn")).to_have_count(3)
    expect(transcript.locator(".turn.role-assistant .tool-name")).to_have_text("call python")
    expect(transcript.locator(".turn.role-assistant .tool-args")).to_have_text(
        '{"code": "print(6*7)"}'
    )
    tool = transcript.locator(".turn.role-tool")
    expect(tool.locator(".turn-head")).to_contain_text("answers call_1")
    expect(tool.locator(".turn-text")).to_have_text("42\n" + xss)  # text, not markup
    judgment = first.locator("ol.values > li")
    expect(judgment.locator(".conversation.judge .turn.role-user")).to_have_text(
        "userRate the answer 42 to question 0."
    )
    expect(judgment.locator("dl.kv")).to_contain_text("replyThe tool output matches. Rating: [[9]]")
    expect(judgment.locator("dl.kv")).to_contain_text("rating9")
    assert page.evaluate("window.__pwned") is None
    assert tool.locator("script, img").count() == 0


def test_injected_markup_does_not_run(runs, tmp_path, page, xss):
    report([runs["cand"]], tmp_path / "cand.html", page)
    expect(page.locator("header h1")).to_have_text("gsm8k · cand <b>model</b>")
    samples = page.locator("[data-browser='samples']")
    item = samples.locator("details.item").first
    item.locator("summary").click()
    expect(item.locator("pre.completion")).to_have_text(f"{xss} The answer is 42.")
    samples.locator("input.search").fill("onerror")
    expect(samples).to_have_attribute("data-matching", "10")
    assert page.evaluate("window.__pwned") is None
    assert page.locator("main script, main img").count() == 0


def test_comparison_lists_flips_first_with_both_answers(runs, tmp_path, page):
    report([runs["base"], runs["cand"]], tmp_path / "diff.html", page)
    row = page.locator("table.compare tbody tr")
    expect(row.locator("td").nth(0)).to_have_text("gsm8k")
    expect(row.locator("td.mcnemar")).to_have_text("1")  # one lost, one gained
    flips = page.locator("[data-browser='flips-0']")
    expect(flips.locator("button[data-filter='lost']")).to_have_text("lost (1)")
    items = flips.locator("details.item")
    expect(items).to_have_count(2)
    expect(items.nth(0).locator(".badge")).to_have_text("lost")
    items.nth(0).locator("summary").click()
    sides = items.nth(0).locator(".sides")
    expect(sides.locator(".side.base pre.completion")).to_have_text("The answer is 25.")
    expect(sides.locator(".side.cand pre.completion")).to_contain_text("The answer is 42.")
    click_filter(flips, "gained")
    expect(flips.locator("details.item .badge")).to_have_text("gained")
    assert page.evaluate("window.__pwned") is None


def test_site_index_links_every_run_page(runs, tmp_path, page):
    files = write_report([runs["root"]], tmp_path / "site")
    open_report(page, files[0])
    links = page.locator("table.runs a")
    expect(links).to_have_count(len(list(runs["root"].rglob("run.json"))))
    page.locator("table.runs a", has_text=runs["mmlu"].name).click()
    page.wait_for_selector("body[data-ready='1']")
    expect(page.locator("header h1")).to_have_text("mmlu · mock/fixed")
    page.locator("a.home").click()
    expect(page.locator("#leaderboard h2")).to_have_text("Leaderboard")


def test_pages_of_a_large_run_embedded_gzipped(synthetic_run, tmp_path, page):
    html = tmp_path / "big.html"
    html.write_text(
        run_report(synthetic_run(tmp_path / "big", [i % 2 for i in range(130)]), compress_over=0)
    )
    assert 'data-encoding="gzip+base64"' in html.read_text()
    open_report(page, html)
    samples = page.locator("[data-browser='samples']")
    expect(samples.locator(".where")).to_have_text("130 of 130 samples · page 1 of 3")
    expect(samples.locator("details.item")).to_have_count(50)
    samples.locator("button.next").click()
    samples.locator("button.next").click()
    expect(samples.locator(".where")).to_have_text("130 of 130 samples · page 3 of 3")
    expect(samples.locator("details.item")).to_have_count(30)
    expect(samples.locator("button.next")).to_be_disabled()
    expect(samples.locator("details.item .sid").first).to_have_text("s0100")


def test_long_context_heatmap_and_pass_at_k_tables_render(runs, tmp_path, page):
    report([runs["long"]], tmp_path / "long.html", page)
    heatmap = page.locator("#heatmap table.heatmap")
    expect(heatmap.locator("tbody tr")).to_have_count(2)  # depths 0 and 50
    expect(heatmap.locator("thead th")).to_have_text(["depth \\ length", "1000", "4000", "16000"])
    expect(heatmap.locator("tbody tr").nth(1).locator("td").nth(2)).to_have_text("50.0")
    expect(page.locator("#pass-at-k table.passk tbody tr")).to_have_count(2)
    lengths = page.locator("table[data-group='length']")
    first_cells = lengths.locator("tbody tr td:first-child")
    expect(first_cells).to_have_text(["1000", "4000", "16000"])
    lengths.locator("thead th", has_text="score").click()  # highest first
    expect(lengths.locator("tbody tr").last.locator("td").first).to_have_text("16000")
    lengths.locator("thead th", has_text="length").click()
    expect(first_cells).to_have_text(["16000", "4000", "1000"])
    lengths.locator("thead th", has_text="length").click()
    expect(first_cells).to_have_text(["1000", "4000", "16000"])
    samples = page.locator("[data-browser='samples']")
    samples.locator("details.item summary").first.click()
    expect(samples.locator("details.item").first.locator("dl.kv").last).to_contain_text("depth")
