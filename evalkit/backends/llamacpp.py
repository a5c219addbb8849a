"""The in-process llama.cpp backend (``llamacpp/<path.gguf | alias>``), via llama-cpp-python.

Generation uses the model's own chat template from the GGUF for chat requests and the raw text for
prompt requests. Sampling is the model's distribution shaped only by ``temperature`` and ``top_p``
(llama-cpp-python's extra defaults ``top_k=40`` and ``min_p=0.05`` are switched off and the repeat
penalty is 1.0), so ``temperature=0`` is plain greedy decoding.

llama.cpp is CPU-bound and its engine is not re-entrant: each backend runs one call at a time
(an :class:`asyncio.Lock`) in a worker thread, so the event loop stays free for other backends and
for scoring.

Log-likelihoods are computed from the logits themselves (see :mod:`evalkit.backends.loglik`):
llama-cpp-python 0.3.36's ``create_completion(echo=True, logprobs=...)`` scores prompt tokens with
the wrong position's logits when the tokenizer adds no BOS (SmolLM2, Qwen2.5). Scoring needs logits
for every position (``logits_all=True``), which would slow prompt processing for generation, so it
runs on a second engine over the same memory-mapped weights, opened on the first scoring call
(its logits buffer holds n_ctx x vocabulary floats: 400 MB for SmolLM2 at n_ctx=2048).

``-M`` arguments: ``n_ctx`` (context length, default 2048), ``n_threads`` (default: llama.cpp's
choice), ``n_batch`` (prompt batch size, default 512), ``kv_type`` (``f16`` or ``f32``).
"""

from __future__ import annotations

import asyncio
import importlib
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from evalkit.backends import BackendIdentity, BackendOptions, Capabilities
from evalkit.backends.local_models import LocalModel, resolve_local_model
from evalkit.backends.loglik import common_prefix, continuation_logprob, split_whitespace
from evalkit.errors import ConfigError, FatalBackendError
from evalkit.types import Completion, FinishReason, Request, Usage

INSTALL_HINT = (
    "the llamacpp backend needs llama-cpp-python (compiled on install, about 10 minutes): "
    "pip install 'evalkit[llamacpp]'"
)

# Sampler settings that make llama-cpp-python sample from the model's distribution as OpenAI-style
# APIs do: only temperature and top_p shape it.
NEUTRAL_SAMPLING: Mapping[str, float] = {"top_k": 0, "min_p": 0.0, "repeat_penalty": 1.0}


KV_TYPES: Mapping[str, int] = {"f16": 1, "f32": 0}
"""KV cache element types by name, as ggml type ids (``GGML_TYPE_F16``, ``GGML_TYPE_F32``)."""


@dataclass(frozen=True, slots=True)
class LlamaCppSettings:
    """Engine settings read from ``-M key=value``.

    Attributes:
        n_ctx: Context length in tokens (prompt plus generated tokens).
        n_threads: CPU threads for decoding and prompt processing; ``None`` leaves the choice to
            llama-cpp-python (half the cores for decoding, all for prompts).
        n_batch: Tokens per prompt-processing batch.
        kv_type: KV cache element type, ``f16`` (llama.cpp's default) or ``f32`` (exact
            attention; with an F32 GGUF, log-likelihoods then match transformers to ~1e-5).
    """

    n_ctx: int = 2048
    n_threads: int | None = None
    n_batch: int = 512
    kv_type: str = "f16"

    def engine_kwargs(self) -> dict[str, Any]:
        """Return the keyword arguments for ``llama_cpp.Llama``."""
        kv = KV_TYPES[self.kv_type]
        kwargs: dict[str, Any] = {
            "n_ctx": self.n_ctx,
            "n_batch": self.n_batch,
            "type_k": kv,
            "type_v": kv,
        }
        if self.n_threads is not None:
            # Like llama.cpp's own -t: the same count for decoding and for prompt batches.
            kwargs["n_threads"] = kwargs["n_threads_batch"] = self.n_threads
        return kwargs


