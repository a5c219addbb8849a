"""The command line: exit codes, one-line errors, and the run → table → rescore loop."""

import hashlib
import json
import os
import socket
import subprocess
import sys

import pytest

from evalkit.cli import main


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def base_args(tmp_path, fixture_data, fixture_tasks):
    return [
        "--tasks-dir",
        str(fixture_tasks),
        "--data-dir",
        str(fixture_data),
        "--output-dir",
        str(tmp_path / "runs"),
        "--quiet",
    ]


def run_cli(capsys, *argv):
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse rejects the flag before evalkit runs
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def digest_tree(path):
    h = hashlib.sha256()
    for f in sorted(path.rglob("*")):
        if f.is_file():
            h.update(f.name.encode() + f.read_bytes())
    return h.hexdigest()


def test_run_table_rescore(capsys, tmp_path, base_args):
    code, out, _ = run_cli(
        capsys, "run", "--model", "mock/echo", "--tasks", "echo_exact", *base_args
    )
    assert code == 0
    run_dir = out.strip()
    code, out, _ = run_cli(capsys, "table", run_dir, "--format", "json")
    rows = json.loads(out)
    assert code == 0 and rows[0]["accuracy"] == 1.0 and rows[0]["n"] == 10
    code, out, _ = run_cli(capsys, "table", run_dir, "--format", "csv")
    assert out.splitlines()[0].startswith("run,model,task,version,n,errors")
    code, out, _ = run_cli(capsys, "rescore", run_dir, "--data-dir", base_args[3])
    assert code == 0 and "100.00" in out


BAD = [
    (
        ["run", "--model", "mock/echo", "--tasks", "echo_exactt"],
        2,
        "unknown task 'echo_exactt'. Did you mean 'echo_exact'",
    ),
    (["run", "--model", "mokc/echo", "--tasks", "echo_exact"], 2, "unknown provider 'mokc'"),
    (["run", "--model", "echo", "--tasks", "echo_exact"], 2, "expected PROVIDER/MODEL"),
    (
        ["run", "--model", "mock/echo", "--tasks", "echo_exact", "--concurrency", "0"],
        2,
        "invalid --concurrency",
    ),
    (
        ["run", "--model", "mock/echo", "--tasks", "echo_exact", "--limit", "abc"],
        2,
        "invalid int value",
    ),
    (
        ["run", "--model", "mock/echo", "--tasks", "echo_exact", "--max-error-rate", "2"],
        2,
        "invalid --max-error-rate",
    ),
    (
        ["run", "--model", "mock/echo", "--tasks", "echo_exact", "-T", "nope=1"],
        2,
        "has no parameter 'nope'",
    ),
    (["run", "--model", "mock/echo", "--tasks", "echo_exact:v9"], 2, "has no variant 'v9'"),
    (
        ["run", "--model", "mock/echo", "--tasks", "echo_exact", "-M", "novalue"],
        2,
        "expected KEY=VALUE",
    ),
    (["run", "--model", "openai-compatible/x", "--tasks", "echo_exact"], 2, "needs --base-url"),
    (
        ["run", "--model", "replay/nowhere.jsonl", "--tasks", "echo_exact"],
        2,
        "replay file 'nowhere.jsonl' not found",
    ),
    (["table", "/nonexistent/run"], 2, "is not a run folder"),
]


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    BAD,
    ids=[m.split("'")[0][:30] + str(i) for i, (_, _, m) in enumerate(BAD)],
)
def test_bad_input_one_line_and_exit_code(capsys, base_args, argv, code, message):
    extra = base_args if argv[0] == "run" else []
    got, _, err = run_cli(capsys, *argv, *extra)
    assert got == code
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_openai_without_key_is_a_user_error(capsys, base_args, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    code, _, err = run_cli(
        capsys, "run", "--model", "openai/gpt-4o-mini", "--tasks", "echo_exact", *base_args
    )
    assert code == 2 and "$OPENAI_API_KEY is not set" in err


def test_missing_data_and_bad_data_dir(capsys, tmp_path, base_args):
    empty = tmp_path / "empty"
    empty.mkdir()
    args = list(base_args)
    args[3] = str(empty)
    code, _, err = run_cli(capsys, "run", "--model", "mock/echo", "--tasks", "echo_exact", *args)
    assert code == 2 and "no data at" in err
    args[3] = str(tmp_path / "missing")
    code, _, err = run_cli(capsys, "run", "--model", "mock/echo", "--tasks", "echo_exact", *args)
    assert code == 2 and "does not exist" in err


def test_unreachable_server_exits_3_and_keeps_earlier_results(capsys, tmp_path, base_args):
    code, out, _ = run_cli(
        capsys, "run", "--model", "mock/echo", "--tasks", "echo_exact", *base_args
    )
    before = digest_tree(tmp_path / "runs")
    url = f"http://127.0.0.1:{free_port()}/v1"
    code, _, err = run_cli(
        capsys,
        "run",
        "--model",
        "openai-compatible/m",
        "--base-url",
        url,
        "--tasks",
        "echo_exact",
        *base_args,
    )
    assert code == 3
    assert "cannot reach http://127.0.0.1" in err and len(err.strip().splitlines()) == 1
    assert digest_tree(tmp_path / "runs") == before


def test_subprocess_bad_input_has_no_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "evalkit.cli", "run", "--model", "mock/echo", "--tasks", "nope"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("evalkit: error: unknown task 'nope'")
    assert "Traceback" not in proc.stderr


def test_list_tasks(capsys):
    code, out, _ = run_cli(capsys, "list", "tasks")
    assert code == 0 and out.startswith("gsm8k") or "\ngsm8k" in out


def test_table_by_a_breakdown_the_runs_do_not_have_is_a_one_line_error(capsys, base_args):
    code, out, _ = run_cli(capsys, "run", "--model", "mock/echo", "--tasks", "mmlu", "--limit", "4", *base_args)
    assert code == 0
    run_dir = out.strip()
    code, out, _ = run_cli(capsys, "table", run_dir, "--by", "subject", "--format", "json")
    assert code == 0 and {row["subject"] for row in json.loads(out)}
    code, out, err = run_cli(capsys, "table", run_dir, "--by", "subjet")
    assert code == 2 and out == ""
    assert "no breakdown 'subjet'" in err and "subject" in err and len(err.strip().splitlines()) == 1


LEAVING = """
import atexit, sys
from evalkit.cli import leave
atexit.register(lambda: print("atexit ran", file=sys.stderr))
sys.stdout.write("x" * 200_000)
sys.stdout.write("end of output")
leave(int(sys.argv[1]))
"""


BUFFERED = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
"""The environment with stdout buffered, as it is for most users (some CI sets it unbuffered)."""


@pytest.mark.parametrize("code", [0, 1, 3])
def test_the_console_exit_keeps_output_and_atexit_and_the_exit_code(code):
    proc = subprocess.run(
        [sys.executable, "-c", LEAVING, str(code)],
        capture_output=True,
        text=True,
        timeout=60,
        env=BUFFERED,
    )
    assert proc.returncode == code
    assert proc.stdout == "x" * 200_000 + "end of output"
    assert proc.stderr == "atexit ran\n"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_output_that_cannot_be_written_fails_the_exit_as_a_normal_exit_does():
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-c", LEAVING.replace("200_000", "100"), "0"],  # fits the buffer
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            env=BUFFERED,
        )
    assert proc.returncode == 120  # Python's own status when flushing stdout fails at exit
    assert "No space left on device" in proc.stderr
    assert proc.stderr.count("atexit ran") == 1


