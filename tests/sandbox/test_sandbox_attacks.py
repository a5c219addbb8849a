"""Attacks on the sandbox by model-written code: each must fail, and nothing may leak.

Every test runs a real bubblewrap jail. The ``run`` fixture also checks, after each test, that no
process of any slot uid is left on the host (orphans, daemons, fork bombs).
"""

from __future__ import annotations

import ast
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from support.sandboxes import TEST_UID_BASE, Run, slot_processes

import evalkit
from evalkit.sandbox import SandboxLimits
from evalkit.sandbox.jail import python_roots

PROJECT = Path(evalkit.__file__).resolve().parent.parent
SECRET = "s3cr3t-" + uuid.uuid4().hex


def probe(code: str) -> str:
    """Wrap ``code`` so any exception prints ``DENIED <type>`` instead of a traceback."""
    body = textwrap.indent(textwrap.dedent(code), "    ")
    return f"try:\n{body}\nexcept BaseException as exc:\n    print('DENIED', type(exc).__name__)\n"


# --- network ----------------------------------------------------------------------------------


def test_outside_address_is_unreachable(run: Run) -> None:
    result = run(probe("import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=5)"))
    assert result.stdout.startswith("DENIED OSError"), result


def test_dns_does_not_resolve(run: Run) -> None:
    result = run(probe("import socket\nprint(socket.getaddrinfo('example.com', 443))"))
    assert result.stdout.startswith("DENIED gaierror"), result


def test_host_loopback_listener_sees_no_connection(run: Run) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        port = server.getsockname()[1]
        code = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=5).sendall(b'{SECRET}')"
        result = run(probe(code))
        server.setblocking(False)
        with pytest.raises(BlockingIOError):  # a connection would wait in the backlog
            server.accept()
    assert result.stdout.startswith("DENIED ConnectionRefusedError"), result


def test_host_udp_port_receives_nothing(run: Run) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        port = server.getsockname()[1]
        code = f"import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nfor _ in range(50): s.sendto(b'{SECRET}', ('127.0.0.1', {port}))\nprint('sent')"
        result = run(code)
        server.setblocking(False)
        with pytest.raises(BlockingIOError):
            server.recv(100)
    assert result.ok  # sending into its own empty loopback is allowed; it reaches nobody


def test_host_abstract_unix_socket_is_unreachable(run: Run) -> None:
    name = f"\0evalkit-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(name)
        server.listen(1)
        code = f"import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect({name!r})\ns.sendall(b'x')"
        result = run(probe(code))
        server.setblocking(False)
        with pytest.raises(BlockingIOError):
            server.accept()
    assert result.stdout.startswith("DENIED ConnectionRefusedError"), result


def test_only_loopback_interface_exists(run: Run) -> None:
    result = run("import socket\nprint([n for _, n in socket.if_nameindex()])")
    assert result.stdout.strip() == "['lo']"


# --- reading outside ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/etc/shadow",
        "/etc/passwd",
        str(PROJECT / "pyproject.toml"),
        str(PROJECT / "results"),
        str(Path.home() / ".bashrc"),
        "/var/run/docker.sock",
        "/sys/kernel/hostname",
    ],
    ids=["shadow", "passwd", "project", "results", "home", "docker-socket", "sys"],
)
def test_host_files_are_not_there(run: Run, path: str) -> None:
    result = run(probe(f"print(open({path!r}).read()[:100])"))
    assert result.stdout.startswith(("DENIED FileNotFoundError", "DENIED IsADirectoryError")), (
        result
    )


def test_home_folder_shows_nothing_but_the_way_to_the_runtime(run: Run) -> None:
    home = Path.home()
    # The Python runtime may live in the home folder (pyenv): only the way to it is mounted.
    allowed = {
        Path(r).relative_to(home).parts[0] for r in python_roots() if Path(r).is_relative_to(home)
    }
    result = run(
        f"import os\nprint(os.listdir({str(home)!r}) if os.path.isdir({str(home)!r}) else [])"
    )
    assert set(ast.literal_eval(result.stdout)) <= allowed, result


