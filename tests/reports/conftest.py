"""Run folders made by the real pipeline, and a real headless Chromium to load reports in.

The browser is Debian's Chromium (``/usr/bin/chromium``, installed by ``.ci/run``; another binary
can be named with ``$EVALKIT_CHROMIUM``), driven by Playwright; nothing is downloaded. Tests that
need it skip, saying why, when either is missing. Each browser test leaves a screenshot in
``$EVALKIT_ARTIFACTS_DIR`` (default: ``screenshots/`` under pytest's temporary folder).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from support.chromium import CHROMIUM_ARGS, find_chromium

from evalkit.cli import main
from evalkit.records.io import read_record, write_record, write_samples_sorted
from evalkit.records.summary import summarize_lines

FIXTURE_DATA = Path(__file__).resolve().parents[1] / "fixtures" / "data"
XSS = "<script>window.__pwned = 'script'</script><img src=x onerror=\"window.__pwned = 'img'\">"
"""Markup a model might write; a report that ran it would set ``window.__pwned``."""


def pipeline_run(out: Path, task: str, *args: str) -> Path:
    """Run ``evalkit run`` on the fixture data with a mock model; return the run folder."""
    argv = ["run", "--tasks", task, "--data-dir", str(FIXTURE_DATA), "--output-dir", str(out)]
    code = main([*argv, "--quiet", "--no-cache", *args])
    assert code == 0
    (run_dir,) = [p for p in out.iterdir() if p.is_dir()]
    return run_dir


def handwritten_run(
    template: Path,
    out: Path,
    lines: list[dict[str, Any]],
    group_by: list[str],
    primary: str = "accuracy",
    **record_fields: Any,
) -> Path:
    """A run folder with hand-written sample lines, its record summarised by evalkit's own code."""
    record = read_record(template)
    task = {**record.task, "group_by": group_by, "primary_metric": primary}
    summary = summarize_lines(lines, group_by, seed=0)
    out.mkdir(parents=True)
    write_samples_sorted(out, lines)
    update = {**summary, "task": task, "run_id": out.name, **record_fields}
    write_record(out, record.model_copy(update=update))
    return out


def rated_lines() -> list[dict[str, Any]]:
    """MT-Bench-style samples rated 1-10 by a judge, one whose rating could not be read."""
    ratings = [9.0, 7.0, 4.0, None]
    out = []
    for i, rating in enumerate(ratings):
        if rating is None:
            metrics, reason, score = {"judge_parsed": 0.0}, "judge_unparsed", 0.0
        else:
            metrics, reason, score = {"score": rating, "judge_parsed": 1.0}, None, rating
        meta = {"category": "writing" if i % 2 else "math"}
        out.append(line(i, score, metrics=metrics, reason=reason, answer=None, metadata=meta))
    return out


def line(i: int, score: float, **extra: Any) -> dict[str, Any]:
    """One samples.jsonl line as the pipeline writes it."""
    base = {
        "id": f"s{i:04d}",
        "index": i,
        "epoch": 0,
        "prompt": [{"role": "user", "content": f"Question {i}?"}],
        "target": str(i),
        "metadata": {},
        "completion": f"The answer is {i if score else -i}.",
        "finish_reason": "stop",
        "latency_s": 0.1,
        "usage": {"input_tokens": 5, "output_tokens": 7},
        "answer": str(i if score else -i),
        "score": score,
        "metrics": {"accuracy": score},
        "weights": None,
        "reason": None,
        "details": None,
        "option_logprobs": None,
        "attempts": 1,
        "error": None,
    }
    merged = {**base, **extra}
    if merged["error"] is not None:
        merged["score"] = None
    return merged


def transcript_lines() -> list[dict[str, Any]]:
    """A tool-using conversation with a judge verdict, a failed sample and a truncated one."""
    transcript = [
        {
            "role": "assistant",
            "content": "Let me compute it.",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "python", "arguments": json.dumps({"code": "print(6*7)"})},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "name": "python", "content": "42\n" + XSS},
        {"role": "assistant", "content": "The answer is 42."},
    ]
    # The shape of evalkit's single-answer judge (scoring/judge/single.py).
    judge = {
        "judgments": [
            {
                "turn": 1,
                "prompt_name": "single-v1",
                "prompt": [
                    {"role": "system", "content": "You are a helpful judge."},
                    {"role": "user", "content": "Rate the answer 42 to question 0."},
                ],
                "reply": "The tool output matches. Rating: [[9]]",
                "rating": 9,
            }
        ]
    }
    return [
        line(
            0,
            1.0,
            transcript=transcript,
            details=judge,
            completion="The answer is 42.",
            answer="42",
            target="42",
        ),
        line(
            1,
            0.0,
            completion=None,
            answer=None,
            metrics=None,
            error="backend error: HTTP 500 after 6 attempts",
            finish_reason=None,
        ),
        line(
            2,
            0.0,
            finish_reason="length",
            answer=None,
            reason="truncated",
            completion="Let me think step by step " * 20,
        ),
        line(3, 1.0),
    ]


