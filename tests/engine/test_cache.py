"""The response cache: keys cover everything that determines an answer; entries round-trip."""

import asyncio

import pytest

from evalkit.backends import BackendIdentity, BackendOptions
from evalkit.backends.openai_api import make_openai_compatible
from evalkit.backends.replay import make_replay
from evalkit.engine.cache import ResponseCache, cache_key
from evalkit.errors import ConfigError, TransientBackendError
from evalkit.types import Completion, GenerateParams, Message, Request

IDENT = BackendIdentity("openai-compatible", "m", "http://127.0.0.1:1/v1")
REQ = Request("s1", GenerateParams(), messages=(Message("user", "Which? A. x B. y"),))


def test_ranking_keys_include_the_options():
    a = cache_key(IDENT, REQ, "loglikelihood:text", ("zzz", "hello"))
    b = cache_key(IDENT, REQ, "loglikelihood:text", ("hello", "zzz"))
    assert a != b
    assert cache_key(IDENT, REQ, "generate", ("x",)) == cache_key(IDENT, REQ, "generate", ("y",))
    assert cache_key(IDENT, REQ, "generate") != cache_key(IDENT, REQ, "loglikelihood:letter")


def test_entries_round_trip_with_option_logprobs(tmp_path):
    cache = ResponseCache(tmp_path)
    cache.put("k", Completion("B", option_logprobs=(-8.5, -4.25)))
    got = cache.get("k")
    assert got is not None and got.cached and got.option_logprobs == (-8.5, -4.25)
    cache.put("k", Completion("A"))  # first writer wins
    assert cache.get("k").text == "B"
    assert cache.stats().entries == 1
    cache.close()


@pytest.mark.parametrize(
    "body",
    [
        {"choices": {"0": 1}},
        {"choices": [{"message": {"content": "x"}, "finish_reason": ["stop"]}], "usage": {"prompt_tokens": "n/a"}},
        {"choices": [{"message": {"content": 5}}]},
        {"choices": [{"text": "x"}]},
    ],
    ids=["choices-dict", "bad-usage", "non-string-content", "completions-shape-on-chat"],
)
def test_malformed_reply_shapes_are_transient_errors(body, monkeypatch):
    backend = make_openai_compatible("m", BackendOptions(base_url="http://127.0.0.1:1/v1"))

    async def fake_post(path, payload):
        return body

    monkeypatch.setattr(backend, "_post", fake_post)

    async def go():
        try:
            await backend.generate(REQ)
        finally:
            await backend.aclose()

    with pytest.raises(TransientBackendError, match="malformed response"):
        asyncio.run(go())


def test_replay_file_with_a_non_object_line_is_refused(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "completion": "x"}\n[1, 2]\n')
    with pytest.raises(ConfigError, match="bad.jsonl:2: expected a JSON object"):
        make_replay(str(path), BackendOptions())


def test_sampled_answers_keep_one_entry_per_sample_and_epoch():
    from dataclasses import replace

    hot = replace(REQ, params=GenerateParams(temperature=0.7))
    keys = {cache_key(IDENT, replace(hot, sample_id=s, epoch=e)) for s in ("s1", "s2") for e in (0, 1)}
    assert len(keys) == 4
    greedy = {cache_key(IDENT, replace(REQ, sample_id=s, epoch=e)) for s in ("s1", "s2") for e in (0, 1)}
    assert len(greedy) == 1
