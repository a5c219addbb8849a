"""The transformers backend (``hf/<repo | folder | path.gguf | alias>``).

Loads a safetensors folder, a hub repository id (from the local cache or the hub), or a GGUF file
(dequantised by transformers; needs the ``gguf`` package), on CPU or CUDA. Chat requests go through
the tokenizer's chat template; prompt requests are tokenized as they are.

Generation is batched: requests that arrive together (in one event-loop turn, or while the model is
busy) are grouped, up to ``batch_size``, by identical generation parameters, left-padded and run
in one ``model.generate`` call. Padding can flip greedy near-ties; a sampling seed is applied once
per batch, so sampled outputs depend on the batching. Log-likelihoods are exact (one forward pass
per option, the math of :mod:`evalkit.backends.loglik`).

``-M`` arguments: ``device`` (``auto``, ``cpu``, ``cuda``, ``cuda:N``; ``auto`` picks CUDA when
present), ``dtype`` (``auto``: float32 on CPU, bfloat16 on CUDA; or ``float32``, ``bfloat16``,
``float16``), ``batch_size`` (default 8), ``n_threads`` (torch CPU threads, process-wide).
"""

from __future__ import annotations

import asyncio
import importlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from evalkit.backends import BackendIdentity, BackendOptions, Capabilities
from evalkit.backends.local_models import ALIASES, resolve_local_model
from evalkit.backends.loglik import continuation_logprob, shared_inputs, split_whitespace
from evalkit.errors import ConfigError, FatalBackendError
from evalkit.types import Completion, FinishReason, GenerateParams, Request, Usage

INSTALL_HINT = "the hf backend needs torch and transformers: pip install 'evalkit[hf]'"
DTYPES = ("auto", "float32", "bfloat16", "float16")


@dataclass(frozen=True, slots=True)
class HFSettings:
    """Settings read from ``-M key=value``.

    Attributes:
        device: ``auto``, ``cpu``, ``cuda`` or ``cuda:N``.
        dtype: Weight dtype; ``auto`` is float32 on CPU and bfloat16 on CUDA.
        batch_size: Most requests generated (or continuations scored) in one forward batch.
        n_threads: CPU threads for torch (process-wide); ``None`` keeps torch's default.
    """

    device: str = "auto"
    dtype: str = "auto"
    batch_size: int = 8
    n_threads: int | None = None


def parse_settings(model_args: Mapping[str, str]) -> HFSettings:
    """Build :class:`HFSettings` from ``-M`` arguments.

    Raises:
        ConfigError: an unknown key or an invalid value.
    """
    known = ("device", "dtype", "batch_size", "n_threads")
    unknown = sorted(set(model_args) - set(known))
    if unknown:
        raise ConfigError(f"unknown hf model argument {unknown[0]!r}; known: {', '.join(known)}")
    settings = HFSettings(
        device=model_args.get("device", "auto"),
        dtype=model_args.get("dtype", "auto"),
        batch_size=_positive(model_args, "batch_size") or 8,
        n_threads=_positive(model_args, "n_threads"),
    )
    if settings.dtype not in DTYPES:
        raise ConfigError(f"hf dtype={settings.dtype!r} is not one of {', '.join(DTYPES)}")
    if not (settings.device in ("auto", "cpu", "cuda") or settings.device.startswith("cuda:")):
        raise ConfigError(f"hf device={settings.device!r}: use auto, cpu, cuda or cuda:N")
    return settings


def _positive(model_args: Mapping[str, str], key: str) -> int | None:
    raw = model_args.get(key)
    if raw is not None and (not raw.isdigit() or int(raw) < 1):
        raise ConfigError(f"hf {key}={raw!r} must be a positive integer")
    return None if raw is None else int(raw)