def test_a_profiled_command_still_writes_its_profile(tmp_path):
    script = tmp_path / "leaving.py"
    script.write_text(LEAVING)
    profile = tmp_path / "run.prof"
    proc = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(profile), str(script), "4"],
        capture_output=True,
        text=True,
        timeout=60,
        env=BUFFERED,
    )
    assert proc.stdout.endswith("end of output")  # (cProfile ends with 0 whatever the code)
    assert profile.stat().st_size > 0


WAITING = """
import sys, threading
from pathlib import Path
from evalkit.cli import leave

def finish_later():
    sys.stdin.read()  # until the test closes our stdin
    Path(sys.argv[1]).write_text("written after leave()")

threading.Thread(target=finish_later).start()
print("leaving", flush=True)
leave(0)
"""


def test_the_console_exit_waits_for_a_running_thread_as_a_normal_exit_does(tmp_path):
    out = tmp_path / "late.txt"
    with subprocess.Popen(
        [sys.executable, "-c", WAITING, str(out)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None and proc.stdin is not None
        assert proc.stdout.readline() == "leaving\n"
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0
    assert out.read_text() == "written after leave()"


def test_python_m_evalkit_cli_runs_to_a_complete_record(tmp_path, fixture_data, fixture_tasks):
    runs = tmp_path / "runs"
    proc = subprocess.run(
        [sys.executable, "-m", "evalkit.cli", "run", "--model", "mock/echo", "--tasks", "echo_exact",
         "--tasks-dir", str(fixture_tasks), "--data-dir", str(fixture_data), "--output-dir", str(runs),
         "--quiet"],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    (run_dir,) = runs.iterdir()
    assert proc.stdout.strip() == str(run_dir)
    record = json.loads((run_dir / "run.json").read_text())
    lines = (run_dir / "samples.jsonl").read_text().splitlines()
    assert record["status"] == "complete" and record["counts"]["samples"] == len(lines) > 0
