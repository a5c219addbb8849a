"""Task plans: everything decided before the first model call.

Planning resolves the task and its variant, loads the data, turns rows into samples, picks the
subset and the few-shot examples, and renders every request. All of it is cheap and
deterministic, so any mistake in a task file or dataset fails here, before money is spent.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from evalkit.config import RunConfig, TaskRef, resolve_data_dir
from evalkit.errors import ConfigError, DataError
from evalkit.registry import suggest
from evalkit.task.data import (
    LoadedSplit,
    canonical_json,
    fewshot_pool,
    field_adapter,
    generate_split,
    load_adapter,
    load_generator,
    load_split,
    subset,
    to_samples,
)
from evalkit.task.prompts import LABELS, ShotCache, build_request
from evalkit.task.spec import ResolvedTask, find_task, resolve
from evalkit.types import GenerateParams, Request, Sample


@dataclass(frozen=True, slots=True)
class TaskPlan:
    """A task ready to run: samples and their rendered requests, aligned by position."""

    task: ResolvedTask
    samples: tuple[Sample, ...]
    requests: tuple[Request, ...]
    data: LoadedSplit
    split: str
    fewshot_ids: tuple[str, ...]
    fewshot_source: str | None

    @property
    def selection_sha256(self) -> str:
        """Hash of the selected sample ids (tells apart subsets of the same data)."""
        ids = dict.fromkeys(s.id for s in self.samples)  # epochs repeat a sample, not select it
        return hashlib.sha256("\n".join(ids).encode()).hexdigest()

    @property
    def prompts_sha256(self) -> str:
        """Hash of every rendered request (prompt or messages, and tools), in plan order.

        Recorded when a run starts and compared on resume: a template edited between a crash
        and its resume would otherwise mix two prompts in one run.
        """
        h = hashlib.sha256()
        for r in self.requests:
            tools = [t.to_dict() for t in r.tools] if r.tools else None
            item = [r.sample_id, r.epoch, r.prompt_json(), tools]
            h.update(canonical_json(item).encode("utf-8", "surrogatepass") + b"\n")
        return h.hexdigest()


def _shots_for(
    task: ResolvedTask,
    sample: Sample,
    pool: Sequence[Sample],
    by_group: dict[str, list[Sample]],
    seed: int,
) -> list[Sample]:
    f = task.typed.fewshot
    group_key = f.fewshot_group
    candidates = by_group.get(str(sample.metadata.get(group_key)), []) if group_key else list(pool)
    candidates = [c for c in candidates if c.id != sample.id]
    return fewshot_pool(candidates, f.n_shot, f.fewshot_sampler, seed)


def select_subjects(task: ResolvedTask, samples: list[Sample]) -> list[Sample]:
    """Keep the samples whose ``subject`` or ``category`` is named in the ``subjects`` parameter.

    An empty ``subjects`` keeps everything; a name matching no sample is refused with the list
    of valid names, so a typo never silently evaluates nothing or everything.
    """
    wanted = task.typed.fewshot.subjects
    if not wanted:
        return samples
    known = {str(s.metadata.get(k)) for s in samples for k in ("subject", "category")} - {"None"}
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise ConfigError(
            f"task '{task.label}': unknown subject or category '{unknown[0]}'."
            f"{suggest(unknown[0], sorted(known))} Valid: {', '.join(sorted(known))}."
        )
    keep = set(wanted)
    return [
        s
        for s in samples
        if {str(s.metadata.get("subject")), str(s.metadata.get("category"))} & keep
    ]


def _rotated_target(sample: Sample, shift: int) -> str:
    """The target of ``sample`` once its options are rotated left by ``shift``."""
    n = len(sample.choices)
    letter = sample.target.strip(" \t().").upper()  # "B", "b", "(B)" and "B." name option B
    if letter in LABELS[:n]:
        return LABELS[(LABELS.index(letter) - shift) % n]
    if sample.target in sample.choices:
        return sample.target  # the gold is the option's text, which moves with it
    raise ConfigError(
        f"circular evaluation: sample {sample.id}: target {sample.target!r} is neither a "
        f"label {'/'.join(LABELS[:n])} nor an option text"
    )


def _rotation(sample: Sample, shift: int) -> Sample:
    """Copy ``shift`` of ``sample`` for circular evaluation (options rotated left by ``shift``)."""
    metadata = {**sample.metadata, "circular_of": sample.id, "circular_n": len(sample.choices)}
    if shift == 0:
        return replace(sample, metadata=metadata)
    return replace(
        sample,
        id=f"{sample.id}@rot{shift}",
        choices=sample.choices[shift:] + sample.choices[:shift],
        target=_rotated_target(sample, shift),
        metadata=metadata,
    )


def expand_circular(task: ResolvedTask, samples: list[Sample]) -> list[Sample]:
    """With ``circular=true``, ask every question once per rotation of its options.

    Copy ``k`` (``0 <= k < n`` options) shows original option ``(i + k) % n`` at position ``i``,
    with its target remapped. Copy 0 keeps the question's id, the others get ``<id>@rot<k>``;
    every copy carries ``metadata["circular_of"] = <id>`` (what the ``circular`` metric groups
    by) and ``metadata["circular_n"] = n``. Templates must render ``choices``, not option columns.

    Raises:
        ConfigError: a sample has fewer than two options or a target that cannot be remapped.
    """
    if not task.typed.fewshot.circular:
        return samples
    for sample in samples:
        if len(sample.choices) < 2:
            raise ConfigError(
                f"task '{task.label}': circular evaluation needs options; "
                f"sample {sample.id} has {len(sample.choices)}"
            )
    return [_rotation(s, k) for s in samples for k in range(len(s.choices))]


def _generation(task: ResolvedTask, config: RunConfig) -> GenerateParams:
    g = task.generation
    return GenerateParams(
        max_tokens=config.max_tokens if config.max_tokens is not None else g.max_tokens,
        temperature=config.temperature if config.temperature is not None else g.temperature,
        top_p=g.top_p,
        seed=config.seed,
        stop=g.stop,
    )


def plan_task(ref: TaskRef, config: RunConfig) -> TaskPlan:
    """Resolve, load, select and render one task.

    Raises:
        UnknownNameError, ConfigError, TaskSpecError, DataError: with a one-line reason.
    """
    definition = find_task(ref.name, config.tasks_dir)
    task = resolve(definition, ref.variant, {**config.task_args, **dict(ref.params)})
    task = replace(task, generation=_generation(task, config))
    data_dir = resolve_data_dir(config.data_dir)
    adapt = load_adapter(definition) or field_adapter(definition)
    f = task.typed.fewshot
    split = f.split
    generator = load_generator(definition.spec.dataset)
    data = (
        generate_split(generator, definition.spec.dataset, task.params)
        if generator is not None
        else load_split(definition.spec.dataset, split, data_dir)
    )
    every = to_samples(data.rows, adapt, data.source)
    selected = select_subjects(task, every)
    samples = expand_circular(task, subset(selected, config.limit, config.sample, config.seed))
    if not samples:
        raise DataError(f"task '{task.label}': no samples selected")
    pool: list[Sample] = []
    fewshot_source = None
    if f.n_shot > 0:
        if f.fewshot_split == split:  # shots from the evaluated split: adapted once
            shot_data, pool = data, every
        else:
            shot_data = load_split(definition.spec.dataset, f.fewshot_split, data_dir)
            pool = to_samples(shot_data.rows, adapt, shot_data.source)
        fewshot_source = f"{shot_data.source}@{shot_data.sha256[:16]}"
    by_group: dict[str, list[Sample]] = defaultdict(list)
    for s in pool:
        by_group[str(s.metadata.get(f.fewshot_group))].append(s)
    requests: list[Request] = []
    used: set[str] = set()
    if generator is not None:  # synthetic rows are fitted to the evaluated model (longctx)
        samples, requests = generator.fit(task, samples, config)
    else:
        shot_cache: ShotCache = {}
        for sample in samples:
            shots = _shots_for(task, sample, pool, by_group, config.seed)
            used.update(s.id for s in shots)
            requests.append(build_request(task, sample, shots, shot_cache=shot_cache))
    if config.epochs > 1:  # every sample asked epochs times; each epoch its own seed
        epochs = range(config.epochs)
        samples = [s for s in samples for _ in epochs]
        requests = [replace(r, epoch=e) for r in requests for e in epochs]
    return TaskPlan(
        task, tuple(samples), tuple(requests), data, split, tuple(sorted(used)), fewshot_source
    )
