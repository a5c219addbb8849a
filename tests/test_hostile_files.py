"""Hostile files: task folders, data, replays, run records and caches that are broken or odd.

Each case runs the real CLI in this process and must end in one line on stderr with the user
error exit code 2 (``compare`` and ``gate`` too: their exit 1 means "regression"), or, for a
corrupt response cache, in a run that treats the bad rows as misses and replaces them.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from support.openai_server import ServerOptions
from support.recording_server import RecordingServer, serve_in_thread, write_task

from evalkit.cli import main
from evalkit.engine.cache import CACHE_FILE

N = 4
DEEP = "[" * 100_000 + "]" * 100_000
LONG_INT = "9" * 5000


@pytest.fixture
def root(tmp_path: Path) -> Path:
    write_task(tmp_path, N)
    return tmp_path


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # what an adapter's sys.exit would do if it escaped
        code = 1000 + int(exc.code or 0)
    return code, capsys.readouterr().err


def mock_run(capsys, root: Path, out: str = "runs", *extra: str) -> tuple[int, str]:
    return cli(
        capsys, "run", "--model", "mock/echo", "--tasks", "rel_echo", "--tasks-dir",
        str(root / "tasks"), "--data-dir", str(root / "data"), "--output-dir", str(root / out),
        "--quiet", *extra,
    )  # fmt: skip


def one_line_user_error(code: int, err: str, *words: str) -> None:
    assert code == 2, (code, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert all(w in err for w in words), err


ADAPTERS = {
    "import-raises": "raise RuntimeError('adapter import failed')\n",
    "import-exits": "import sys\nsys.exit(0)\n",
    "adapt-raises": "def adapt(row, index):\n    return 1 / 0\n",
    "adapt-exits": "import sys\ndef adapt(row, index):\n    sys.exit(3)\n",
    "adapt-returns-a-dict": "def adapt(row, index):\n    return dict(row)\n",
    "adapt-recurses": "def adapt(row, index):\n    return adapt(row, index)\n",
}


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_adapter_errors_are_one_line_exit_2(capsys, root, name):
    (root / "tasks" / "rel_echo" / "adapter.py").write_text(ADAPTERS[name])
    code, err = mock_run(capsys, root)
    one_line_user_error(code, err, "adapt")
    assert not (root / "runs").exists()


TEMPLATES = {
    "recursive-macro": "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
    "repeat-3g": '{{ "x" * 3000000000 }}',
    "list-repeat": "{{ [word] * 3000000000 }}",
    "ljust": "{{ word.ljust(3000000000) }}",
    "indent": "{{ word|indent(3000000000) }}",
    "center": "{{ word|center(3000000000) }}",
    "percent-width": '{{ "%3000000000d" % 1 }}',
    "format-width": '{{ "{:>3000000000}".format(1) }}',
    "format-filter": '{{ "%3000000000s"|format(word) }}',
    "power": "{{ 10 ** 100000000 }}",
    "join-amplifies": '{{ (word * 1000000)|replace("w", word * 1000) }}',
}


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_runaway_templates_are_bounded_one_line_errors(capsys, root, name):
    (root / "tasks" / "rel_echo" / "prompt.jinja").write_text(TEMPLATES[name])
    code, err = mock_run(capsys, root)
    one_line_user_error(code, err, "prompt.jinja")


@pytest.mark.parametrize(
    "row", [f'{{"x": {DEEP}}}', f'{{"key": {LONG_INT}}}'], ids=["deep", "long-int"]
)
def test_data_rows_past_the_parser_limits_are_one_line_errors(capsys, root, row):
    with (root / "data" / "rel" / "test.jsonl").open("a") as fh:
        fh.write(row + "\n")
    code, err = mock_run(capsys, root)
    one_line_user_error(code, err, f"test.jsonl:{N + 1}")


@pytest.mark.parametrize("row", [DEEP, f'{{"id": {LONG_INT}}}'], ids=["deep", "long-int"])
def test_replay_lines_past_the_parser_limits_are_one_line_errors(capsys, root, row):
    replay = root / "replay.jsonl"
    replay.write_text('{"id": "r0000", "completion": "x"}\n' + row + "\n")
    code, err = cli(
        capsys, "run", "--model", f"replay/{replay}", "--tasks", "rel_echo", "--tasks-dir",
        str(root / "tasks"), "--data-dir", str(root / "data"), "--output-dir", str(root / "r"),
    )  # fmt: skip
    one_line_user_error(code, err, "replay.jsonl:2")


def two_runs(capsys, root: Path) -> tuple[Path, Path]:
    assert mock_run(capsys, root, "base")[0] == 0
    (base,) = (root / "base").iterdir()
    cand = root / "cand" / base.name
    shutil.copytree(base, cand)
    return base, cand


BAD_LINES = {
    "deep": DEEP.encode(),
    "long-int": f'{{"id": "r0000", "index": {LONG_INT}, "epoch": 0, "error": null}}'.encode(),
    "metrics-text": b'{"id": "r0000", "index": 0, "epoch": 0, "error": null, "metrics": "1"}',
    "metric-nan": b'{"id": "r0000", "index": 0, "epoch": 0, "error": null, "metrics": {"a": NaN}}',
    "id-number": b'{"id": 7, "index": 0, "epoch": 0, "error": null}',
    "answer-list": b'{"id": "r0000", "index": 0, "epoch": 0, "error": null, "answer": [1]}',
    "epoch-bool": b'{"id": "r0000", "index": 0, "epoch": true, "error": null}',
    "not-utf8": b'{"id": "\xff", "index": 0, "epoch": 0, "error": null}',
    "array": b"[1, 2, 3]",
}


@pytest.mark.parametrize("name", sorted(BAD_LINES))
def test_compare_and_gate_on_corrupt_samples_exit_2(capsys, root, name):
    base, cand = two_runs(capsys, root)
    lines = (cand / "samples.jsonl").read_bytes().splitlines(keepends=True)
    (cand / "samples.jsonl").write_bytes(BAD_LINES[name] + b"\n" + b"".join(lines[1:]))
    one_line_user_error(*cli(capsys, "compare", str(base), str(cand)), "samples.jsonl:1")
    gate = ("gate", "--baseline", str(base), "--candidate", str(cand))
    one_line_user_error(*cli(capsys, *gate), "samples.jsonl:1")


def test_compare_and_gate_refuse_a_complete_run_cut_short(capsys, root):
    """A torn last line is a crash's interrupted write in a running run, corruption in a done one."""
    base, cand = two_runs(capsys, root)
    data = (cand / "samples.jsonl").read_bytes()
    (cand / "samples.jsonl").write_bytes(data[: len(data) - 20])
    one_line_user_error(*cli(capsys, "compare", str(base), str(cand)), f"samples.jsonl:{N}")
    gate = ("gate", "--baseline", str(base), "--candidate", str(cand))
    one_line_user_error(*cli(capsys, *gate), f"samples.jsonl:{N}")