@dataclass(frozen=True, slots=True)
class LoadedModel:
    """A transformers model and tokenizer ready to run (typed ``Any``: optional imports).

    Attributes:
        name: What the run record calls the model.
        model: The ``PreTrainedModel``, in eval mode, on ``device``.
        tokenizer: Its tokenizer.
        device: The torch device string.
        extra: Identity details (file, size, sha256, dtype, device).
        torch: The torch module.
    """

    name: str
    model: Any
    tokenizer: Any
    device: str
    extra: Mapping[str, str]
    torch: Any


def optional_import(name: str) -> Any:
    """Import an optional dependency, typed ``Any`` so type checks need not have it installed.

    Raises:
        ConfigError: the package is missing (with the install hint).
    """
    try:
        return importlib.import_module(name)
    except ImportError:
        raise ConfigError(INSTALL_HINT) from None


def load_model(spec: str, settings: HFSettings) -> LoadedModel:
    """Load a model by alias, GGUF path, folder or hub repository id.

    Raises:
        ConfigError: torch/transformers are missing, or the model cannot be found or loaded.
    """
    torch = optional_import("torch")
    transformers = optional_import("transformers")
    if settings.n_threads is not None:
        # Oversubscribed OpenMP threads spin against each other: on a loaded 2-core machine
        # two threads decoded 8x slower than one (measured), so this knob matters.
        torch.set_num_threads(settings.n_threads)
    source, kwargs, name, extra = model_source(spec)
    device = settings.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype_name = settings.dtype
    if dtype_name == "auto":
        dtype_name = "float32" if device == "cpu" else "bfloat16"
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(source, **kwargs)
        model = transformers.AutoModelForCausalLM.from_pretrained(
            source, dtype=getattr(torch, dtype_name), **kwargs
        )
    except (OSError, ValueError, ImportError) as err:
        raise ConfigError(f"cannot load {name} with transformers: {err}".splitlines()[0]) from None
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = model.to(device).eval()
    extra = {**extra, "dtype": dtype_name, "device": device}
    return LoadedModel(name, model, tokenizer, device, extra, torch)


def model_source(spec: str) -> tuple[str, dict[str, str], str, dict[str, str]]:
    """Return ``(source, kwargs, record name, identity extra)``; non-local ``org/name``: hub id.

    Raises:
        ConfigError: a local-looking model that does not exist.
    """
    is_local = spec in ALIASES or spec.endswith(".gguf") or Path(spec).expanduser().exists()
    if not is_local and spec.count("/") == 1:
        return spec, {}, spec, {"repo": spec}
    local = resolve_local_model(spec)
    if local.is_gguf:
        return str(local.path.parent), {"gguf_file": local.path.name}, local.name, dict(local.extra)
    return str(local.path), {}, local.name, dict(local.extra)


@dataclass(frozen=True, slots=True)
class _Pending:
    """A generation request waiting for its batch."""

    request: Request
    future: asyncio.Future[Completion]


