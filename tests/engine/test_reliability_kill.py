"""Crash-safe resume under real SIGKILLs of the ``evalkit run`` process.

One run of 200 samples is killed at 14 points, then resumed each time, until it completes:

* 6 kills from outside (``SIGKILL`` sent by this test) at seeded random moments, measured in
  lines written so far plus a random delay, while requests are in flight;
* 8 kills from inside at chosen write points (the process sends itself ``SIGKILL``): after
  creating the run folder, before the first ``run.json`` rename, in the middle of a
  ``samples.jsonl`` line (a torn line), right after a line, right after a cache insert (answer
  cached, not recorded), before the final sorted rewrite is renamed, and before the final
  ``run.json`` is renamed.

The server runs in this process and logs every request body, so each segment can be checked:
no sample already recorded when a segment starts is requested by it. At the end the run holds
every sample exactly once, and its metrics are byte-identical to an uninterrupted run's.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.recording_server import RecordingServer, serve_in_thread, write_task
from support.server_options import ServerOptions

from evalkit.cli import main
from evalkit.records.io import RUN_FILE, SAMPLES_FILE, read_record, read_samples

REPO = Path(__file__).resolve().parents[2]
N_SAMPLES = 200
HANG_GUARD_S = 600
"""Only a hung process waits this long: on a busy machine a segment's start alone (imports,
planning) has taken 30 s, so no wait here is sized to how fast things usually are."""


# Runs the CLI and kills it with SIGKILL at a write point named by $KILL_AT ("point:n": the
# n-th time the point is reached). The patches only decide *when* to die; the writes are real.
KILLER = r"""
import json, os, signal, sys
import evalkit.engine.cache as cache
import evalkit.records.io as results
import evalkit.records.lifecycle as runner
from evalkit.cli import main

point, _, nth = os.environ["KILL_AT"].rpartition(":")
seen = {"n": 0}

def reached():
    seen["n"] += 1
    return seen["n"] >= int(nth)

def die():
    os.kill(os.getpid(), signal.SIGKILL)

if point == "run-dir":
    new_run_dir = runner.new_run_dir
    def killing_new_run_dir(*args):
        path = new_run_dir(*args)
        die()
    runner.new_run_dir = killing_new_run_dir
elif point.startswith("replace:"):
    name = point.split(":", 1)[1]
    replace = os.replace
    def killing_replace(src, dst):
        if os.path.basename(dst) == name and reached():
            die()
        replace(src, dst)
    results.os.replace = killing_replace
