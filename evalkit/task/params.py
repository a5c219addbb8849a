"""Typed sections of a task's parameters, with every default in one place.

``task.toml`` declares a task's parameters as one flat table (``[params]``), and the run record
keeps that flat table as it is, so task versions, resume and comparability depend on it alone.
The code never reads the flat table by string key: it reads these typed sections, built once
when the task is resolved. A key a task does not declare takes the default written here.

>>> p = TaskParams.of({"n_shot": 8, "format": "text", "mode": "loglikelihood"})
>>> p.fewshot.n_shot, p.prompt.format, p.mode.key
(8, 'text', 'loglikelihood:letter')
>>> TaskParams.of({}).solver.max_turns
3
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal, TypeVar, cast

from evalkit.errors import ConfigError

PromptFormat = Literal["chat", "single", "text"]
ToolProtocolName = Literal["native", "fenced", "internlm"]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PromptParams:
    """How requests are rendered (read by :mod:`evalkit.task.prompts`)."""

    format: PromptFormat = "chat"
    """``chat`` (turns), ``single`` (one user message), or ``text`` (a completions prompt)."""
    separator: str = "\n\n"
    """Between few-shot examples in ``single`` and ``text`` formats."""
    turn_separator: str = " "
    """Between a question and its answer inside one example."""
    text_suffix: str = ""
    """Appended to a ``text`` prompt."""
    system_template: str = ""
    user_template: str = ""
    fewshot_user_template: str = ""
    fewshot_assistant_template: str = ""


@dataclass(frozen=True, slots=True)
class FewshotParams:
    """Which rows are evaluated and which serve as examples (read by :mod:`evalkit.task.plan`)."""

    split: str = "test"
    n_shot: int = 0
    fewshot_split: str = "train"
    fewshot_sampler: str = "first_n"
    fewshot_group: str = ""
    """Metadata field examples must share with the question (e.g. the subject)."""
    subjects: tuple[str, ...] | None = None
    """Subjects or categories to keep (multiple-choice exams); ``None`` keeps all."""
    circular: bool = False
    """Ask each question once per rotation of its options."""


@dataclass(frozen=True, slots=True)
class ScoringMode:
    """How a sample's answer is obtained: generated, or chosen by ranking the options."""

    kind: Literal["generate", "rank"] = "generate"
    target: Literal["letter", "text"] = "letter"
    """What is ranked: the option letters or the option texts."""

    @property
    def key(self) -> str:
        """The recorded name (``generate``, ``loglikelihood:letter``), also in cache keys."""
        return "generate" if self.kind == "generate" else f"loglikelihood:{self.target}"


@dataclass(frozen=True, slots=True)
class SolverParams:
    """Settings of multi-turn solvers (read by :mod:`evalkit.engine.solvers`)."""

    max_turns: int = 3
    """Model turns at most; a model still calling tools after them hits the turn limit."""
    protocol: ToolProtocolName = "native"
    """How tools are offered and called: native OpenAI tools, fenced blocks, or InternLM2."""
    tools: tuple[str, ...] = ()
    """Names of the tools offered (see :data:`evalkit.engine.tools.TOOLS`)."""
    tool_timeout_s: float = 10.0
    """Wall and CPU seconds of one code execution in the sandbox (the session dies past it)."""


def solver_defaults() -> dict[str, Any]:
    """The parameters a multi-turn solver adds to a task, with their defaults (flat form).

    A task or variant whose solver is not ``generate`` declares these implicitly, so
    ``-T max_turns=5`` works on it and plain runs of the task keep the parameters they had.
    """
    d = SolverParams()
    return {
        "max_turns": d.max_turns,
        "protocol": d.protocol,
        "tools": list(d.tools),
        "tool_timeout_s": d.tool_timeout_s,
    }


@dataclass(frozen=True, slots=True)
class TaskParams:
    """All typed sections of one resolved task's parameters."""

    prompt: PromptParams = field(default_factory=PromptParams)
    fewshot: FewshotParams = field(default_factory=FewshotParams)
    mode: ScoringMode = field(default_factory=ScoringMode)
    solver: SolverParams = field(default_factory=SolverParams)

    @classmethod
    def of(cls, params: Mapping[str, Any], label: str = "task") -> TaskParams:
        """Build the sections from a task's flat parameters.

        Raises:
            ConfigError: a value of the wrong type or outside its choices.
        """
        return cls(
            prompt=_section(PromptParams, params, label),
            fewshot=_section(FewshotParams, params, label),
            mode=_mode(params, label),
            solver=_section(SolverParams, params, label),
        )


def _mode(params: Mapping[str, Any], label: str) -> ScoringMode:
    mode = params.get("mode", "generate")
    if mode not in ("generate", "loglikelihood"):
        raise ConfigError(f"task '{label}': invalid mode '{mode}' (generate or loglikelihood)")
    target = params.get("ll_target", "letter")
    if target not in ("letter", "text"):
        raise ConfigError(f"task '{label}': invalid ll_target '{target}' (letter or text)")
    return ScoringMode("generate" if mode == "generate" else "rank", target)


_CHOICES: dict[str, tuple[str, ...]] = {
    "format": ("chat", "single", "text"),
    "protocol": ("native", "fenced", "internlm"),
}


def _section(kind: type[T], params: Mapping[str, Any], label: str) -> T:
    """Read the fields of ``kind`` present in ``params``, checked against their defaults."""
    values: dict[str, Any] = {}
    defaults = kind()
    for f in fields(cast(Any, kind)):
        if f.name not in params:
            continue
        values[f.name] = _checked(label, f.name, params[f.name], getattr(defaults, f.name))
    return kind(**values)


def _checked(label: str, key: str, value: Any, default: Any) -> Any:
    if key in _CHOICES and value not in _CHOICES[key]:
        *first, last = _CHOICES[key]
        raise ConfigError(f"task '{label}': unknown {key} '{value}' ({', '.join(first)} or {last})")
    if key in ("subjects", "tools"):
        if value in (None, "", []):
            return None if key == "subjects" else ()
        items = value.split(",") if isinstance(value, str) else value
        return tuple(str(v).strip() for v in items if str(v).strip())
    if isinstance(default, bool) or key == "circular":
        return value is True
    if isinstance(default, int):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"task '{label}': {key} must be a whole number >= 0, got {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1e6:
            raise ConfigError(f"task '{label}': {key} must be a positive number, got {value!r}")
        return float(value)
    return "" if value is None else str(value)