class HFBackend:
    """A transformers model with batched generation and exact log-likelihoods.

    Args:
        loaded: The loaded model and tokenizer.
        settings: Batch size and device settings.
    """

    def __init__(self, loaded: LoadedModel, settings: HFSettings) -> None:
        self._loaded = loaded
        self._settings = settings
        self._pending: list[_Pending] = []
        self._worker: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._identity = BackendIdentity("hf", loaded.name, extra=dict(loaded.extra))

    @property
    def identity(self) -> BackendIdentity:
        """The model name with its file details and dtype."""
        return self._identity

    @property
    def capabilities(self) -> Capabilities:
        """Chat, completions and exact log-likelihoods; a batch's worth of requests in flight."""
        size = self._settings.batch_size
        return Capabilities(loglikelihood=("exact",), max_concurrency=size)

    async def generate(self, request: Request) -> Completion:
        """Queue ``request`` for the next batch and wait for its completion.

        Raises:
            FatalBackendError: the model failed on the batch.
        """
        future: asyncio.Future[Completion] = asyncio.get_running_loop().create_future()
        self._pending.append(_Pending(request, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain())
        return await future

    async def loglikelihood(self, request: Request, continuations: Sequence[str]) -> list[float]:
        """Return ``log P(continuation | prompt)`` for each continuation, in order.

        The prompt is ``request.prompt``, or the chat template applied to ``request.messages``
        with the generation prompt added.

        Raises:
            FatalBackendError: the model failed.
        """
        async with self._lock:
            return await asyncio.to_thread(self._loglikelihood_sync, request, continuations)

    async def preflight(self) -> None:
        """Nothing to check before the first request (the model is already loaded)."""

    async def aclose(self) -> None:
        """Wait for queued work, then drop the model."""
        if self._worker is not None:
            await self._worker
        async with self._lock:
            self._loaded = replace(self._loaded, model=None)

    async def _drain(self) -> None:
        # Yield once so that requests submitted in the same event-loop turn join the batch.
        await asyncio.sleep(0)
        while self._pending:
            batch = self._take_batch()
            try:
                async with self._lock:
                    requests = [p.request for p in batch]
                    results = await asyncio.to_thread(self._generate_batch, requests)
            except Exception as err:  # a failed batch fails its requests, not the worker
                failure = err if isinstance(err, FatalBackendError) else _fatal(err)
                for pending in batch:
                    if not pending.future.cancelled():
                        pending.future.set_exception(failure)
                continue
            for pending, completion in zip(batch, results, strict=True):
                if not pending.future.cancelled():
                    pending.future.set_result(completion)

    def _take_batch(self) -> list[_Pending]:
        key = (self._pending[0].request.params, self._pending[0].request.epoch)
        batch = [p for p in self._pending if (p.request.params, p.request.epoch) == key]
        batch = batch[: self._settings.batch_size]
        self._pending = [p for p in self._pending if p not in batch]
        return batch

    def _encode(self, request: Request) -> list[int]:
        tokenizer = self._loaded.tokenizer
        if request.messages is None:
            return list(tokenizer(request.prompt or "").input_ids)
        # The rendered template already holds every special token it wants.
        text = self._chat_text(request)
        return list(tokenizer(text, add_special_tokens=False).input_ids)

    def _chat_text(self, request: Request) -> str:
        messages = [m.to_dict() for m in request.messages or ()]
        tokenizer = self._loaded.tokenizer
        if tokenizer.chat_template is None:
            raise FatalBackendError("the model has no chat template; send a prompt, not messages")
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return str(text)

    def _generate_batch(self, requests: list[Request]) -> list[Completion]:
        torch = self._loaded.torch
        started = time.perf_counter()
        encoded = [self._encode(r) for r in requests]
        params = requests[0].params
        width = max(len(ids) for ids in encoded)
        input_ids, mask = self._left_pad(encoded, width)
        config = self._generation_config(params, width)
        if params.seed is not None:
            torch.manual_seed(params.seed + requests[0].epoch)
        extra = {"tokenizer": self._loaded.tokenizer} if params.stop else {}
        with torch.inference_mode():
            output = self._loaded.model.generate(
                input_ids=input_ids, attention_mask=mask, generation_config=config, **extra
            )
        latency = time.perf_counter() - started
        new_tokens = output[:, width:].tolist()
        return [
            self._completion(tokens, params, len(ids), config.max_new_tokens, latency)
            for tokens, ids in zip(new_tokens, encoded, strict=True)
        ]

    def _left_pad(self, encoded: list[list[int]], width: int) -> tuple[Any, Any]:
        torch = self._loaded.torch
        pad = self._loaded.tokenizer.pad_token_id
        ids = [[pad] * (width - len(row)) + row for row in encoded]
        mask = [[0] * (width - len(row)) + [1] * len(row) for row in encoded]
        device = self._loaded.device
        return torch.tensor(ids, device=device), torch.tensor(mask, device=device)

    def _generation_config(self, params: GenerateParams, width: int) -> Any:
        transformers = optional_import("transformers")
        model = self._loaded.model
        limit = getattr(model.config, "max_position_embeddings", 2048) - width
        max_new = limit if params.max_tokens is None else min(params.max_tokens, limit)
        if max_new < 1:
            raise FatalBackendError(f"a prompt of {width} tokens leaves no room to generate")
        sampling = params.temperature > 0
        # A fresh config: the checkpoint's defaults (top_k=50, ...) must not reshape sampling.
        return transformers.GenerationConfig(
            max_new_tokens=max_new,
            do_sample=sampling,
            temperature=params.temperature if sampling else None,
            top_p=params.top_p if sampling else None,
            top_k=0 if sampling else None,
            stop_strings=list(params.stop) or None,
            eos_token_id=model.generation_config.eos_token_id,
            pad_token_id=self._loaded.tokenizer.pad_token_id,
        )

    def _completion(
        self, tokens: list[int], params: GenerateParams, n_input: int, limit: int, latency: float
    ) -> Completion:
        enders = self._end_tokens()
        length = next((i for i, t in enumerate(tokens) if t in enders), None)
        produced = tokens if length is None else tokens[:length]
        text = str(self._loaded.tokenizer.decode(produced, skip_special_tokens=True))
        cut = min((i for i in (text.find(s) for s in params.stop) if i >= 0), default=-1)
        reason: FinishReason = "stop"
        if cut >= 0:
            text = text[:cut]
        elif length is None and len(tokens) >= limit:
            reason = "length"
        # The end token is not counted, as llama.cpp and OpenAI-style servers count.
        return Completion(
            text=text,
            finish_reason=reason,
            usage=Usage(n_input, len(produced)),
            model=self._loaded.name,
            latency_s=latency,
        )

    def _end_tokens(self) -> set[int]:
        eos = self._loaded.model.generation_config.eos_token_id
        ends = set(eos) if isinstance(eos, list) else {eos} if eos is not None else set()
        return ends | {self._loaded.tokenizer.pad_token_id}

    def _loglikelihood_sync(self, request: Request, continuations: Sequence[str]) -> list[float]:
        tokenizer = self._loaded.tokenizer
        chat = request.messages is not None
        context = self._chat_text(request) if chat else request.prompt or ""
        rows: list[tuple[list[int], int]] = []
        for continuation in continuations:
            split = split_whitespace(context, continuation)
            ctx = list(tokenizer(split.context, add_special_tokens=not chat).input_ids)
            cont = list(tokenizer(split.continuation, add_special_tokens=False).input_ids)
            rows.append((ctx + cont, len(ctx)))
        inputs, served_by = shared_inputs([tokens for tokens, _ in rows])
        logits: list[Any] = []
        size = self._settings.batch_size
        for first in range(0, len(inputs), size):
            logits.extend(self._forward(inputs[first : first + size]))
        return [
            continuation_logprob(logits[run], tokens, start)
            for (tokens, start), run in zip(rows, served_by, strict=True)
        ]

    def _forward(self, sequences: list[list[int]]) -> Any:
        """Run right-padded sequences through the model; return each one's float32 logits."""
        torch = self._loaded.torch
        width = max(len(s) for s in sequences)
        pad = self._loaded.tokenizer.pad_token_id
        ids = [s + [pad] * (width - len(s)) for s in sequences]
        mask = [[1] * len(s) + [0] * (width - len(s)) for s in sequences]
        device = self._loaded.device
        with torch.inference_mode():
            output = self._loaded.model(
                input_ids=torch.tensor(ids, device=device),
                attention_mask=torch.tensor(mask, device=device),
            )
        array = output.logits.float().cpu().numpy()
        return [array[row, : len(s)] for row, s in enumerate(sequences)]


def _fatal(err: Exception) -> FatalBackendError:
    return FatalBackendError(f"transformers failed: {type(err).__name__}: {err}")


def make_hf(model: str, options: BackendOptions) -> HFBackend:
    """Build the ``hf`` backend for an alias, GGUF path, weights folder or hub repository id.

    Raises:
        ConfigError: torch/transformers are missing, the model cannot be loaded, or a ``-M``
            argument is invalid.
    """
    settings = parse_settings(options.model_args)
    return HFBackend(load_model(model, settings), settings)
