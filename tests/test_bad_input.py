"""Bad input: every mistake gets one actionable line, its documented exit code, no traceback,
and the results already on disk stay byte-for-byte intact.

The table covers CLI flags, task.toml, templates, dataset rows, empty datasets, corrupt or
unreadable results and caches, and non-UTF-8 bytes. Unwritable results folders and full disks
are real where the machine allows it: an immutable folder (``chattr +i``, since the tests run as
root and ``chmod`` does not stop root) or a read-only mount, a size-limited tmpfs, a file-size
limit (``RLIMIT_FSIZE``) and a full device (``/dev/full``); plus an injected ``ENOSPC`` from
``fsync`` everywhere. Tests that need a capability the machine lacks say so and skip.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import resource
import shutil
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from evalkit.cli import main
from evalkit.records.io import RUN_FILE, SAMPLES_FILE, read_record, read_samples

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ROWS = (FIXTURES / "data" / "echo" / "test.jsonl").read_text().splitlines()


@dataclass(frozen=True)
class Workspace:
    """A task folder, a data folder, and a results folder holding one complete run."""

    root: Path
    run: Path
    url: str

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    def run_argv(self, *extra: str, tasks: str = "echo_exact") -> list[str]:
        return [
            "run", "--model", "mock/echo", "--tasks", tasks,
            "--tasks-dir", str(self.root / "tasks"), "--data-dir", str(self.root / "data"),
            "--output-dir", str(self.runs), "--quiet", *extra,
        ]  # fmt: skip


def run_cli(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse refuses before evalkit runs
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder under ``folder`` with a hash of its content."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        if p.is_file()
        else "/"
        for p in sorted(folder.rglob("*"))
    }


def assert_one_line(code: int, err: str, want_code: int, message: str) -> None:
    assert code == want_code, err
    assert message in err, err
    assert err.startswith("evalkit: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bad_input")
    shutil.copytree(FIXTURES / "tasks" / "echo_exact", root / "tasks" / "echo_exact")
    shutil.copytree(FIXTURES / "data" / "echo", root / "data" / "echo")
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(Workspace(root, root, "").run_argv()) == 0
    return root


@pytest.fixture
def ws(pristine: Path, tmp_path: Path, openai_server) -> Workspace:
    root = tmp_path / "ws"
    shutil.copytree(pristine, root)
    (run,) = (root / "runs").iterdir()
    return Workspace(root, run, openai_server.base_url)


# -- the table ---------------------------------------------------------------------------------

Setup = Callable[[Workspace], None]


def task_variant(edit: Callable[[str], str | bytes], template: bytes | None = None) -> Setup:
    """Write task ``bad``: echo_exact with its task.toml edited (and another template)."""

    def setup(w: Workspace) -> None:
        folder = w.root / "tasks" / "bad"
        shutil.copytree(w.root / "tasks" / "echo_exact", folder)
        toml = (folder / "task.toml").read_text().replace('name = "echo_exact"', 'name = "bad"')
        edited = edit(toml)
        path = folder / "task.toml"
        path.write_bytes(edited if isinstance(edited, bytes) else edited.encode())
        if template is not None:
            (folder / "prompt.jinja").write_bytes(template)

    return setup


def data_variant(content: bytes) -> Setup:
    """Replace the dataset file with ``content``."""

    def setup(w: Workspace) -> None:
        (w.root / "data" / "echo" / "test.jsonl").write_bytes(content)

    return setup


def rows(*objects: object) -> bytes:
    return "".join(json.dumps(o) + "\n" for o in objects).encode()


def corrupt(name: str, change: Callable[[bytes], bytes]) -> Setup:
    """Damage a file of the existing run."""

    def setup(w: Workspace) -> None:
        path = w.run / name
        path.write_bytes(change(path.read_bytes()))

    return setup


def first_newline(replacement: bytes) -> Callable[[bytes], bytes]:
    return lambda data: data.replace(b"\n", b"\n" + replacement + b"\n", 1)


def run_with(*extra: str, tasks: str = "echo_exact") -> Callable[[Workspace], list[str]]:
    return lambda w: w.run_argv(*extra, tasks=tasks)


def bad_task(*extra: str) -> Callable[[Workspace], list[str]]:
    return lambda w: w.run_argv(*extra, tasks="bad")


def resume() -> Callable[[Workspace], list[str]]:
    return lambda w: w.run_argv("--resume", w.run.name)


def on_server(*extra: str) -> Callable[[Workspace], list[str]]:
    return lambda w: w.run_argv(
        "--model", "openai-compatible/fake-model", "--base-url", w.url, *extra
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Bad:
    """One bad input: the command, what to break first, the exit code and message expected."""

    id: str
    argv: Callable[[Workspace], list[str]]
    code: int
    message: str
    setup: Setup | None = None


def _bad_flags() -> list[Bad]:
    return [
        Bad("unknown-task", run_with(tasks="echo_exactt"), 2, "unknown task 'echo_exactt'. Did you mean 'echo_exact'"),
        Bad("unknown-provider", run_with("--model", "mokc/echo"), 2, "unknown provider 'mokc'"),
        Bad("model-without-provider", run_with("--model", "echo"), 2, "expected PROVIDER/MODEL"),
        Bad("concurrency-zero", run_with("--concurrency", "0"), 2, "invalid --concurrency"),
        Bad("limit-not-a-number", run_with("--limit", "abc"), 2, "argument --limit: invalid int value: 'abc'"),
        Bad("limit-zero", run_with("--limit", "0"), 2, "invalid --limit: Value error, must be at least 1"),
        Bad("sample-negative", run_with("--sample", "-3"), 2, "invalid --sample"),
        Bad("max-attempts-zero", run_with("--max-attempts", "0"), 2, "invalid --max-attempts"),
        Bad("timeout-zero", run_with("--timeout", "0"), 2, "invalid --timeout"),
        Bad("error-rate-above-one", run_with("--max-error-rate", "2"), 2, "invalid --max-error-rate"),
        Bad("max-tokens-zero", run_with("--max-tokens", "0"), 2, "invalid --max-tokens"),
        Bad("unknown-task-param", run_with("-T", "nope=1"), 2, "has no parameter 'nope'"),
        Bad("task-param-wrong-type", run_with("-T", "ignore_case=maybe"), 2, "ignore_case='maybe': expected bool"),
        Bad("model-arg-without-value", run_with("-M", "novalue"), 2, "invalid -M 'novalue': expected KEY=VALUE"),
        Bad("unknown-variant", run_with(tasks="echo_exact:v9"), 2, "has no variant 'v9'"),
        Bad("empty-task-list", run_with(tasks=",,"), 2, "--tasks is empty"),
        Bad("unknown-flag", run_with("--bogus"), 2, "unrecognized arguments: --bogus"),
        Bad("no-subcommand", lambda w: [], 2, "the following arguments are required: command"),
        Bad("resume-unknown-run", run_with("--resume", "nope"), 2, "no run 'nope' to resume"),
        Bad("resume-id-with-two-tasks", run_with("--resume", "x", tasks="echo_exact,echo_exact:v9"), 2, "--resume RUN resumes one task's run"),
        Bad("task-with-empty-variant", run_with(tasks="echo_exact:"), 2, "invalid task 'echo_exact:'"),
        Bad("compatible-without-base-url", run_with("--model", "openai-compatible/m"), 2, "needs --base-url"),
        Bad("base-url-not-http", run_with("--model", "openai-compatible/m", "--base-url", "ftp://h/v1"), 2, "invalid --base-url 'ftp://h/v1'"),
        Bad("base-url-bad-port", run_with("--model", "openai-compatible/m", "--base-url", "http://h:99999/v1"), 2, "Port out of range"),
        Bad("api-key-in-api-key-env", on_server("--api-key-env", "sk-abc-123"), 2, "takes the NAME of an environment variable"),
        Bad("model-args-for-openai", on_server("-M", "temperature=0"), 2, "take no -M arguments but extra.FIELD=VALUE (got 'temperature')"),
        Bad("server-down", lambda w: w.run_argv("--model", "openai-compatible/m", "--base-url", f"http://127.0.0.1:{free_port()}/v1"), 3, "cannot reach http://127.0.0.1:"),
        Bad("data-dir-missing", run_with("--data-dir", "/nonexistent/data"), 2, "data dir '/nonexistent/data' does not exist"),
        Bad("data-dir-is-a-file", lambda w: w.run_argv("--data-dir", str(w.run / RUN_FILE)), 2, "is not a folder"),
        Bad("tasks-dir-missing", run_with("--tasks-dir", "/nonexistent/tasks"), 2, "tasks dir '/nonexistent/tasks' does not exist"),
        Bad("replay-file-missing", run_with("--model", "replay/nowhere.jsonl"), 2, "replay file 'nowhere.jsonl' not found"),
        Bad("output-dir-under-a-file", lambda w: w.run_argv("--output-dir", str(w.run / RUN_FILE / "runs")), 2, "Not a directory"),
        Bad("output-dir-in-proc", run_with("--output-dir", "/proc/evalkit-runs"), 2, "cannot create '/proc/evalkit-runs'"),
        Bad("cache-dir-under-a-file", lambda w: on_server("--cache-dir", str(w.run / RUN_FILE / "c"))(w), 2, "cannot open the response cache"),
    ]  # fmt: skip


def _bad_tasks_and_data() -> list[Bad]:
    return [
        Bad("toml-syntax", bad_task(), 2, "task.toml: cannot read task file", task_variant(lambda t: t + "\n[[[oops\n")),
        Bad("toml-unknown-key", bad_task(), 2, "key 'scorrer': Extra inputs are not permitted", task_variant(lambda t: t.replace('scorer = "exact"', 'scorer = "exact"\nscorrer = "x"'))),
        Bad("toml-missing-scorer", bad_task(), 2, "key 'scorer': Field required", task_variant(lambda t: t.replace('scorer = "exact"\n', ""))),
        Bad("toml-unknown-scorer", bad_task(), 2, "unknown scorer 'exactt'. Did you mean 'exact'", task_variant(lambda t: t.replace('"exact"', '"exactt"'))),
        Bad("toml-version-not-text", bad_task(), 2, "key 'version'", task_variant(lambda t: t.replace('version = "1"', "version = 1"))),
        Bad("toml-max-tokens-not-int", bad_task(), 2, "key 'generation.max_tokens'", task_variant(lambda t: t.replace("max_tokens = 16", 'max_tokens = "lots"'))),
        Bad("toml-not-utf8", bad_task(), 2, "task.toml: cannot read task file", task_variant(lambda t: t.encode().replace(b"Test task", b"Test \xff task"))),
        Bad("toml-template-missing", bad_task(), 2, "template 'missing.jinja' not found", task_variant(lambda t: t.replace("prompt.jinja", "missing.jinja"))),
        Bad("toml-split-without-path", bad_task(), 2, "dataset has no local path for split 'dev'", task_variant(lambda t: t.replace('split = "test"', 'split = "dev"'))),
        Bad("toml-unknown-format", bad_task(), 2, "unknown format 'chatt'", task_variant(lambda t: t.replace('format = "chat"', 'format = "chatt"'))),
        Bad("template-syntax", bad_task(), 2, "prompt.jinja:1: template syntax error", task_variant(lambda t: t, b"{{ word ")),
        Bad("template-missing-field", bad_task(), 2, "'wrod' is undefined (sample k0); fields available: key, kind, word", task_variant(lambda t: t, b"{{ wrod }}")),
        Bad("template-unsafe-attribute", bad_task(), 2, "access to attribute '__class__' of 'str' object is unsafe", task_variant(lambda t: t, b"{{ word.__class__ }}")),
        Bad("row-missing-target", run_with(), 2, "row 0 is missing field 'word'", data_variant(rows({"key": "a", "kind": "x"}))),
        Bad("row-missing-id", run_with(), 2, "row 0 is missing field 'key'", data_variant(rows({"word": "a", "kind": "x"}))),
        Bad("row-missing-metadata", run_with(), 2, "row 0 is missing field 'kind'", data_variant(rows({"key": "a", "word": "a"}))),
        Bad("row-null-target", run_with(), 2, "row 1 is malformed: field 'word' is null", data_variant(rows({"key": "a", "word": "a", "kind": "x"}, {"key": "b", "word": None, "kind": "x"}))),
        Bad("row-object-target", run_with(), 2, "field 'word' is an object", data_variant(rows({"key": "a", "word": {"x": 1}, "kind": "x"}))),
        Bad("row-list-id", run_with(), 2, "field 'key' is a list", data_variant(rows({"key": [1], "word": "a", "kind": "x"}))),
        Bad("row-nan-target", run_with(), 2, "field 'word' is nan", data_variant(b'{"key": "a", "word": NaN, "kind": "x"}\n')),
        Bad("row-not-an-object", run_with(), 2, "test.jsonl:1: expected a JSON object per line", data_variant(b"[1, 2]\n")),
        Bad("row-invalid-json", run_with(), 2, "test.jsonl:2: not valid UTF-8 JSON", data_variant(ROWS[0].encode() + b'\n{"key": "a",\n')),
        Bad("row-not-utf8", run_with(), 2, "test.jsonl:1: not valid UTF-8 JSON", data_variant(b'{"key": "a", "word": "\xff\xfe", "kind": "x"}\n')),
        Bad("dataset-empty", run_with(), 2, "test.jsonl' is empty", data_variant(b"")),
        Bad("dataset-blank-lines", run_with(), 2, "test.jsonl' is empty", data_variant(b"\n  \n\n")),
        Bad("dataset-duplicate-ids", run_with(), 2, "duplicate sample id 'a'", data_variant(rows({"key": "a", "word": "x", "kind": "x"}, {"key": "a", "word": "y", "kind": "x"}))),
    ]  # fmt: skip


def _bad_results() -> list[Bad]:
    table = lambda w: ["table", str(w.run)]  # noqa: E731
    rescore = lambda w: ["rescore", str(w.run), "--data-dir", str(w.root / "data")]  # noqa: E731
    compare = lambda w: ["compare", str(w.run), str(w.run)]  # noqa: E731
    return [
        Bad("resume-run-json-garbage", resume(), 2, "run.json: not a valid run record (Invalid JSON", corrupt(RUN_FILE, lambda b: b"{not json")),
        Bad("resume-run-json-empty", resume(), 2, "run.json: not a valid run record", corrupt(RUN_FILE, lambda b: b"")),
        Bad("resume-run-json-not-utf8", resume(), 2, "run.json: not a valid run record", corrupt(RUN_FILE, lambda b: b.replace(b"echo_exact", b"echo\xff", 1))),
        Bad("resume-run-json-wrong-schema", resume(), 2, "not a valid run record (run_id: Input should be a valid string)", corrupt(RUN_FILE, lambda b: b'{"run_id": 3}')),
        Bad("resume-different-seed", lambda w: w.run_argv("--seed", "9", "--resume", w.run.name), 2, "config.seed: run has 1234, now 9"),
        Bad("resume-different-model", lambda w: w.run_argv("--model", "mock/fixed", "--resume", w.run.name), 2, "config.model: run has 'mock/echo', now 'mock/fixed'"),
        Bad("resume-data-changed", resume(), 2, "dataset.sha256: run has", data_variant(("\n".join(ROWS) + "\n").replace("alpha", "alpha2").encode())),
        Bad("resume-task-version-changed", resume(), 2, "task.version: run has '1', now '2'", lambda w: edit_task_version(w)),
        Bad("resume-samples-corrupt-line", resume(), 2, "samples.jsonl:2: corrupt sample line (not JSON); delete that line", corrupt(SAMPLES_FILE, first_newline(b"{garbage"))),
        Bad("resume-samples-not-utf8", resume(), 2, "samples.jsonl:2: corrupt sample line (not UTF-8)", corrupt(SAMPLES_FILE, first_newline(b"\xff\xfe"))),
        Bad("resume-samples-not-object", resume(), 2, "samples.jsonl:2: corrupt sample line (not a JSON object)", corrupt(SAMPLES_FILE, first_newline(b"[1, 2]"))),
        Bad("resume-samples-line-without-id", resume(), 2, "samples.jsonl:2: corrupt sample line (no 'id' field)", corrupt(SAMPLES_FILE, first_newline(b'{"epoch": 0}'))),
        Bad("resume-samples-missing", resume(), 2, "samples.jsonl: No such file or directory", lambda w: (w.run / SAMPLES_FILE).unlink()),
        Bad("resume-samples-is-a-folder", resume(), 2, "samples.jsonl: Is a directory", lambda w: ((w.run / SAMPLES_FILE).unlink(), (w.run / SAMPLES_FILE).mkdir())),
        Bad("table-run-json-garbage", table, 2, "not a valid run record", corrupt(RUN_FILE, lambda b: b"\x00\x01")),
        Bad("table-not-a-run", lambda w: ["table", str(w.root / "data")], 2, "is not a run folder (no run.json)"),
        Bad("rescore-samples-corrupt", rescore, 2, "corrupt sample line (not JSON)", corrupt(SAMPLES_FILE, first_newline(b"{garbage"))),
        Bad("compare-samples-not-utf8", compare, 2, "corrupt sample line (not UTF-8)", corrupt(SAMPLES_FILE, first_newline(b"\xc3\x28"))),
        Bad("cache-file-corrupt", on_server(), 2, "cannot open the response cache at", lambda w: write_garbage_cache(w)),
        Bad("cache-stats-corrupt", lambda w: ["cache", "stats"], 2, "file is not a database (use --no-cache)", lambda w: write_garbage_cache(w)),
    ]  # fmt: skip


def edit_task_version(w: Workspace) -> None:
    path = w.root / "tasks" / "echo_exact" / "task.toml"
    path.write_text(path.read_text().replace('version = "1"', 'version = "2"'))


def write_garbage_cache(w: Workspace) -> None:
    folder = Path(os.environ["EVALKIT_CACHE_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "responses.sqlite").write_bytes(b"not a database " * 100)


BAD = _bad_flags() + _bad_tasks_and_data() + _bad_results()


def test_the_table_is_big_enough():
    assert len(BAD) >= 40 and len({b.id for b in BAD}) == len(BAD)


@pytest.mark.parametrize("case", BAD, ids=[b.id for b in BAD])
def test_bad_input_is_one_line_with_its_exit_code_and_results_stay_intact(capsys, ws, case):
    if case.setup is not None:
        case.setup(ws)
    before = snapshot(ws.runs)
    code, err = run_cli(capsys, case.argv(ws))
    assert_one_line(code, err, case.code, case.message)
    assert snapshot(ws.runs) == before


def test_template_with_non_utf8_bytes(capsys, ws):
    task_variant(lambda t: t, b"{{ word }} \xff\xfe")(ws)
    code, err = run_cli(capsys, ws.run_argv(tasks="bad"))
    assert_one_line(code, err, 2, "prompt.jinja")


def test_extra_dataset_fields_are_accepted(capsys, ws):
    """Not every oddity is an error: fields the task does not use are ignored."""
    data_variant(rows(*({**json.loads(r), "unused": [1, {"x": None}]} for r in ROWS)))(ws)
    code, err = run_cli(capsys, ws.run_argv())
    assert code == 0, err


# -- unwritable results folders and full disks --------------------------------------------------


@contextmanager
def unwritable(folder: Path) -> Iterator[str]:
    """Make ``folder`` unwritable for real; yield how. Root ignores permission bits, so as root
    the folder is made immutable (``chattr +i``); otherwise its write bits are removed."""
    if os.geteuid() == 0:
        try:
            proc = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True)
        except FileNotFoundError:
            pytest.skip("running as root without chattr: cannot make a folder unwritable")
        if proc.returncode != 0:
            pytest.skip(f"running as root and chattr +i failed: {proc.stderr.strip()}")
        how, undo = "chattr +i", lambda: subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        mode = folder.stat().st_mode
        folder.chmod(stat.S_IMODE(mode) & ~0o222)
        how, undo = "chmod a-w", lambda: folder.chmod(stat.S_IMODE(mode))
    try:
        try:
            (folder / ".probe").mkdir()
        except OSError:
            yield how
        else:
            (folder / ".probe").rmdir()
            pytest.skip(f"{how} did not make {folder} unwritable here")
    finally:
        undo()


def test_results_folder_without_write_permission(capsys, ws):
    before = snapshot(ws.runs)
    with unwritable(ws.runs), unwritable(ws.run):
        code, err = run_cli(capsys, ws.run_argv())
        assert_one_line(code, err, 2, f"cannot create '{ws.runs}/")
        code, err = run_cli(capsys, ws.run_argv("--resume", ws.run.name))
        assert_one_line(code, err, 2, f"cannot write {ws.run}/samples.jsonl")
    assert snapshot(ws.runs) == before


@contextmanager
def tmpfs(folder: Path, size_kb: int) -> Iterator[None]:
    """Mount a tmpfs of ``size_kb`` at ``folder`` (needs root and CAP_SYS_ADMIN, else skip)."""
    folder.mkdir()
    try:
        proc = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(folder)],
            capture_output=True, text=True,
        )  # fmt: skip
    except FileNotFoundError:
        pytest.skip("no mount command")
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def fill(folder: Path) -> None:
    """Write to ``folder`` until the file system is full."""
    try:
        with (folder / "filler").open("wb") as fh:
            while True:
                fh.write(b"\0" * 4096)
                fh.flush()
    except OSError as exc:
        assert exc.errno == errno.ENOSPC


def test_read_only_mount(capsys, ws):
    mount = ws.root / "ro"
    with tmpfs(mount, 256):
        shutil.copytree(ws.runs, mount / "runs")
        remount = subprocess.run(["mount", "-o", "remount,ro", str(mount)], capture_output=True)
        assert remount.returncode == 0, remount.stderr
        before = snapshot(mount / "runs")
        code, err = run_cli(capsys, ws.run_argv("--output-dir", str(mount / "runs")))
        assert_one_line(code, err, 2, "Read-only file system")
        code, err = run_cli(
            capsys, ws.run_argv("--output-dir", str(mount / "runs"), "--resume", "latest")
        )
        assert_one_line(code, err, 2, "Read-only file system")
        assert snapshot(mount / "runs") == before


def test_full_disk(capsys, ws):
    """A real ENOSPC from a full tmpfs: one line, earlier runs intact, and no debris."""
    mount = ws.root / "full"
    with tmpfs(mount, 256):
        shutil.copytree(ws.runs, mount / "runs")
        before = snapshot(mount / "runs")
        fill(mount)
        argv = ws.run_argv("--output-dir", str(mount / "runs"))
        code, err = run_cli(capsys, argv)
        assert_one_line(code, err, 2, "No space left on device")
        code, err = run_cli(capsys, [*argv, "--resume", ws.run.name])
        assert_one_line(code, err, 2, "No space left on device")
        assert snapshot(mount / "runs") == before
        (mount / "filler").unlink()
        assert run_cli(capsys, argv)[0] == 0  # once there is room again, it runs


def test_injected_enospc_on_fsync(capsys, ws, monkeypatch):
    """Where mounting is impossible: ENOSPC raised by fsync, as NFS and ext4 may report it."""

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("evalkit.records.io.os.fsync", full)
    before = snapshot(ws.runs)
    code, err = run_cli(capsys, ws.run_argv())
    assert_one_line(code, err, 2, "run.json: No space left on device")
    code, err = run_cli(capsys, ws.run_argv("--resume", ws.run.name))
    assert_one_line(code, err, 2, "samples.jsonl: No space left on device")
    assert snapshot(ws.runs) == before  # no new folder, no temp file, the run untouched


def test_file_size_limit_mid_run_then_resume(ws):
    """RLIMIT_FSIZE stops samples.jsonl mid-run (EFBIG); resuming with room completes the run."""
    data_variant(
        rows(*({"key": f"k{i:03d}", "word": f"w{i}", "kind": "ab"[i % 2]} for i in range(60)))
    )(ws)
    before = snapshot(ws.runs)

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (6000, 6000))

    argv = [sys.executable, "-m", "evalkit.cli", *ws.run_argv("--concurrency", "4")]
    proc = subprocess.run(argv, capture_output=True, text=True, preexec_fn=limit, timeout=60)
    assert_one_line(proc.returncode, proc.stderr, 2, "samples.jsonl: File too large")
    (partial,) = {p for p in ws.runs.iterdir()} - {ws.run}
    assert 0 < len(read_samples(partial)) < 60 and read_record(partial).status == "running"
    proc = subprocess.run(
        [*argv, "--resume", partial.name], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(ln["id"] for ln in read_samples(partial)) == [f"k{i:03d}" for i in range(60)]
    assert read_record(partial).counts["scored"] == 60
    assert {k: v for k, v in snapshot(ws.runs).items() if k in before} == before


def test_full_device_as_output(capsys, ws, tmp_path):
    """A report written to a full device: ENOSPC in one line, and the device node survives."""
    if os.geteuid() == 0:  # root could replace the real /dev/full: use a private node
        target = tmp_path / "full"
        os.mknod(target, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    else:
        target = Path("/dev/full")
    code, err = run_cli(capsys, ["leaderboard", str(ws.runs), "-o", str(target)])
    assert_one_line(code, err, 2, f"cannot write {target}: No space left on device")
    assert stat.S_ISCHR(target.stat().st_mode)