def parse_settings(model_args: Mapping[str, str]) -> LlamaCppSettings:
    """Build :class:`LlamaCppSettings` from ``-M`` arguments.

    Raises:
        ConfigError: an unknown key, a count that is not a positive integer, or an unknown
            ``kv_type``.
    """
    known = ("n_ctx", "n_threads", "n_batch", "kv_type")
    values: dict[str, int] = {}
    for key, raw in model_args.items():
        if key not in known:
            raise ConfigError(f"unknown llamacpp model argument {key!r}; known: {', '.join(known)}")
        if key == "kv_type":
            continue
        try:
            values[key] = int(raw)
        except ValueError:
            raise ConfigError(f"llamacpp model argument {key}={raw!r} is not an integer") from None
        if values[key] < 1:
            raise ConfigError(f"llamacpp model argument {key}={raw!r} must be at least 1")
    kv_type = model_args.get("kv_type", "f16")
    if kv_type not in KV_TYPES:
        raise ConfigError(f"llamacpp kv_type={kv_type!r}: use {' or '.join(KV_TYPES)}")
    return LlamaCppSettings(**values, kv_type=kv_type)


def open_engine(model: LocalModel, settings: LlamaCppSettings, *, logits_all: bool) -> Any:
    """Load a ``llama_cpp.Llama`` engine (typed ``Any``: llama_cpp is an optional import).

    Raises:
        ConfigError: llama-cpp-python is missing or the file is not a loadable GGUF.
    """
    try:
        llama_cpp: Any = importlib.import_module("llama_cpp")
    except ImportError:
        raise ConfigError(INSTALL_HINT) from None
    if not model.is_gguf:
        raise ConfigError(f"llamacpp needs a .gguf file, got {model.name!r}")
    try:
        engine = llama_cpp.Llama(
            model_path=str(model.path),
            logits_all=logits_all,
            verbose=False,
            **settings.engine_kwargs(),
        )
    except (ValueError, RuntimeError) as err:
        raise ConfigError(f"cannot load {model.name} with llama.cpp: {err}") from None
    # Use the GGUF's own template: otherwise llama-cpp-python may swap in a built-in formatter it
    # guesses is equivalent.
    if "tokenizer.chat_template" in engine.metadata:
        engine.chat_format = "chat_template.default"
    return engine


def _finish_reason(raw: str | None) -> FinishReason:
    return raw if raw in ("stop", "length") else "unknown"  # type: ignore[return-value]


