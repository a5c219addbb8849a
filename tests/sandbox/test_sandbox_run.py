"""The sandbox's functions: one-shot programs, sessions, slots, limits, and refusing to run."""

from __future__ import annotations

import asyncio
import json
import os
import textwrap
from pathlib import Path

import pytest
from support.sandboxes import Run, slot_processes

from evalkit.sandbox import ExecResult, Sandbox, SandboxLimits, SandboxUnavailable, jail


def test_program_reads_stdin_and_writes_stdout(run: Run) -> None:
    result = run("name = input()\nprint(f'hello {name}')", stdin="world\n")
    assert result == ExecResult("hello world\n", "", 0, False, None, result.wall_s, False)


def test_exit_status_and_traceback_are_the_programs(run: Run) -> None:
    assert run("import sys\nsys.exit(3)").exit_code == 3
    result = run("def f():\n    raise KeyError('k')\n\nf()")
    assert result.exit_code == 1 and not result.ok
    lines = result.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert lines[1] == '  File "/tmp/main.py", line 4, in <module>'  # no launcher frames
    assert lines[-1] == "KeyError: 'k'"


def test_syntax_error_is_reported_like_python(run: Run) -> None:
    result = run("def f(:\n    pass")
    assert result.exit_code == 1 and result.stderr.rstrip().endswith("SyntaxError: invalid syntax")


def test_files_sit_next_to_the_program_and_import(run: Run) -> None:
    files = {"helper.py": "VALUE = 41\n", "data/in.txt": "payload"}
    result = run("import helper\nprint(helper.VALUE + 1, open('data/in.txt').read())", files=files)
    assert result.stdout == "42 payload\n"


def test_numpy_and_sympy_import(run: Run) -> None:
    code = "import numpy as np, sympy as sp\nprint(int(np.arange(5).sum()), sp.factor(sp.Symbol('x')**2 - 1))"
    result = run(code)
    assert result.stdout == "10 (x - 1)*(x + 1)\n", result


def test_to_dict_is_json_ready(run: Run) -> None:
    record = run("print('x')").to_dict()
    assert json.loads(json.dumps(record)) == record
    assert set(record) == {
        "stdout",
        "stderr",
        "exit_code",
        "timed_out",
        "killed",
        "wall_s",
        "truncated",
    }


def test_slots_bound_concurrency_and_each_has_its_own_uid(available: None) -> None:
    async def main() -> list[ExecResult]:
        sandbox = Sandbox(slots=2)
        return await asyncio.gather(
            *(sandbox.run("import os\nprint(os.getuid())") for _ in range(6))
        )

    uids = {int(r.stdout) for r in asyncio.run(main())}
    if os.geteuid() == 0:
        assert uids <= {jail.UID_BASE, jail.UID_BASE + 1}
    assert slot_processes() == []


def test_limits_become_prlimit_settings() -> None:
    limits = SandboxLimits(cpu_s=2.5, memory_mb=256, processes=8, open_files=32, file_size_mb=1)
    assert limits.rlimits() == {
        "as": (256 << 20, 256 << 20),
        "cpu": (3, 4),
        "nproc": (8, 8),
        "nofile": (32, 32),
        "fsize": (1 << 20, 1 << 20),
        "core": (0, 0),
    }


def test_missing_bubblewrap_refuses_with_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    jail.probe.cache_clear()
    try:
        with pytest.raises(
            SandboxUnavailable, match=r"bwrap.* not found.*apt-get install bubblewrap"
        ):
            Sandbox.check_available()
        with pytest.raises(SandboxUnavailable):
            asyncio.run(Sandbox().run("print('never')"))
    finally:
        jail.probe.cache_clear()
    assert SandboxUnavailable.exit_code == 2


