"""The HTML report of a full MMLU run (14,042 samples): file size, build time, time to render.

Builds the run with the real pipeline (``evalkit run --model mock/fixed`` over the MMLU test set
in ``--data-dir``, 5-shot chat prompts as the task renders them), then gives every sample its
own completion, since a real model does not answer 14,042 questions with one text:

* ``short``: a one-line answer naming the option and the start of the question (~120 chars);
* ``cot``: a reasoning paragraph of about 1,000 characters, unique per sample, its words drawn
  from the vocabulary of all the questions.

For each it writes the report with :func:`evalkit.reports.html.run_report` and prints the file
size, the build time, and in headless Chromium (found and launched as the report tests do, see
tests/support/chromium.py; driven by Playwright) the time from navigation start until the first
page of samples is on screen (``performance.now()`` when the page's script has finished), the
load wall time, and how long a search and a filter click over all samples take to update the
page.

    python bench/html_report.py [--data-dir ../shared/data] [--keep DIR]

Targets (issue 18): the file is under 20 MB and renders in under 2 s.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from support.chromium import CHROMIUM_ARGS, find_chromium  # noqa: E402

from evalkit.cli import main as evalkit  # noqa: E402
from evalkit.records.io import read_samples, write_samples_sorted  # noqa: E402
from evalkit.reports.html import run_report  # noqa: E402


def pipeline_run(data_dir: Path, out: Path) -> Path:
    """Run MMLU (all 14,042 test questions) with the mock backend; return the run folder."""
    code = evalkit(
        ["run", "--model", "mock/fixed", "-M", "text=The answer is (B)", "--tasks", "mmlu"]
        + ["--data-dir", str(data_dir), "--output-dir", str(out), "--quiet", "--no-cache"]
    )
    if code != 0:
        sys.exit(f"evalkit run failed with exit code {code}")
    (run_dir,) = [p for p in out.iterdir() if p.is_dir()]
    return run_dir


def _question(line: dict[str, Any]) -> str:
    prompt = line["prompt"]
    return str(prompt[-1]["content"] if isinstance(prompt, list) else prompt)


def with_completions(run_dir: Path, kind: str, seed: int = 0) -> None:
    """Give every sample its own completion (``short`` or ``cot``), in place.

    Reasoning paragraphs draw words at random from the vocabulary of all MMLU questions, so they
    compress about as badly as real text (a small vocabulary would flatter the gzipped size).
    """
    rng = random.Random(seed)
    lines = read_samples(run_dir)
    vocabulary = sorted({w for ln in lines for w in _question(ln).split()})
    for ln in lines:
        start = " ".join(_question(ln).split())[:80]
        if kind == "short":
            ln["completion"] = f"The answer is ({ln['answer']}), since {start}"
        else:
            words = " ".join(rng.choice(vocabulary) for _ in range(150))
            ln["completion"] = f"{start}. {words}. The answer is ({ln['answer']})."
    write_samples_sorted(run_dir, lines)


def render_times(page: object, html: Path) -> dict[str, float]:
    """Load the report in the page; return render, load, search and filter times in ms."""
    started = time.perf_counter()
    page.goto(html.resolve().as_uri())  # type: ignore[attr-defined]
    page.wait_for_selector("body[data-ready='1']")  # type: ignore[attr-defined]
    load_ms = 1000 * (time.perf_counter() - started)
    render_ms = float(page.evaluate("window.__reportRenderMs"))  # type: ignore[attr-defined]
    root = "[data-browser='samples']"
    timed = page.evaluate(  # type: ignore[attr-defined]
        """async (root) => {
          const box = document.querySelector(root);
          // render() sets data-matching every time it runs, even to the same count.
          const rendered = () => new Promise((done, fail) => {
            const watch = new MutationObserver(() => { watch.disconnect(); done(); });
            watch.observe(box, { attributes: true, attributeFilter: ['data-matching'] });
            setTimeout(() => fail(new Error('the page did not update in 60 s')), 60000);
          });
          let t = performance.now(), done = rendered();
          const input = box.querySelector('input.search');
          input.value = 'because';
          input.dispatchEvent(new Event('input'));
          await done;
          const search = performance.now() - t - 120;  // less the typing debounce
          t = performance.now(); done = rendered();
          box.querySelector("button[data-filter='wrong']").click();  // renders at once
          await done;
          const filter = performance.now() - t;
          return { search, filter };
        }""",
        root,
    )
    return {"render": render_ms, "load": load_ms, **timed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--keep", type=Path, help="write the reports into this folder")
    args = parser.parse_args()
    if not (args.data_dir / "mmlu" / "test").is_dir():
        sys.exit(f"no MMLU test set under {args.data_dir} (pass --data-dir)")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        run_dir = pipeline_run(args.data_dir, out / "runs")
        n = len(read_samples(run_dir))
        print(f"pipeline run: {n:,} samples in {time.perf_counter() - started:.1f} s")
        print(
            f"{'completions':<12} {'samples.jsonl':>14} {'report':>9} {'build':>7}"
            f" {'render':>8} {'load':>8} {'search':>8} {'filter':>8}"
        )
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
            for kind in ("short", "cot"):
                with_completions(run_dir, kind)
                started = time.perf_counter()
                text = run_report(run_dir)
                build_s = time.perf_counter() - started
                html = out / f"mmlu-{kind}.html"
                html.write_text(text, encoding="utf-8")
                page = browser.new_page()
                t = render_times(page, html)
                page.close()
                jsonl_mb = (run_dir / "samples.jsonl").stat().st_size / 1e6
                print(
                    f"{kind:<12} {jsonl_mb:>11.1f} MB {html.stat().st_size / 1e6:>6.1f} MB"
                    f" {build_s:>5.2f} s {t['render']:>5.0f} ms {t['load']:>5.0f} ms"
                    f" {t['search']:>5.0f} ms {t['filter']:>5.0f} ms"
                )
            browser.close()
    print("targets: report < 20 MB, render < 2000 ms")


if __name__ == "__main__":
    main()