class LlamaCppBackend:
    """A GGUF model run in-process by llama.cpp; one call at a time, in a worker thread.

    Args:
        model: The resolved model file.
        settings: Engine settings.
        engine: A loaded ``llama_cpp.Llama`` for generation.
    """

    def __init__(self, model: LocalModel, settings: LlamaCppSettings, engine: Any) -> None:
        self._model = model
        self._settings = settings
        self._engine = engine
        self._scorer: Any = None
        self._lock = asyncio.Lock()
        # Every call runs on this one thread: llama.cpp's OpenMP team belongs to the thread that
        # started it, and a call from another pool thread starts a second team while the first
        # still spins, which on 2 cores cost a third of the decoding speed (bench/local_backends).
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llamacpp")
        self._identity = BackendIdentity("llamacpp", model.name, extra=dict(model.extra))

    @property
    def identity(self) -> BackendIdentity:
        """The model alias or file name, with its size and sha256."""
        return self._identity

    @property
    def capabilities(self) -> Capabilities:
        """Chat, completions and exact log-likelihoods, one request at a time."""
        return Capabilities(
            chat=True, completions=True, loglikelihood=("exact",), max_concurrency=1
        )

    async def generate(self, request: Request) -> Completion:
        """Generate a completion for a chat or prompt request.

        Raises:
            FatalBackendError: the prompt does not fit the context, or llama.cpp failed.
        """
        async with self._lock:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._thread, self._generate_sync, request)

    async def loglikelihood(self, request: Request, continuations: Sequence[str]) -> list[float]:
        """Return ``log P(continuation | prompt)`` for each continuation, in order.

        The prompt is ``request.prompt``, or the chat template applied to ``request.messages``
        with the generation prompt added (the text the assistant's answer would follow).

        Raises:
            FatalBackendError: the text does not fit the context, or llama.cpp failed.
        """
        async with self._lock:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                self._thread, self._loglikelihood_sync, request, continuations
            )

    async def preflight(self) -> None:
        """Nothing to check before the first request (the model is already loaded)."""

    async def aclose(self) -> None:
        """Free both engines."""
        async with self._lock:
            for engine in (self._engine, self._scorer):
                if engine is not None:
                    engine.close()
            self._scorer = None
        self._thread.shutdown(wait=True)

    def _generate_sync(self, request: Request) -> Completion:
        params = request.params
        kwargs: dict[str, Any] = {
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
            # Each epoch of a sampled run draws anew, as the OpenAI-compatible backend does.
            "seed": None if params.seed is None else params.seed + request.epoch,
            "stop": list(params.stop) or None,
            **NEUTRAL_SAMPLING,
        }
        started = time.perf_counter()
        try:
            if request.messages is not None:
                messages = [m.to_dict() for m in request.messages]
                raw = self._engine.create_chat_completion(messages=messages, **kwargs)
                text = raw["choices"][0]["message"]["content"] or ""
            else:
                raw = self._engine.create_completion(prompt=request.prompt or "", **kwargs)
                text = raw["choices"][0]["text"]
        except (ValueError, RuntimeError) as err:
            raise FatalBackendError(f"llama.cpp failed on {request.sample_id}: {err}") from err
        usage = raw.get("usage") or {}
        return Completion(
            text=text,
            finish_reason=_finish_reason(raw["choices"][0].get("finish_reason")),
            usage=Usage(usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)),
            model=self._model.name,
            latency_s=time.perf_counter() - started,
        )

    def _loglikelihood_sync(self, request: Request, continuations: Sequence[str]) -> list[float]:
        if self._scorer is None:
            self._scorer = open_engine(self._model, self._settings, logits_all=True)
        scorer = self._scorer
        context = self._scoring_context(request)
        scores: list[float] = []
        for continuation in continuations:
            split = split_whitespace(context.text, continuation)
            ctx_tokens = scorer.tokenize(
                split.context.encode(), add_bos=context.add_bos, special=True
            )
            cont_tokens = scorer.tokenize(split.continuation.encode(), add_bos=False)
            scores.append(self._score_tokens(scorer, ctx_tokens, cont_tokens))
        return scores

    def _score_tokens(self, scorer: Any, ctx_tokens: list[int], cont_tokens: list[int]) -> float:
        tokens = ctx_tokens + cont_tokens
        if len(tokens) > scorer.n_ctx():
            raise FatalBackendError(
                f"{len(tokens)} tokens do not fit the context of {scorer.n_ctx()} (-M n_ctx=...)"
            )
        # Reuse the evaluated prefix (the shared question of a multiple-choice item), but always
        # re-evaluate at least the last context token so its logits row is fresh.
        done = scorer.input_ids[: scorer.n_tokens].tolist()
        keep = min(common_prefix(done, tokens), len(ctx_tokens) - 1)
        scorer.n_tokens = max(keep, 0)
        try:
            scorer.eval(tokens[scorer.n_tokens :])
        except RuntimeError as err:
            raise FatalBackendError(f"llama.cpp failed while scoring: {err}") from err
        return continuation_logprob(scorer.scores[: len(tokens)], tokens, len(ctx_tokens))

    def _scoring_context(self, request: Request) -> _ScoringContext:
        if request.messages is None:
            return _ScoringContext(request.prompt or "", add_bos=True)
        handler = chat_formatter(self._engine)
        rendered = handler(messages=[m.to_dict() for m in request.messages])
        return _ScoringContext(rendered.prompt, add_bos=not rendered.added_special)


@dataclass(frozen=True, slots=True)
class _ScoringContext:
    """The text continuations are scored after, and whether the tokenizer adds its BOS to it."""

    text: str
    add_bos: bool


def chat_formatter(engine: Any) -> Any:
    """Return a formatter that renders messages with the GGUF's chat template, as generation does.

    Raises:
        FatalBackendError: the model has no chat template.
    """
    chat_format: Any = importlib.import_module("llama_cpp.llama_chat_format")

    template = engine.metadata.get("tokenizer.chat_template")
    if template is None:
        raise FatalBackendError("the model has no chat template; send a prompt, not messages")

    def token_text(token: int) -> str:
        return "" if token < 0 else str(engine.detokenize([token], special=True).decode())

    return chat_format.Jinja2ChatFormatter(
        template=template,
        eos_token=token_text(engine.token_eos()),
        bos_token=token_text(engine.token_bos()),
        add_generation_prompt=True,
    )


def make_llamacpp(model: str, options: BackendOptions) -> LlamaCppBackend:
    """Build the ``llamacpp`` backend for a GGUF path or alias (e.g. ``smollm2-135m``).

    Raises:
        ConfigError: llama-cpp-python is missing, the model cannot be found or loaded, or a
            ``-M`` argument is invalid.
    """
    settings = parse_settings(options.model_args)
    resolved = resolve_local_model(model)
    return LlamaCppBackend(resolved, settings, open_engine(resolved, settings, logits_all=False))