@pytest.mark.parametrize("value", [DEEP, LONG_INT, '"text"'], ids=["deep", "long-int", "text"])
def test_compare_on_a_corrupt_run_record_exits_2(capsys, root, value):
    base, cand = two_runs(capsys, root)
    record = json.loads((cand / "run.json").read_text())
    text = json.dumps({**record, "metrics": "@"}).replace('"@"', value)
    (cand / "run.json").write_text(text)
    one_line_user_error(*cli(capsys, "compare", str(base), str(cand)), "run.json")


CORRUPT_ROWS = [
    "not json",
    DEEP,
    f'{{"text": "x", "input_tokens": {LONG_INT}}}',
    '{"text": 5, "finish_reason": "stop", "model": "m", "input_tokens": 0, "output_tokens": 0}',
    '{"text": "x", "finish_reason": ["stop"], "model": "m", "input_tokens": 0, "output_tokens": 0}',
    "[]",
    b"\x00\xff",
]


def test_corrupt_cache_rows_are_misses_and_get_replaced(capsys, root):
    server = RecordingServer(ServerOptions())
    with serve_in_thread(server) as url:
        argv = ("--model", "openai-compatible/m", "--base-url", url, "--cache-dir", str(root / "c"))

        def run(out: str) -> int:
            code, err = cli(
                capsys, "run", *argv, "--tasks", "rel_echo", "--tasks-dir", str(root / "tasks"),
                "--data-dir", str(root / "data"), "--output-dir", str(root / out), "--quiet",
            )  # fmt: skip
            assert code == 0, err
            return len(server.bodies)

        assert run("first") == N
        with sqlite3.connect(root / "c" / CACHE_FILE) as db:
            keys = [k for (k,) in db.execute("SELECT key FROM responses ORDER BY key")]
            for key, bad in zip(keys, CORRUPT_ROWS, strict=False):
                db.execute("UPDATE responses SET completion = ? WHERE key = ?", (bad, key))
        assert run("second") == 2 * N  # every corrupt row was a miss: asked again
        assert run("third") == 2 * N  # and was replaced by the new answer


def test_negative_shot_count_is_refused(capsys, shared_data, tmp_path):
    code, err = cli(
        capsys, "run", "--model", "mock/echo", "--tasks", "gsm8k", "-T", "n_shot=-1",
        "--data-dir", str(shared_data), "--output-dir", str(tmp_path), "--limit", "2",
    )  # fmt: skip
    one_line_user_error(code, err, "n_shot")


def test_resume_refuses_lines_of_samples_the_run_does_not_have(capsys, root):
    assert mock_run(capsys, root)[0] == 0
    (run_dir,) = (root / "runs").iterdir()
    samples = run_dir / "samples.jsonl"
    foreign = {**json.loads(samples.read_text().splitlines()[0]), "id": "from-another-run"}
    samples.write_text(samples.read_text() + json.dumps(foreign) + "\n")
    code, err = mock_run(capsys, root, "runs", "--resume", run_dir.name)
    one_line_user_error(code, err, "from-another-run", "does not have")


def test_resume_refuses_a_changed_prompt_template(capsys, root):
    assert mock_run(capsys, root)[0] == 0
    (run_dir,) = (root / "runs").iterdir()
    assert mock_run(capsys, root, "runs", "--resume", run_dir.name)[0] == 0  # unchanged: fine
    (root / "tasks" / "rel_echo" / "prompt.jinja").write_text("Say: {{ word }}\n")
    code, err = mock_run(capsys, root, "runs", "--resume", run_dir.name)
    one_line_user_error(code, err, "rendered prompts differ")
    code, err = mock_run(capsys, root, "runs", "--resume", "latest")
    assert code == 0, err  # "latest" finds no matching run: a new one starts
    assert len(list((root / "runs").iterdir())) == 2
