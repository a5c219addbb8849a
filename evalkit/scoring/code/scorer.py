"""The ``code_tests`` scorer: run a problem's tests against the model's program in the sandbox.

The program (read from the reply by :mod:`evalkit.scoring.code.program`) is followed by the
problem's test code and ``check(<entry point>)``, as in HumanEval, and run once in a fresh jail
with a wall and CPU limit (``timeout_s``). It passes when the jail exits 0 *and* prints a marker
line written after ``check`` returned: code that exits early (``sys.exit(0)`` in the function)
never reaches it. The marker is a hash of the program and tests, which the model cannot know.

Every score records why it is what it is (``Score.reason`` and ``details["error_kind"]``):
``None`` (passed), ``no_code``, ``syntax``, ``assertion``, ``timeout`` (wall clock or CPU),
``memory``, ``output_limit``, ``file_size``, ``exited_early``, or the name of the exception that
ended the run (``NameError``, ``TypeError``, ...).

Parameters (``[params]`` of the task): ``code_from`` = ``reply`` (chat: extract the program) or
``continuation`` (base models: prompt + completion), ``timeout_s`` (default 10), and the row
fields ``prompt_field``, ``test_field``, ``entry_point_field`` (default ``prompt``, ``test``,
``entry_point``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from evalkit.errors import ConfigError, SandboxUnavailable
from evalkit.sandbox import ExecResult, SandboxLimits
from evalkit.scoring import ScoringResources
from evalkit.scoring.code.program import Extraction, continuation_program, extract_program
from evalkit.types import Completion, Message, Sample, Score

CodeFrom = Literal["reply", "continuation"]
_EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*)(?::|$)")
_SYNTAX = ("SyntaxError", "IndentationError", "TabError")


def check_program(program: str, tests: str, entry_point: str) -> tuple[str, str]:
    """Return the program to run (program, tests, ``check``, marker) and its marker line."""
    digest = hashlib.sha256(f"{program}\0{tests}\0{entry_point}".encode()).hexdigest()[:24]
    marker = f"evalkit-check-passed-{digest}"
    source = f"{program}\n\n{tests}\n\ncheck({entry_point})\nprint({marker!r})\n"
    return source, marker


def error_kind(result: ExecResult, marker: str) -> str | None:
    """Name how a check run failed (``None`` when it passed)."""
    if result.timed_out or result.killed == "cpu":
        return "timeout"  # out of time, on the wall clock or in CPU seconds
    if result.killed is not None:
        return result.killed
    if result.exit_code == 0:
        passed = result.stdout.rstrip("\n").rsplit("\n", 1)[-1] == marker
        return None if passed else "exited_early"
    last = result.stderr.rstrip().rsplit("\n", 1)[-1].strip()
    found = _EXCEPTION.match(last)
    if found is None:
        return f"exit_{result.exit_code}"
    name = found[1].rsplit(".", 1)[-1]
    if name in _SYNTAX:
        return "syntax"
    return "assertion" if name == "AssertionError" else name


@dataclass(frozen=True, slots=True)
class CodeTestsScorer:
    """Scores 1 when the model's program passes the problem's tests in the sandbox."""

    code_from: CodeFrom = "reply"
    timeout_s: float = 10.0
    prompt_field: str = "prompt"
    test_field: str = "test"
    entry_point_field: str = "entry_point"
    needs: frozenset[str] = frozenset({"sandbox"})

    def program(self, sample: Sample, completion: Completion) -> Extraction:
        """Return the program the completion stands for."""
        prompt = str(sample.data[self.prompt_field])
        if self.code_from == "continuation":
            return continuation_program(prompt, completion.text)
        return extract_program(completion.text, prompt, str(sample.data[self.entry_point_field]))

    async def ascore(
        self,
        sample: Sample,
        completion: Completion,
        transcript: tuple[Message, ...],
        resources: ScoringResources,
    ) -> Score:
        """Run the tests against the program and score the outcome."""
        if resources.sandbox is None:
            raise SandboxUnavailable("the code_tests scorer was given no sandbox to run code in")
        extraction = self.program(sample, completion)
        if extraction.program is None:
            nothing = {"error_kind": "no_code", "how": extraction.how}
            return Score(0.0, None, "no_code", {"pass@1": 0.0}, details=nothing)
        entry = str(sample.data[self.entry_point_field])
        source, marker = check_program(extraction.program, str(sample.data[self.test_field]), entry)
        limits = SandboxLimits(wall_s=self.timeout_s, cpu_s=self.timeout_s)
        result = await resources.sandbox.run(source, limits=limits)
        kind = error_kind(result, marker)
        value = 1.0 if kind is None else 0.0
        details: dict[str, Any] = {
            "error_kind": kind,
            "how": extraction.how,
            "exit_code": result.exit_code,
            "wall_s": round(result.wall_s, 3),
            "stderr_tail": result.stderr[-1500:],
        }
        return Score(value, extraction.program, kind, {"pass@1": value}, details=details)


def make_code_tests_scorer(params: Mapping[str, Any]) -> CodeTestsScorer:
    """Build the scorer from task parameters (see the module docstring).

    Raises:
        ConfigError: ``code_from`` is neither ``reply`` nor ``continuation``, or ``timeout_s``
            is not a positive number.
    """
    code_from = str(params.get("code_from", "reply"))
    if code_from not in ("reply", "continuation"):
        raise ConfigError(f"code_from must be 'reply' or 'continuation', not {code_from!r}")
    timeout = float(params.get("timeout_s", 10.0))
    if not 0 < timeout < float("inf"):
        raise ConfigError(f"timeout_s must be a positive number of seconds, not {timeout}")
    return CodeTestsScorer(
        "reply" if code_from == "reply" else "continuation",
        timeout,
        str(params.get("prompt_field", "prompt")),
        str(params.get("test_field", "test")),
        str(params.get("entry_point_field", "entry_point")),
    )