def long_context_lines() -> list[dict[str, Any]]:
    """Needle-in-a-haystack samples: 3 lengths x 2 depths, with pass@k metrics."""
    out = []
    for i, (length, depth) in enumerate((n, d) for n in (1000, 4000, 16000) for d in (0, 50)):
        for j in range(2):
            score = 1.0 if (length < 16000 or depth == 0 or j == 0) else 0.0
            metrics = {"accuracy": score, "pass@1": score, "pass@4": 1.0}
            out.append(
                line(2 * i + j, score, metadata={"length": length, "depth": depth}, metrics=metrics)
            )
    return out


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Run folders: two GSM8K runs to compare (the candidate writes markup), MMLU with groups,
    a hand-written transcript run and a long-context run with pass@k."""
    root = tmp_path_factory.mktemp("runs")
    base = pipeline_run(
        root / "base", "gsm8k", "--model", "mock/fixed", "-M", "text=The answer is 25."
    )
    cand = pipeline_run(
        root / "cand",
        "gsm8k",
        "--model",
        "mock/fixed",
        "-M",
        f"text={XSS} The answer is 42.",
        "--model-name",
        "cand <b>model</b>",
    )
    mmlu = pipeline_run(
        root / "mmlu", "mmlu", "--model", "mock/fixed", "-M", "text=The answer is B"
    )
    epochs = pipeline_run(
        root / "epochs",
        "gsm8k",
        "--model",
        "mock/fixed",
        "-M",
        "text=The answer is 25.",
        "--epochs",
        "4",
    )
    rated = handwritten_run(
        base,
        root / "hand" / "rated",
        rated_lines(),
        ["category"],
        primary="score",
        judge={"spec": "mock/judge", "scale": "1-10"},
    )
    return {
        "rated": rated,
        "epochs": epochs,
        "base": base,
        "cand": cand,
        "mmlu": mmlu,
        "transcript": handwritten_run(base, root / "hand" / "transcript", transcript_lines(), []),
        "long": handwritten_run(base, root / "hand" / "long", long_context_lines(), ["length"]),
        "root": root,
    }


@pytest.fixture(scope="session")
def synthetic_run(runs: dict[str, Path]) -> Callable[[Path, Sequence[float]], Path]:
    """Make a run folder of hand-written samples with the given scores (0 or 1 each)."""

    def make(path: Path, scores: Sequence[float]) -> Path:
        lines = [line(i, score) for i, score in enumerate(scores)]
        return handwritten_run(runs["base"], path, lines, [])

    return make


@pytest.fixture(scope="session")
def xss() -> str:
    """The markup the candidate model and the tool result carry."""
    return XSS


def chromium_path() -> str:
    """The Chromium binary to test with, or skip saying why there is none."""
    path = find_chromium()
    if not Path(path).is_file():
        pytest.skip(f"no Chromium at {path} (CI installs Debian's chromium; set $EVALKIT_CHROMIUM)")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium driven by Playwright (never downloaded by Playwright).

    Module-scoped: Playwright's sync API keeps an event loop running in this thread while it
    is open, and every later test that calls ``asyncio.run`` (the engine) would fail.
    """
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="pip install playwright (dev extra)"
    )
    executable = chromium_path()
    # Waits are for conditions, never for time; the long ceiling only matters on a loaded machine.
    sync_api.expect.set_options(timeout=30_000)
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(
    browser: Any, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """A fresh page; script errors fail the test, and a screenshot is kept afterwards."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield pg
    shots = Path(
        os.environ.get("EVALKIT_ARTIFACTS_DIR") or tmp_path_factory.getbasetemp() / "screenshots"
    )
    shots.mkdir(parents=True, exist_ok=True)
    if pg.url.startswith("file:"):
        pg.screenshot(path=str(shots / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert errors == [], f"the page reported errors: {errors}"
