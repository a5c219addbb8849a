"""The jail: the bubblewrap command line that confines one sandboxed Python process.

Two nested bubblewraps, because each does one thing the other cannot:

1. The outer one runs as the caller (root here) and builds the world: new PID, network, IPC, UTS
   and cgroup namespaces, a root file system that is an empty tmpfs holding only ``/usr`` and the
   Python runtime read-only, a fresh ``/proc`` and minimal ``/dev``, a private size-limited
   ``/tmp`` (the only writable place), an empty environment, and ``--die-with-parent``.
2. ``setpriv`` then drops to the slot's unprivileged uid (no groups, no capabilities, empty
   bounding set, ``no_new_privs``), so ``RLIMIT_NPROC`` means something and no root-owned file is
   writable.
3. The inner bubblewrap, now unprivileged, puts the process in a new user namespace with
   ``--disable-userns``: without it the code could make its own user namespace and mount
   tmpfs file systems the size limits do not cover.
4. ``prlimit`` sets the resource limits last, inside that user namespace, so the process count is
   counted per sandbox.

When evalkit does not run as root, the outer bubblewrap makes the user namespace itself (with
``--disable-userns``) and step 2 and 3 are skipped: the caller's own uid is already unprivileged.
"""

from __future__ import annotations

import functools
import os
import shutil
import site
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from evalkit.errors import SandboxUnavailable
from evalkit.sandbox.limits import SandboxLimits

UID_BASE = 60000
"""Slot ``n`` runs as uid ``UID_BASE + n`` (only when evalkit runs as root)."""

FIX = (
    "install bubblewrap (apt-get install bubblewrap) and util-linux, and allow user namespaces "
    "(sysctl kernel.unprivileged_userns_clone=1 / user.max_user_namespaces > 0)"
)
ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/tmp",
    "LANG": "C.UTF-8",
    "PYTHONHASHSEED": "0",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
"""The whole environment inside: nothing is inherited (API keys must not leak)."""


@dataclass(frozen=True, slots=True)
class Tools:
    """Where the host programs the jail is built from live."""

    bwrap: str
    setpriv: str
    prlimit: str


def find_tools() -> Tools:
    """Locate bubblewrap, setpriv and prlimit.

    Raises:
        SandboxUnavailable: one of them is missing.
    """
    found = {name: shutil.which(name) for name in ("bwrap", "setpriv", "prlimit")}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        raise SandboxUnavailable(
            f"cannot sandbox model code: {', '.join(missing)} not found; {FIX}"
        )
    return Tools(*(os.path.realpath(str(found[n])) for n in ("bwrap", "setpriv", "prlimit")))


@functools.cache
def probe() -> str | None:
    """Try a trivial jail once per process; return why it failed, or ``None`` when it works."""
    try:
        tools = find_tools()
    except SandboxUnavailable as exc:
        return str(exc)
    argv = [*outer_argv(tools, SandboxLimits()), *inner_argv(tools, 0)]
    argv += [tools.prlimit, "--nproc=64", "--", "/usr/bin/true"]
    try:
        done = subprocess.run(argv, capture_output=True, timeout=30, check=False, env={})
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap did not start ({exc})"
    if done.returncode != 0:
        why = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return f"bubblewrap cannot create the sandbox ({why[-1] if why else done.returncode})"
    return None


def python_roots() -> list[str]:
    """Return the folders the sandbox's Python needs read-only (runtime and installed packages)."""
    roots = [sys.base_prefix, sys.prefix, *site.getsitepackages()]
    return _outermost(os.path.realpath(r) for r in roots if os.path.isdir(r))


def python_path() -> list[str]:
    """Return the package folders put on ``sys.path`` inside (the sandbox runs without site)."""
    return [p for p in site.getsitepackages() if os.path.isdir(p)]


def python_executable() -> str:
    """Return the real path of the running interpreter (a venv's symlink resolved)."""
    return os.path.realpath(sys.executable)


def _outermost(paths: Iterable[str]) -> list[str]:
    """Drop paths under another path of the list, and paths under ``/usr`` (bound anyway)."""
    kept: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(Path(path).is_relative_to(k) for k in [*kept, "/usr"]):
            kept.append(path)
    return kept


def _system_mounts() -> list[str]:
    """``/usr`` read-only, and ``/bin``, ``/lib*``, ``/sbin`` as on the host (merged-usr links)."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = Path("/") / name
        if host.is_symlink():
            args += ["--symlink", os.readlink(host), str(host)]
        elif host.is_dir():
            args += ["--ro-bind", str(host), str(host)]
    if Path("/etc/ld.so.cache").is_file():
        args += ["--perms", "0755", "--dir", "/etc"]
        args += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    return args


def _runtime_mounts() -> list[str]:
    """The Python runtime read-only; its parent folders made traversable (``/root`` is 0700)."""
    args: list[str] = []
    made: set[str] = set()
    for root in python_roots():
        for parent in reversed(Path(root).parents):
            if str(parent) != "/" and str(parent) not in made and not parent.is_symlink():
                made.add(str(parent))
                args += ["--perms", "0755", "--dir", str(parent)]
        args += ["--ro-bind", root, root]
    return args


def outer_argv(tools: Tools, limits: SandboxLimits, info_fd: int | None = None) -> list[str]:
    """Return the outer bubblewrap command (namespaces, file system, environment).

    ``info_fd`` is the host fd bubblewrap writes the init's pid to (``--info-fd``).
    """
    args = [tools.bwrap, "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    if info_fd is not None:
        args += ["--info-fd", str(info_fd)]
    args += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"]
    args += ["--unshare-cgroup-try"]
    if os.geteuid() != 0:
        args += ["--unshare-user", "--disable-userns"]
    args += _system_mounts() + _runtime_mounts()
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--size", str(limits.tmpfs_mb * 1024 * 1024), "--perms", "1777", "--tmpfs", "/tmp"]
    args += ["--remount-ro", "/", "--chdir", "/tmp", "--clearenv"]
    for key, value in ENV.items():
        args += ["--setenv", key, value]
    return [*args, "--"]


def inner_argv(tools: Tools, slot: int) -> list[str]:
    """Return the uid drop and the inner bubblewrap (empty when not root: nothing to drop)."""
    if os.geteuid() != 0:
        return []
    uid = str(UID_BASE + slot)
    drop = [tools.setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
    drop += ["--no-new-privs", "--inh-caps=-all", "--bounding-set=-all"]
    inner = [tools.bwrap, "--unshare-user", "--disable-userns", "--die-with-parent"]
    inner += ["--dev-bind", "/", "/", "--chdir", "/tmp", "--"]
    return drop + inner


def limit_argv(tools: Tools, limits: SandboxLimits) -> list[str]:
    """Return the ``prlimit`` command that applies ``limits`` (soft and hard)."""
    settings = (f"--{key}={soft}:{hard}" for key, (soft, hard) in limits.rlimits().items())
    return [tools.prlimit, *settings, "--"]


@dataclass(frozen=True, slots=True)
class PythonJail:
    """The jailed command that runs ``python -c source args...`` in one slot."""

    tools: Tools
    limits: SandboxLimits
    slot: int
    source: str
    args: tuple[str, ...] = ()

    def argv(self, info_fd: int) -> list[str]:
        """Return the whole command line, bubblewrap reporting on ``info_fd``."""
        python = [python_executable(), "-I", "-S", "-B", "-X", "frozen_modules=on"]
        return [
            *outer_argv(self.tools, self.limits, info_fd),
            *inner_argv(self.tools, self.slot),
            *limit_argv(self.tools, self.limits),
            *python,
            "-c",
            self.source,
            *self.args,
        ]
