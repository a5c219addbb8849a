"""What a person sees in a terminal: the closing rich table (checked in a real pseudo-terminal),
colour only without NO_COLOR, markdown when piped, and `list tasks --verbose`."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys

from rich.console import Console

from evalkit.cli import main
from evalkit.config import RunConfig
from evalkit.engine.run import run
from evalkit.reports.table import build_table, to_rich


def run_in_terminal(argv: list[str], env: dict[str, str]) -> str:
    """Run the CLI with stdout and stderr on a pseudo-terminal; return everything it wrote."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "evalkit.cli", *argv], stdin=subprocess.DEVNULL,
                            stdout=follower, stderr=follower, env={**os.environ, **env, "COLUMNS": "160"})
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(leader)
    assert proc.returncode == 0, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks).decode(errors="replace")


def cli_args(tmp_path, fixture_data, fixture_tasks) -> list[str]:
    return ["run", "--model", "mock/echo", "--tasks", "echo_exact,arith", "--data-dir", str(fixture_data),
            "--tasks-dir", str(fixture_tasks), "--output-dir", str(tmp_path / "runs"), "--no-cache"]


def test_a_terminal_gets_one_rich_table_in_percent(tmp_path, fixture_data, fixture_tasks):
    out = run_in_terminal(cli_args(tmp_path, fixture_data, fixture_tasks), {"NO_COLOR": "1"})
    table = out[out.index("evalkit results"):]
    header = next(line for line in table.splitlines() if "task" in line and "model" in line)
    assert "│" in header or "┃" in header  # a drawn table, not markdown pipes
    assert "| task" not in out
    row = next(line for line in table.splitlines() if "echo_exact" in line)
    assert "100.00 [100.00, 100.00]" in row
    # The per-task summary lines use the same units as the table.
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out)
    assert re.search(r"echo_exact: accuracy 100\.00 \[100\.00, 100\.00\]", text), text


def test_colour_only_without_no_color(tmp_path, fixture_data, fixture_tasks):
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    coloured = run_in_terminal(cli_args(tmp_path, fixture_data, fixture_tasks), {**env, "TERM": "xterm-256color"})
    plain = run_in_terminal(cli_args(tmp_path, fixture_data, fixture_tasks), {"NO_COLOR": "1", "TERM": "xterm-256color"})
    # NO_COLOR removes colour (foreground codes 30-37, 90-97, 38;...); bold may stay.
    colour_codes = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-8]|9[0-7])(?:;[0-9;]*)?m")
    assert colour_codes.search(coloured)
    assert not colour_codes.search(plain)


def test_piped_output_is_markdown_and_formats_can_be_asked_for(tmp_path, fixture_data, fixture_tasks, capsys):
    assert main([*cli_args(tmp_path, fixture_data, fixture_tasks)]) == 0
    err = capsys.readouterr().err
    assert "| task |" in err or "| run |" in err
    assert main([*cli_args(tmp_path, fixture_data, fixture_tasks), "--format", "csv", "--quiet"]) == 0
    assert "run,model,task" in capsys.readouterr().err


def test_rich_table_shape(tmp_path, fixture_data, fixture_tasks):
    outcomes = run(RunConfig(model="mock/echo", tasks=("echo_exact",), data_dir=fixture_data,
                             tasks_dir=(fixture_tasks,), output_dir=tmp_path / "runs"))
    console = Console(record=True, width=160, force_terminal=False)
    console.print(to_rich(build_table([o.run_dir for o in outcomes])))
    lines = console.export_text().splitlines()
    assert lines[0].startswith("evalkit results (percent, 95% CI)")
    header = lines[2]
    assert [h.strip() for h in header.strip("┃│ ").split("┃")][:3] == ["model", "task", "version"] or "task" in header
    assert any("echo_exact" in ln and "100.00" in ln for ln in lines)


def test_list_tasks_verbose_shows_parameters_and_variants(capsys):
    assert main(["list", "tasks", "--verbose"]) == 0
    out = capsys.readouterr().out
    block = out[out.index("\nmath500 "):]
    assert "-T user_template=zeroshot_cot.jinja" in block and "-T separator='\\n\\n'" in block
    assert ":code_interpreter solver=tool_loop" in block
    assert ":minerva_4shot" in block