def test_bubblewrap_that_cannot_build_a_jail_refuses(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    for tool in ("setpriv", "prlimit"):
        (tmp_path / tool).symlink_to(f"/usr/bin/{tool}")
    monkeypatch.setenv("PATH", str(tmp_path))
    jail.probe.cache_clear()
    try:
        with pytest.raises(
            SandboxUnavailable, match="No permissions to create new namespace.*user namespaces"
        ):
            Sandbox.check_available()
    finally:
        jail.probe.cache_clear()


# --- sessions ---------------------------------------------------------------------------------


def session_calls(cells: list[str], limits: SandboxLimits | None = None) -> list[ExecResult]:
    async def main() -> list[ExecResult]:
        async with Sandbox().session(limits) as session:
            return [await session.execute(cell) for cell in cells]

    return asyncio.run(main())


def test_session_keeps_variables_and_shows_the_last_expression(available: None) -> None:
    results = session_calls(
        ["x = 40\nprint('set')", "x += 2", "x", "import numpy as np\nnp.array([x, 1])", "None"]
    )
    assert [r.stdout for r in results] == ["set\n", "", "42\n", "array([42,  1])\n", ""]
    assert all(r.ok for r in results)
    assert slot_processes() == []


def test_session_survives_an_exception_and_reports_it(available: None) -> None:
    first, second, third = session_calls(["1 / 0", "raise SystemExit(4)", "print('still here')"])
    assert (
        first.exit_code == 1
        and first.stderr.splitlines()[-1] == "ZeroDivisionError: division by zero"
    )
    assert '  File "<cell>", line 1, in <module>' in first.stderr
    assert second.stderr.splitlines()[-1] == "SystemExit: 4"
    assert third.ok and third.stdout == "still here\n"


def test_session_captures_child_process_and_raw_fd_output(available: None) -> None:
    cell = "import os, subprocess\nos.write(1, b'raw\\n')\nsubprocess.run(['echo', 'child'])\n_ = os.write(2, b'err\\n')"
    (result,) = session_calls([cell])
    assert result.stdout == "raw\nchild\n" and result.stderr == "err\n"


def test_session_output_is_capped(available: None) -> None:
    (result,) = session_calls(["print('y' * 500_000)"], SandboxLimits(output_bytes=1000))
    assert result.truncated and result.stdout == "y" * 1000


def test_session_timeout_kills_it_and_later_calls_do_not_run(available: None) -> None:
    cells = ["x = 1", "while True:\n    pass", "print(x)"]
    ok, stuck, after = session_calls(cells, SandboxLimits(wall_s=1.0, cpu_s=30.0))
    assert ok.ok
    assert stuck.timed_out and stuck.killed == "timeout" and "session killed" in stuck.stderr
    assert (
        after.killed == "session_dead" and after.stdout == "" and "nothing was run" in after.stderr
    )
    assert slot_processes() == []


def test_session_whose_interpreter_exits_is_dead(available: None) -> None:
    gone, after = session_calls(["import os\nos._exit(0)", "print(1)"])
    assert "the interpreter exited" in gone.stderr
    assert after.killed == "session_dead"


def test_a_forked_copy_of_the_interpreter_never_answers_for_the_session(available: None) -> None:
    # The child returns from the cell into the driver's loop; were it to answer too, every later
    # call would read the answer meant for an earlier one.
    forked, after, last = session_calls(["import os\npid = os.fork()", "print('second')", "print(3)"])
    assert forked.ok
    assert after.stdout == "second\n" and last.stdout == "3\n"


def test_session_stdin_is_empty(available: None) -> None:
    (result,) = session_calls([textwrap.dedent("import sys\nprint(repr(sys.stdin.read()))")])
    assert result.stdout == "''\n"


def test_concurrent_calls_on_one_session_run_in_turn(available: None) -> None:
    async def main() -> list[ExecResult]:
        async with Sandbox().session() as session:
            await session.execute("n = 0")
            return list(await asyncio.gather(*(session.execute("n += 1\nn") for _ in range(5))))

    assert sorted(r.stdout for r in asyncio.run(main())) == ["1\n", "2\n", "3\n", "4\n", "5\n"]