elif point in ("append-torn", "append-after"):
    append = results.SamplesWriter.append
    def killing_append(self, line):
        if point == "append-torn" and reached():
            text = (json.dumps(line, sort_keys=True, ensure_ascii=False) + "\n").encode()
            self._fh.write(text[: len(text) // 2])
            die()
        append(self, line)
        if point == "append-after" and reached():
            die()
    results.SamplesWriter.append = killing_append
elif point == "cache-put":
    put = cache.ResponseCache.put
    def killing_put(self, key, completion):
        put(self, key, completion)
        if reached():
            die()
    cache.ResponseCache.put = killing_put
else:
    raise SystemExit(f"unknown kill point {point}")
sys.exit(main(sys.argv[1:]))
"""


def run_args(url: str, tasks: Path, data: Path, out: Path, cache: Path) -> list[str]:
    return [
        "run", "--model", "openai-compatible/fake-model", "--base-url", url,
        "--tasks", "rel_echo", "--tasks-dir", str(tasks), "--data-dir", str(data),
        "--output-dir", str(out), "--cache-dir", str(cache), "--concurrency", "6", "--quiet",
    ]  # fmt: skip


def the_run(out: Path) -> Path | None:
    """The one run folder with a run.json under ``out``, if there is one yet."""
    runs = [p for p in out.iterdir() if (p / RUN_FILE).is_file()] if out.is_dir() else []
    assert len(runs) <= 1, runs
    return runs[0] if runs else None


def line_count(out: Path) -> int:
    run = the_run(out)
    try:
        return (run / SAMPLES_FILE).read_bytes().count(b"\n") if run else 0
    except FileNotFoundError:
        return 0


def recorded_ids(run: Path | None) -> set[str]:
    """Ids with a successful line in the run (the torn last line dropped, as resume does)."""
    if run is None or not (run / SAMPLES_FILE).exists():
        return set()
    return {ln["id"] for ln in read_samples(run) if ln["error"] is None}


def launch(argv: list[str], kill_at: str | None, script: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if kill_at is None:
        cmd = [sys.executable, "-m", "evalkit.cli", *argv]
    else:
        cmd, env["KILL_AT"] = [sys.executable, str(script), *argv], kill_at
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def kill_after_lines(proc: subprocess.Popen[bytes], out: Path, lines: int, delay_s: float) -> int:
    """SIGKILL ``proc`` once ``lines`` lines are in samples.jsonl, plus ``delay_s``."""
    deadline = time.monotonic() + HANG_GUARD_S
    while line_count(out) < lines and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    time.sleep(delay_s)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    return proc.wait(HANG_GUARD_S)


# (kill point, how to resume, use the response cache). Kill point None: a kill from outside at a
# random moment. Segments without the cache show that resume itself, not the cache, keeps
# recorded samples from being requested again.
PLAN: list[tuple[str | None, str | None, bool]] = [
    ("run-dir:1", None, True),
    ("replace:run.json:1", "latest", True),
    (None, "latest", True),
    ("append-torn:5", "id", False),
    (None, "id", False),
    ("cache-put:4", "latest", True),
    (None, "id", True),
    ("append-after:6", "id", False),
    (None, "latest", False),
    ("append-torn:3", "id", True),
    (None, "id", False),
    (None, "id", True),
    ("replace:samples.jsonl:1", "id", False),
    ("replace:run.json:1", "latest", True),
]


def normalised(lines: list[dict[str, Any]]) -> list[str]:
    """Sample lines without what legitimately differs between runs (timing, attempts)."""
    return [
        json.dumps({k: v for k, v in ln.items() if k not in ("latency_s", "attempts")})
        for ln in lines
    ]


@dataclass
class Chain:
    """One run being killed and resumed: where it lives and what the server saw."""

    url: str
    tasks: Path
    data: Path
    out: Path
    cache: Path
    script: Path
    server: RecordingServer
    id_of: dict[str, str]
    rng: random.Random


def segment(
    chain: Chain, kill_at: str | None, how: str | None, cached: bool
) -> tuple[int, list[str]]:
    """Start one ``evalkit run``, let it be killed as ``kill_at`` says (or finish if it is not a
    kill point); return its exit status and the sample ids it requested, in order."""
    argv = run_args(chain.url, chain.tasks, chain.data, chain.out, chain.cache)
    argv += [] if cached else ["--no-cache"]
    run = the_run(chain.out)
    if how is not None:
        argv += ["--resume", "latest" if how == "latest" or run is None else run.name]
    first_body = len(chain.server.bodies)
    point = kill_at if kill_at not in (None, "final", "again") else None
    proc = launch(argv, point, chain.script)
    if kill_at is None:
        target = line_count(chain.out) + chain.rng.randint(2, 10)
        status = kill_after_lines(proc, chain.out, target, chain.rng.uniform(0.0, 0.01))
    else:
        status = proc.wait(HANG_GUARD_S)
    assert proc.stderr is not None
    stderr = proc.stderr.read().decode()
    proc.stderr.close()
    assert status == (0 if kill_at in ("final", "again") else -signal.SIGKILL), (kill_at, stderr)
    chain.server.wait_idle()  # every request of this segment is logged before the next starts
    bodies = chain.server.bodies[first_body:]
    return status, [
        chain.id_of[json.dumps(json.loads(b)["messages"], sort_keys=True)] for b in bodies
    ]


def test_sigkill_at_14_points_then_resume_matches_an_uninterrupted_run(tmp_path):
    tasks, data = write_task(tmp_path, N_SAMPLES)
    (tmp_path / "killer.py").write_text(KILLER)
    server = RecordingServer(ServerOptions(latency_ms=20))
    with serve_in_thread(server) as url:
        assert main(run_args(url, tasks, data, tmp_path / "clean", tmp_path / "c0")) == 0
        (clean_dir,) = (tmp_path / "clean").iterdir()
        clean_lines = read_samples(clean_dir)
        id_of = {json.dumps(ln["prompt"], sort_keys=True): ln["id"] for ln in clean_lines}
        chain = Chain(url, tasks, data, tmp_path / "runs", tmp_path / "cache",
                      tmp_path / "killer.py", server, id_of, random.Random(20240611))  # fmt: skip
        kills, torn_seen, mid_run = 0, 0, 0
        for kill_at, how, cached in [*PLAN, ("final", "id", False), ("again", "id", True)]:
            done_before = recorded_ids(the_run(chain.out))
            status, asked = segment(chain, kill_at, how, cached)
            # A sample recorded before this segment began is never requested again.
            assert not done_before & set(asked), (kill_at, sorted(done_before & set(asked)))
            assert len(asked) == len(set(asked)), kill_at  # nor twice within one segment
            assert kill_at != "again" or asked == []  # a finished run asks nothing more
            kills += status == -signal.SIGKILL
            run = the_run(chain.out)
            if run is not None and (run / SAMPLES_FILE).exists():
                written = (run / SAMPLES_FILE).read_bytes()
                torn_seen += bool(written) and not written.endswith(b"\n")
                ok = [ln["id"] for ln in read_samples(run) if ln["error"] is None]
                assert len(ok) == len(set(ok)), kill_at  # no sample recorded twice
                mid_run += 0 < len(ok) < N_SAMPLES
    assert kills == len(PLAN) >= 10
    assert torn_seen >= 2  # the torn-line kills really left half a line behind
    assert mid_run >= 10  # the kills landed while samples were still being answered
    assert_same_results(the_run(chain.out), clean_dir)


def assert_same_results(run: Path | None, clean_dir: Path) -> None:
    """The resumed run holds every sample once, as the clean run does, and the same numbers."""
    assert run is not None
    lines, clean_lines = read_samples(run), read_samples(clean_dir)
    assert [ln["id"] for ln in lines] == [ln["id"] for ln in clean_lines]  # none lost or doubled
    assert normalised(lines) == normalised(clean_lines)
    resumed, clean = read_record(run), read_record(clean_dir)
    assert resumed.status == "complete" and resumed.counts["samples"] == N_SAMPLES
    for part in ("metrics", "groups", "macro", "counts", "usage"):
        got, want = getattr(resumed, part), getattr(clean, part)
        assert json.dumps(got, sort_keys=True) == json.dumps(want, sort_keys=True), part
    # Leftovers of the writes the kills interrupted are gone once the run is resumed.
    assert sorted(p.name for p in run.iterdir()) == [RUN_FILE, SAMPLES_FILE]
