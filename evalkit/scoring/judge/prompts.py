"""Judge prompts: a system prompt and a template the answers are put into, and its fingerprint.

Two kinds of template fill the same role. FastChat's MT-Bench prompts (``judge_prompts.jsonl``)
are Python format strings (``{question}``, ``{answer_1}``, ``{ref_answer_1}`` ...) filled with
``str.format`` exactly as FastChat fills them; the values are inserted as they are, never
interpreted. A user's rubric for the generic ``judged`` task is a jinja2 file, rendered in
evalkit's bounded sandbox with the same fields as variables. Either way the judge gets a
system message (when the prompt has one) and one user message, and the prompt's sha256 (of its
name, kind, system prompt and template) is recorded with every verdict and in ``run.json``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal, Protocol

import jinja2
import jinja2.meta

from evalkit.errors import ConfigError
from evalkit.scoring import ModelCall
from evalkit.task.template_env import BoundedSandbox, render_bounded
from evalkit.types import Completion, GenerateParams, Message, Request

JUDGE_PARAMS = GenerateParams(max_tokens=2048, temperature=0.0, seed=0)
"""The judge's generation parameters: FastChat judges with temperature 0 and 2,048 tokens."""

Kind = Literal["format", "jinja"]
FIELD_NAMES = re.compile(r"reference|(question|answer|answer_[ab]|ref_answer)(_\d+)?")
"""The fields a judge prompt may use (:func:`evalkit.scoring.judge.conversation.judge_fields`)."""


@dataclass(frozen=True, slots=True)
class JudgePrompt:
    """One judge prompt.

    Attributes:
        name: FastChat's name (``single-v1``, ``pair-math-v1-multi-turn``) or the rubric file.
        system: The system message; empty for none.
        template: The user message's template.
        kind: ``format`` (``str.format`` placeholders) or ``jinja`` (a jinja2 template).
    """

    name: str
    system: str
    template: str
    kind: Kind = "format"

    @property
    def sha256(self) -> str:
        """Fingerprint of everything that decides what the judge is sent."""
        text = json.dumps([self.name, self.kind, self.system, self.template], ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

    def user_text(self, fields: Mapping[str, str]) -> str:
        """The user message with ``fields`` filled in.

        Raises:
            ConfigError: the template names a field the prompt does not have.
        """
        if self.kind == "format":
            try:
                return self.template.format(**fields)
            except (KeyError, IndexError) as exc:
                raise ConfigError(f"judge prompt '{self.name}': no field {exc}") from None
        try:
            return render_bounded(_compiled(self.template), dict(fields))
        except jinja2.UndefinedError as exc:
            fields_known = ", ".join(sorted(fields))
            raise ConfigError(
                f"judge prompt '{self.name}': {exc.message}; fields: {fields_known}"
            ) from None

    def request(self, request_id: str, index: int, fields: Mapping[str, str]) -> Request:
        """The judge's request: the system prompt (if any) and the filled-in user message."""
        system = (Message("system", self.system),) if self.system else ()
        return Request(
            request_id,
            JUDGE_PARAMS,
            messages=(*system, Message("user", self.user_text(fields))),
            sample_index=index,
        )


def _sandbox() -> BoundedSandbox:
    return BoundedSandbox(undefined=jinja2.StrictUndefined, autoescape=False)


@lru_cache(maxsize=32)
def _compiled(template: str) -> jinja2.Template:
    """A rubric compiled once: every judge request fills the same template."""
    return _sandbox().from_string(template)


def rubric_prompt(path: Path) -> JudgePrompt:
    """A user's rubric: a jinja2 file whose rendering is the judge's user message.

    Raises:
        ConfigError: the file cannot be read or is not a valid template.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"rubric template '{path}': cannot read it ({exc})") from None
    try:
        names = jinja2.meta.find_undeclared_variables(_sandbox().parse(text))
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"rubric template '{path}': line {exc.lineno}: {exc.message}") from None
    unknown = sorted(n for n in names if not FIELD_NAMES.fullmatch(n))
    if unknown:
        raise ConfigError(
            f"rubric template '{path}': unknown field '{unknown[0]}' (fields: question, answer, "
            "reference, answer_a, answer_b, question_1, answer_1, ref_answer_1 ...)"
        )
    return JudgePrompt(path.name, "", text, "jinja")


async def ask_judge(judge: ModelCall, requests: Sequence[Request]) -> list[Completion]:
    """Send every request to the judge at once; the first failure cancels the rest and is raised.

    Raises:
        BackendError: a judge call failed after its retries (the engine records the sample as an
            error, never as a low score).
    """
    calls = [asyncio.ensure_future(judge(r)) for r in requests]
    try:
        return list(await asyncio.gather(*calls))
    except BaseException:
        for call in calls:
            call.cancel()
        await asyncio.gather(*calls, return_exceptions=True)
        raise


class PromptSet(Protocol):
    """Which judge prompt grades a turn."""

    def choose(self, turn: int, with_reference: bool) -> JudgePrompt:
        """The prompt for ``turn`` (1-based), reference-guided when ``with_reference``."""
        ...

    def all(self) -> tuple[JudgePrompt, ...]:
        """Every prompt the set may choose (recorded with their sha256 in ``run.json``)."""
        ...


@dataclass(frozen=True, slots=True)
class OnePrompt:
    """A prompt set of one prompt for every turn (a user's rubric)."""

    prompt: JudgePrompt

    def choose(self, turn: int, with_reference: bool) -> JudgePrompt:
        """Always the one prompt."""
        return self.prompt

    def all(self) -> tuple[JudgePrompt, ...]:
        """The one prompt."""
        return (self.prompt,)


def prompt_hashes(prompts: PromptSet) -> dict[str, str]:
    """``{prompt name: sha256}`` of every prompt in the set."""
    return {p.name: p.sha256 for p in prompts.all()}
