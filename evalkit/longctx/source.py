"""The data source of the ``niah`` and ``ruler`` tasks: generated rows, sized to the model.

A task names it in ``task.toml`` as ``[dataset] generator = "evalkit.longctx.source:SOURCE"``.
Planning calls :meth:`LongContextSource.rows` with the task's parameters (the rows are
fingerprinted and subset like any dataset), then :meth:`LongContextSource.fit` on the selected
samples: it refuses lengths beyond the model's context, finds the model's tokenizer, and gives
each sample the largest haystack whose whole prompt fits ``length - max_tokens``. Each sized
sample records in its metadata the measured ``tokens``, the ``budget``, the ``tokenizer`` that
counted and the ``sizing`` (``exact``, or ``approximate`` when the count was not the model's own).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from evalkit.backends import BackendOptions
from evalkit.backends.tokenizers import TokenCounter, context_length, make_counter
from evalkit.config import ModelSpec, RunConfig
from evalkit.errors import ConfigError
from evalkit.longctx.haystack import haystack_for
from evalkit.longctx.rows import Row, generate_rows
from evalkit.longctx.sizing import Calibration, calibrate, fit_units
from evalkit.task.prompts import build_request
from evalkit.task.spec import ResolvedTask
from evalkit.types import Request, Sample


class Sizer:
    """Sizes samples one after another, reusing what earlier samples taught about the rate."""

    def __init__(
        self, counter: TokenCounter, render: Callable[[Sample], Request], max_tokens: int
    ) -> None:
        self._counter = counter
        self._render = render
        self._max_tokens = max_tokens
        self._calibrations: dict[tuple[str, str], Calibration] = {}
        self._previous: dict[tuple[str, str, int], int] = {}

    def size(self, sample: Sample) -> tuple[Sample, Request]:
        """Return ``sample`` with its sized ``context`` and metadata, and its request."""
        row = sample.data
        haystack = haystack_for(row)
        length = int(row["length"])
        budget = length - self._max_tokens
        built: dict[int, tuple[Sample, Request]] = {}

        def measure(n: int) -> int:
            filled = replace(sample, data={**row, "context": haystack.text(n)})
            request = self._render(filled)
            built[n] = (filled, request)
            return self._counter.count(request)

        kind = (str(row["subtask"]), str(row["haystack"]))
        calibration = self._calibrations.get(kind) or calibrate(measure)
        self._calibrations[kind] = calibration
        guess = self._previous.get((*kind, length), calibration.guess(budget))
        fit = fit_units(measure, budget, guess, calibration.rate)
        self._previous[(*kind, length)] = fit.units
        filled, request = built[fit.units]
        meta = {k: v for k, v in sample.metadata.items() if v is not None}
        meta.update(
            tokens=fit.tokens,
            budget=budget,
            tokenizer=self._counter.name,
            sizing="exact" if self._counter.exact else "approximate",
            haystack_units=fit.units,
            tokenize_calls=fit.calls,
        )
        return replace(filled, metadata=meta), request


def backend_options(config: RunConfig) -> BackendOptions:
    """The options the run's backend is built with (what its tokenizer is found from)."""
    return BackendOptions(
        base_url=config.base_url,
        api_key_env=config.api_key_env,
        timeout_s=config.timeout_s,
        model_args=dict(config.model_args),
    )


def check_context(lengths: Sequence[int], spec: ModelSpec, options: BackendOptions) -> None:
    """Refuse lengths beyond the model's context, where it is known.

    Raises:
        ConfigError: naming the longest length and the context.
    """
    limit = context_length(spec.provider, spec.model, options)
    if limit is None or max(lengths) <= limit:
        return
    hint = "; raise it with -M n_ctx=N" if spec.provider == "llamacpp" else ""
    raise ConfigError(
        f"length {max(lengths)} is beyond the context of {spec.provider}/{spec.model} "
        f"({limit} tokens{hint}): pass shorter -T lengths="
    )


class LongContextSource:
    """Generated long-context rows and their sizing (the task's ``[dataset] generator``)."""

    def rows(self, params: Mapping[str, Any]) -> list[Row]:
        """Every row of the grid the parameters describe (no haystack yet)."""
        return generate_rows(params)

    def fit(
        self, task: ResolvedTask, samples: Sequence[Sample], config: RunConfig
    ) -> tuple[list[Sample], list[Request]]:
        """Size every sample's haystack to the evaluated model and render its request.

        Raises:
            ConfigError: a length beyond the context, a tokenizer that cannot be found, a
                server without a tokenize endpoint, or a length too short for the prompt.
        """
        spec = ModelSpec.parse(config.model)
        options = backend_options(config)
        check_context([int(s.data["length"]) for s in samples], spec, options)
        choice = str(task.params.get("tokenizer", "auto"))
        counter = make_counter(spec.provider, spec.model, options, choice)
        max_tokens = task.generation.max_tokens or 0
        sizer = Sizer(counter, lambda s: build_request(task, s, ()), max_tokens)
        try:
            sized = [sizer.size(s) for s in samples]
        finally:
            close = getattr(counter, "close", None)
            if close is not None:
                close()
        if not sized:
            raise ConfigError(f"task '{task.label}': no samples to size")
        return [s for s, _ in sized], [r for _, r in sized]


SOURCE = LongContextSource()
"""The instance ``task.toml`` names."""
