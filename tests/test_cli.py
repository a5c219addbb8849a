"""The command line: exit codes, one-line errors, and the run → table → rescore loop."""

import hashlib
import json
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
