"""The hf (transformers) backend, and its log-likelihoods checked against llama.cpp's.

How close llama.cpp and transformers should be (measured on 20 MMLU dev questions, SmolLM2-135M):

* transformers dequantises the Q4_1/Q8_0 weights of the GGUF to float32 and computes in float32.
* llama.cpp on the *same* GGUF does not only accumulate in another order: every quantised matmul
  first quantises its activations to 8 bits (q8_1 / q8_0 dot products), and the KV cache is f16.
  Measured difference: up to 0.86 nats per option (mean 0.20); the best option agreed on 59 of 60
  rankings, and full orders flipped only where options were within 0.1 nats.
* Given the dequantised weights as an F32 GGUF and an f32 KV cache, llama.cpp matches transformers
  to 3.4e-5 nats (max over 80 options). What remains is float summation order, so the exact test
  uses 1e-3 (30x headroom for other CPUs and thread counts). This is the test that catches
  position errors such as llama-cpp-python's echo/logprobs bug (an off-by-one costs whole nats).
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from evalkit.backends import PROVIDERS, BackendOptions
from evalkit.backends.hf import HFBackend, HFSettings, model_source, parse_settings
from evalkit.backends.llamacpp import LlamaCppBackend, open_engine
from evalkit.backends.llamacpp import parse_settings as llama_settings
from evalkit.backends.local_models import resolve_local_model
from evalkit.errors import ConfigError
from evalkit.types import Completion, GenerateParams, Message, Request

SHARED_DATA = Path(
    os.environ.get(
        "EVALKIT_DATA_DIR", Path(__file__).resolve().parents[2].parent / "shared" / "data"
    )
)
THREADS = "1"  # see tests/backends/test_llamacpp.py: spinning threads on a shared 2-core machine
EXACT_TOLERANCE = 1e-3
QUANTISED_TOLERANCE = 1.5  # measured max 0.86 nats
LETTERS = [" A", " B", " C", " D"]


# --- settings (fast) ----------------------------------------------------------------------------


def test_settings_defaults_and_values() -> None:
    assert parse_settings({}) == HFSettings()
    parsed = parse_settings({"device": "cuda:1", "dtype": "bfloat16", "batch_size": "4"})
    assert parsed == HFSettings(device="cuda:1", dtype="bfloat16", batch_size=4)
    assert parse_settings({"n_threads": "2"}).n_threads == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"threads": "2"}, "unknown hf model argument 'threads'"),
        ({"dtype": "int4"}, "is not one of"),
        ({"device": "tpu"}, "use auto, cpu, cuda"),
        ({"batch_size": "0"}, "must be a positive integer"),
        ({"n_threads": "two"}, "must be a positive integer"),
    ],
)
def test_settings_reject_bad_arguments(args: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_settings(args)


def test_model_source_tells_hub_ids_from_local_files(tmp_path: Path) -> None:
    assert (
        model_source("HuggingFaceTB/SmolLM2-135M-Instruct")[0]
        == "HuggingFaceTB/SmolLM2-135M-Instruct"
    )
    folder = tmp_path / "weights"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    source, kwargs, name, extra = model_source(str(folder))
    assert (source, kwargs, name) == (str(folder), {}, "weights")
    assert len(extra["config_sha256"]) == 64
    with pytest.raises(ConfigError, match="not found"):
        model_source(str(tmp_path / "absent.gguf"))


# --- the real model (slow) ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def hf() -> Iterator[HFBackend]:
    pytest.importorskip("torch", reason="torch is not installed (evalkit[hf])")
    pytest.importorskip("transformers", reason="transformers is not installed (evalkit[hf])")
    pytest.importorskip("gguf", reason="gguf is not installed (evalkit[hf])")
    try:
        resolve_local_model("smollm2-135m")
    except ConfigError as err:
        pytest.skip(f"SmolLM2 is not installed: {err}")
    options = BackendOptions(model_args={"n_threads": THREADS, "batch_size": "8"})
    built = PROVIDERS.get("hf")("smollm2-135m", options)
    assert isinstance(built, HFBackend)
    yield built
    asyncio.run(built.aclose())


def chat(sample_id: str, text: str, params: GenerateParams) -> Request:
    return Request(sample_id, params, messages=(Message("user", text),))


@pytest.mark.slow
def test_batched_greedy_generation_matches_one_at_a_time(hf: HFBackend, shared_data: Path) -> None:
    with (shared_data / "gsm8k" / "test.jsonl").open(encoding="utf-8") as handle:
        questions = [json.loads(next(handle))["question"] for _ in range(5)]
    params = GenerateParams(max_tokens=40, temperature=0.0)
    requests = [chat(f"g{i}", q, params) for i, q in enumerate(questions)]

    async def batched() -> list[Completion]:
        return list(await asyncio.gather(*(hf.generate(r) for r in requests)))

    async def single() -> list[Completion]:
        return [await hf.generate(r) for r in requests]

    together, alone = asyncio.run(batched()), asyncio.run(single())
    assert len({c.latency_s for c in together}) == 1  # one batch, one generate call
    assert len({c.latency_s for c in alone}) == 5
    assert [c.text for c in together] == [c.text for c in alone]
    for completion in together:
        assert len(completion.text.split()) >= 5
        assert completion.usage.input_tokens > 40
        assert (completion.finish_reason == "length") == (completion.usage.output_tokens == 40)


@pytest.mark.slow
def test_max_tokens_stop_sequences_and_prompts(hf: HFBackend) -> None:
    prompt = "Q: What is the capital of France?\nA: The capital of France is"

    async def go() -> list[Completion]:
        return [
            await hf.generate(
                Request("a", GenerateParams(max_tokens=4), prompt="One, two, three,")
            ),
            await hf.generate(Request("b", GenerateParams(max_tokens=24), prompt=prompt)),
            await hf.generate(
                Request("c", GenerateParams(max_tokens=24, stop=(".",)), prompt=prompt)
            ),
        ]

    truncated, free, stopped = asyncio.run(go())
    assert truncated.finish_reason == "length"
    assert truncated.usage.output_tokens == 4
    assert "." in free.text
    assert stopped.text == free.text.split(".")[0]
    assert stopped.finish_reason == "stop"


@pytest.mark.slow
def test_a_safetensors_folder_loads_and_answers_like_the_gguf(
    hf: HFBackend, tmp_path: Path
) -> None:
    import torch
    import transformers

    gguf_file = resolve_local_model("smollm2-135m").path
    source = {"pretrained_model_name_or_path": str(gguf_file.parent), "gguf_file": gguf_file.name}
    folder = tmp_path / "smollm2-135m"
    transformers.AutoTokenizer.from_pretrained(**source).save_pretrained(folder)
    # transformers will not save a GGUF-loaded model; a fresh one with its weights it will.
    dequantised = transformers.AutoModelForCausalLM.from_pretrained(**source, dtype=torch.float32)
    model = transformers.AutoModelForCausalLM.from_config(dequantised.config, dtype=torch.float32)
    model.load_state_dict(dequantised.state_dict())
    model.save_pretrained(folder)
    del model, dequantised
    assert (folder / "model.safetensors").is_file()
    loaded = PROVIDERS.get("hf")(str(folder), BackendOptions(model_args={"n_threads": THREADS}))
    params = GenerateParams(max_tokens=24, temperature=0.0)
    request = chat("f", "Name three colours.", params)

    async def go() -> tuple[Completion, Completion, list[float], list[float]]:
        try:
            prompt = Request("p", params, prompt="The capital of France is")
            return (
                await loaded.generate(request),
                await hf.generate(request),
                await loaded.loglikelihood(prompt, [" Paris", " London"]),
                await hf.loglikelihood(prompt, [" Paris", " London"]),
            )
        finally:
            await loaded.aclose()

    from_folder, from_gguf, folder_ll, gguf_ll = asyncio.run(go())
    assert loaded.identity.model == "smollm2-135m"
    assert "config_sha256" in loaded.identity.extra
    assert from_folder.text == from_gguf.text
    assert folder_ll == pytest.approx(gguf_ll, abs=1e-4)


# --- log-likelihood agreement with llama.cpp (slow) ---------------------------------------------


def mmlu_requests(data: Path) -> list[tuple[Request, list[str]]]:
    """One question from each of the first 20 MMLU dev subjects scored on the letters, and the
    first five also on the option texts (multi-token continuations)."""
    cases: list[tuple[Request, list[str]]] = []
    for path in sorted((data / "mmlu" / "dev").glob("*_dev.csv"))[:20]:
        with path.open(newline="", encoding="utf-8") as handle:
            question, *options = next(csv.reader(handle))[:5]
        subject = path.name.removesuffix("_dev.csv").replace("_", " ")
        lines = [f"{letter}. {text}" for letter, text in zip("ABCD", options, strict=True)]
        prompt = (
            f"The following are multiple choice questions (with answers) about {subject}.\n\n"
            + "\n".join([question, *lines])
            + "\nAnswer:"
        )
        request = Request(path.stem, GenerateParams(), prompt=prompt)
        cases.append((request, LETTERS))
        if len(cases) <= 9:
            cases.append((request, [" " + text for text in options]))
    return cases


def chat_requests(cases: list[tuple[Request, list[str]]]) -> list[tuple[Request, list[str]]]:
    """The first five questions as chat messages, scored on the bare letters."""
    return [
        (chat(r.sample_id, r.prompt or "", GenerateParams()), ["A", "B", "C", "D"])
        for r, options in cases[:10:2]
    ]


def score_all(
    backend: HFBackend | LlamaCppBackend, cases: list[tuple[Request, list[str]]]
) -> np.ndarray:
    async def go() -> list[list[float]]:
        return [await backend.loglikelihood(r, options) for r, options in cases]

    return np.array(asyncio.run(go()))


@pytest.fixture(scope="module")
def hf_scores(hf: HFBackend) -> tuple[list[tuple[Request, list[str]]], np.ndarray]:
    if not (SHARED_DATA / "mmlu" / "dev").is_dir():
        pytest.skip(f"MMLU data not found at {SHARED_DATA}")
    cases = mmlu_requests(SHARED_DATA)
    cases += chat_requests(cases)
    return cases, score_all(hf, cases)


def write_f32_gguf(source: Path, target: Path) -> None:
    """Copy a GGUF with every tensor dequantised to float32 (the weights transformers uses)."""
    import gguf
    from gguf.quants import dequantize

    reader = gguf.GGUFReader(str(source))
    writer = gguf.GGUFWriter(
        str(target), arch=str(reader.fields["general.architecture"].contents())
    )
    for field in reader.fields.values():
        if field.name == "general.architecture" or field.name.startswith("GGUF."):
            continue
        kind = field.types[0]
        sub = field.types[-1] if kind == gguf.GGUFValueType.ARRAY else None
        value = 0 if field.name == "general.file_type" else field.contents()  # 0: all F32
        writer.add_key_value(field.name, value, kind, sub_type=sub)
    for tensor in reader.tensors:
        writer.add_tensor(
            tensor.name, dequantize(tensor.data, tensor.tensor_type).astype(np.float32)
        )
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def assert_same_rankings(expected: np.ndarray, actual: np.ndarray, min_gap: float) -> None:
    """Every pair of options further apart than ``min_gap`` in ``expected`` keeps its order."""
    for row, (want, got) in enumerate(zip(expected, actual, strict=True)):
        for i in range(len(want)):
            for j in range(len(want)):
                if want[i] - want[j] > min_gap:
                    assert got[i] > got[j], f"case {row}: options {i} and {j} swapped"


@pytest.mark.slow
def test_llamacpp_matches_transformers_exactly_on_dequantised_weights(
    hf_scores: tuple[list[tuple[Request, list[str]]], np.ndarray],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (evalkit[llamacpp])")
    cases, expected = hf_scores
    target = tmp_path_factory.mktemp("f32") / "smollm2-135m-f32.gguf"
    write_f32_gguf(resolve_local_model("smollm2-135m").path, target)
    model = resolve_local_model(str(target))
    settings = llama_settings({"n_threads": THREADS, "kv_type": "f32"})
    backend = LlamaCppBackend(model, settings, open_engine(model, settings, logits_all=False))
    try:
        actual = score_all(backend, cases)
    finally:
        asyncio.run(backend.aclose())
    assert np.abs(actual - expected).max() < EXACT_TOLERANCE
    assert (actual.argsort(axis=1) == expected.argsort(axis=1)).all()


@pytest.mark.slow
def test_quantised_llamacpp_agrees_with_transformers_on_rankings(
    hf_scores: tuple[list[tuple[Request, list[str]]], np.ndarray],
) -> None:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (evalkit[llamacpp])")
    cases, expected = hf_scores
    backend = PROVIDERS.get("llamacpp")(
        "smollm2-135m", BackendOptions(model_args={"n_threads": THREADS})
    )
    assert isinstance(backend, LlamaCppBackend)
    try:
        actual = score_all(backend, cases)
    finally:
        asyncio.run(backend.aclose())
    difference = np.abs(actual - expected)
    assert difference.max() < QUANTISED_TOLERANCE
    assert difference.mean() < 0.4  # measured 0.20
    best_agrees = actual.argmax(axis=1) == expected.argmax(axis=1)
    assert best_agrees.mean() >= 0.9  # measured 59 of 60
    assert_same_rankings(expected, actual, min_gap=1.0)