def test_cache_file_placed_by_the_test_is_invisible(run: Run, tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "responses.sqlite"
    cache.parent.mkdir()
    cache.write_text(SECRET)
    result = run(probe(f"print(open({str(cache)!r}).read())"))
    assert SECRET not in result.stdout + result.stderr
    assert result.stdout.startswith("DENIED FileNotFoundError"), result


def test_symlink_to_host_file_leads_nowhere(run: Run, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    code = f"import os\nos.symlink({str(secret)!r}, '/tmp/link')\nprint(open('/tmp/link').read())"
    result = run(probe(code))
    assert SECRET not in result.stdout
    assert result.stdout.startswith("DENIED FileNotFoundError"), result


def test_proc_shows_no_host_process(run: Run) -> None:
    code = f"""
    import os
    pids = [p for p in os.listdir('/proc') if p.isdigit()]
    print(len(pids), os.path.exists('/proc/{os.getpid()}/environ'))
    print(open('/proc/1/cmdline', 'rb').read())
    """
    result = run(textwrap.dedent(code))
    count, host_visible = result.stdout.split("\n")[0].split()
    assert int(count) <= 4 and host_visible == "False", result  # bwrap init, bwrap, python
    assert b"pytest" not in result.stdout.encode()


def test_proc_root_of_init_is_the_jail(run: Run) -> None:
    result = run(probe("print(open('/proc/1/root/etc/shadow').read())"))
    assert result.stdout.startswith("DENIED"), result


# --- writing outside ---------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["/", "/usr", "/proc/sys/kernel", "/dev/shm"])
def test_system_paths_are_read_only(run: Run, where: str) -> None:
    name = f"{where.rstrip('/')}/evalkit-{uuid.uuid4().hex}"
    result = run(probe(f"open({name!r}, 'w').write('x')"))
    assert result.stdout.startswith("DENIED"), result
    assert not Path(name).exists()


def test_host_folder_cannot_be_written(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "planted.py"
    result = run(
        probe(
            f"import os\nos.makedirs({str(tmp_path)!r}, exist_ok=True)\nopen({str(target)!r}, 'w').write('x')\nprint('wrote')"
        )
    )
    assert result.stdout.strip() == "wrote"  # into the jail's own /tmp: gone with it
    assert not target.exists()


def test_filling_the_tmpfs_stops_at_its_size(run: Run) -> None:
    code = """
    import os
    total = 0
    try:
        for i in range(1000):
            with open(f'/tmp/fill{i}', 'wb') as fh:
                fh.write(b'x' * (4 << 20))
            total += 4
    except OSError as exc:
        print('STOPPED', exc.errno, total)
    """
    result = run(textwrap.dedent(code), limits=SandboxLimits(tmpfs_mb=32))
    assert result.stdout.startswith("STOPPED 28 "), result  # ENOSPC
    assert int(result.stdout.split()[2]) <= 32


def test_a_file_larger_than_the_limit_cannot_be_written(run: Run) -> None:
    result = run(
        "open('/tmp/big', 'wb').write(b'x' * (8 << 20))", limits=SandboxLimits(file_size_mb=4)
    )
    assert result.killed == "file_size" and "File too large" in result.stderr


# --- resources -------------------------------------------------------------------------------


def test_fork_bomb_is_contained(run: Run, quick: SandboxLimits) -> None:
    result = run("import os\nwhile True:\n    os.fork()", limits=quick)
    assert "BlockingIOError" in result.stderr or result.killed is not None, result


def test_thread_bomb_is_contained(run: Run, quick: SandboxLimits) -> None:
    code = "import threading, time\nwhile True:\n    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()"
    result = run(code, limits=quick)
    assert "can't start new thread" in result.stderr, result


def test_memory_bomb_fails(run: Run, quick: SandboxLimits) -> None:
    result = run("x = bytearray(4 * 1024**3)", limits=quick)
    assert result.killed == "memory" and result.exit_code == 1, result


def test_growing_memory_fails(run: Run, quick: SandboxLimits) -> None:
    result = run("chunks = []\nwhile True:\n    chunks.append(b'x' * (16 << 20))", limits=quick)
    assert result.killed == "memory", result


def test_infinite_loop_is_killed_at_the_wall_limit(run: Run) -> None:
    result = run("import time\nwhile True:\n    time.sleep(0.1)", limits=SandboxLimits(wall_s=1.0))
    assert result.timed_out and result.killed == "timeout" and result.exit_code is None


def test_cpu_spin_is_stopped_by_the_cpu_limit(run: Run) -> None:
    result = run("while True:\n    pass", limits=SandboxLimits(wall_s=60.0, cpu_s=1.0))
    assert result.killed == "cpu" and not result.timed_out, result


def test_spinning_child_dies_with_the_program(run: Run) -> None:
    code = "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'while True: pass'])\nprint('parent done')"
    result = run(code)
    assert result.ok and result.stdout == "parent done\n"
    # the run fixture asserts that no process of the slot uid is left


def test_double_forked_daemon_does_not_survive(run: Run) -> None:
    code = """
    import os, time
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(600)
        os._exit(0)
    time.sleep(0.2)
    print('parent done')
    """
    result = run(textwrap.dedent(code))
    assert result.ok, result
    assert slot_processes() == [] or os.geteuid() != 0


def test_huge_output_is_cut_at_the_limit(run: Run) -> None:
    limits = SandboxLimits(output_bytes=100_000)
    result = run("import sys\nwhile True:\n    sys.stdout.write('x' * 65536)", limits=limits)
    assert result.killed == "output_limit" and result.truncated
    assert len(result.stdout) == 100_000


def test_huge_stderr_is_cut_at_the_limit(run: Run) -> None:
    limits = SandboxLimits(output_bytes=50_000)
    result = run("import os\nwhile True:\n    os.write(2, b'e' * 65536)", limits=limits)
    assert result.killed == "output_limit" and len(result.stderr) == 50_000


def test_open_files_are_limited(run: Run) -> None:
    code = probe("fs = [open('/dev/null') for _ in range(10_000)]")
    result = run(code, limits=SandboxLimits(open_files=64))
    assert result.stdout.startswith("DENIED OSError"), result


# --- environment, signals, privileges --------------------------------------------------------


def test_api_keys_do_not_leak(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("HF_TOKEN", SECRET)
    code = "import os\nprint(dict(os.environ))\nprint(open('/proc/self/environ').read())\nprint(open('/proc/1/environ').read())"
    result = run(probe(code))
    assert SECRET not in result.stdout and "OPENAI_API_KEY" not in result.stdout, result


def test_signals_cannot_reach_the_host(run: Run) -> None:
    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        code = f"import os, signal\nfor pid in ({os.getpid()}, {victim.pid}):\n    try:\n        os.kill(pid, signal.SIGKILL)\n    except OSError as exc:\n        print(type(exc).__name__, flush=True)\nos.kill(-1, signal.SIGKILL)\nos.kill(os.getppid(), signal.SIGKILL)"
        result = run(code)
        assert victim.poll() is None  # still running
    finally:
        victim.kill()
        victim.wait()
    assert result.stdout.split() == ["ProcessLookupError", "ProcessLookupError"], result


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to start a process under a slot uid")
def test_kill_all_cannot_reach_a_host_process_of_the_same_uid(run: Run) -> None:
    victim = subprocess.Popen(
        [
            "setpriv",
            f"--reuid={TEST_UID_BASE}",
            f"--regid={TEST_UID_BASE}",
            "--clear-groups",
            "sleep",
            "60",
        ]
    )
    try:
        result = run(
            "import os, signal\nos.kill(-1, signal.SIGKILL)",
        )
        assert victim.poll() is None
    finally:
        victim.kill()
        victim.wait()
    assert result.exit_code is not None


def test_setuid_root_is_refused(run: Run) -> None:
    result = run(probe("import os\nos.setuid(0)\nprint('root!')"))
    assert result.stdout.startswith(("DENIED PermissionError", "DENIED OSError")), (
        result
    )  # EINVAL: 0 is unmapped


def test_ptrace_of_init_is_refused(run: Run) -> None:
    code = "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\nprint(libc.ptrace(16, 1, 0, 0), ctypes.get_errno())"  # PTRACE_ATTACH
    result = run(code)
    rc, errno = result.stdout.split()
    assert rc == "-1" and int(errno) in (1, 3), result  # EPERM (or ESRCH)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        ("libc.unshare(0x10000000)", "new user namespace"),
        ("libc.unshare(0x00020000)", "new mount namespace"),
        ("libc.mount(b'none', b'/tmp', b'tmpfs', 0, None)", "mount"),
        ("libc.chroot(b'/tmp')", "chroot"),
        ("libc.sethostname(b'pwned', 5)", "sethostname"),
    ],
    ids=lambda v: v if " " in v else None,
)
def test_privileged_calls_are_refused(run: Run, call: str, name: str) -> None:
    code = f"import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nprint({call}, ctypes.get_errno())"
    result = run(code)
    rc, errno = result.stdout.split()
    assert rc == "-1" and int(errno) in (1, 28), (name, result)  # EPERM, or ENOSPC (userns quota 0)


def test_jail_reports_its_identity(run: Run) -> None:
    code = "import os, json\nprint(json.dumps([os.getuid(), os.getgid(), os.getgroups(), open('/proc/self/status').read()]))"
    uid, gid, groups, status = json.loads(run(code).stdout)
    fields = dict(line.split(":", 1) for line in status.splitlines())
    assert groups == [] and fields["CapEff"].strip() == "0000000000000000"
    assert fields["NoNewPrivs"].strip() == "1"
    if os.geteuid() == 0:
        assert TEST_UID_BASE <= uid < TEST_UID_BASE + 64 and gid == uid
    else:
        assert uid == os.getuid()


def test_signals_to_its_own_parent_end_only_the_jail(run: Run) -> None:
    result = run(
        "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nimport time\ntime.sleep(30)",
        limits=SandboxLimits(wall_s=60),
    )
    assert not result.timed_out and result.exit_code is not None


def test_hostname_is_the_jails(run: Run) -> None:
    assert run("import socket\nprint(socket.gethostname())").stdout.strip() == "sandbox"
    assert signal.SIGKILL  # the host is still here to ask
