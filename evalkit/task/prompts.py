"""Prompt rendering: the only jinja2 environment in evalkit.

Templates render in jinja2's immutable sandbox with ``StrictUndefined``: a template that names a
field the row lacks fails loudly, and no template can call methods that mutate data or build
values past a size bound (:mod:`evalkit.task.template_env`). Templates see the row's fields at top
level, plus ``choices``, ``labels``, ``target`` and ``params``.

The model sees the benchmark's text byte for byte: whitespace the *template* leaves at the start
or end of a rendered text (a trailing newline after a loop, indentation) is removed, but the
dataset's own text is never trimmed, even where it begins or ends the prompt (IFEval prompts end
in newlines and spaces that are part of the benchmark). Each ``{{ ... }}`` output is marked while
rendering so that the trim stops at the first and last of them.

The ``format`` parameter decides the shape of a request:

* ``chat``: system message, then each few-shot example as a user/assistant pair, then the question.
* ``single``: one user message holding the few-shot examples and the question as one text.
* ``text``: the same text sent as a raw prompt to a completions endpoint (base models).
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from evalkit.errors import TaskSpecError
from evalkit.task.spec import ResolvedTask
from evalkit.task.template_env import BoundedSandbox, render_bounded
from evalkit.types import Message, Request, Role, Sample

LABELS = tuple(string.ascii_uppercase)
_TOKEN = secrets.token_hex(8)
_OPEN, _CLOSE = f"\ue000{_TOKEN}<", f">{_TOKEN}\ue001"
"""Markers around each expression's output while rendering (private-use characters and a
random token: no dataset text contains them); removed from every rendered text."""


def _mark(value: Any) -> str:
    return f"{_OPEN}{value}{_CLOSE}"


def trim_template_whitespace(rendered: str) -> str:
    """Strip the whitespace before the first and after the last marked output, then unmark."""
    first, last = rendered.find(_OPEN), rendered.rfind(_CLOSE)
    if first < 0 or last < 0:
        return rendered.strip()
    head, tail = rendered[:first].lstrip(), rendered[last + len(_CLOSE) :].rstrip()
    body = rendered[first : last + len(_CLOSE)]
    return (head + body + tail).replace(_OPEN, "").replace(_CLOSE, "")


@lru_cache(maxsize=64)
def environment(task_dir: Path) -> jinja2.Environment:
    """Return the sandboxed environment loading templates from ``task_dir``."""
    return BoundedSandbox(
        loader=jinja2.FileSystemLoader(str(task_dir)),
        finalize=_mark,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _template(task_dir: Path, name: str) -> jinja2.Template:
    # Not cached here: the environment caches templates and reloads one whose file changed,
    # so a process that plans twice (a library user, a test) sees an edited template.
    try:
        return environment(task_dir).get_template(name)
    except jinja2.TemplateSyntaxError as exc:
        raise TaskSpecError(
            f"{task_dir / name}:{exc.lineno}: template syntax error: {exc.message}"
        ) from None
    except jinja2.TemplateNotFound:
        raise TaskSpecError(f"{task_dir / name}: template not found") from None
    except UnicodeDecodeError as exc:
        raise TaskSpecError(
            f"{task_dir / name}: template is not valid UTF-8 ({exc.reason} at byte {exc.start})"
        ) from None


def _context(sample: Sample, params: Mapping[str, Any]) -> dict[str, Any]:
    return {
        **sample.data,
        "choices": list(sample.choices),
        "labels": list(LABELS[: len(sample.choices)]),
        "target": sample.target,
        "params": dict(params),
    }


def render_template(task: ResolvedTask, name: str, sample: Sample) -> str:
    """Render one template of ``task`` for ``sample``.

    Raises:
        TaskSpecError: the template is malformed or names a field the sample lacks.
    """
    task_dir = task.definition.path
    try:
        rendered = render_bounded(_template(task_dir, name), _context(sample, task.params))
        return trim_template_whitespace(rendered)
    except RecursionError:
        raise TaskSpecError(
            f"{task_dir / name}: recursion too deep while rendering sample {sample.id} "
            "(a macro that calls itself without end?)"
        ) from None
    except MemoryError:
        raise TaskSpecError(
            f"{task_dir / name}: out of memory rendering sample {sample.id}"
        ) from None
    except jinja2.UndefinedError as exc:
        raise TaskSpecError(
            f"{task_dir / name}: {exc.message} (sample {sample.id}); fields available: "
            f"{', '.join(sorted(sample.data))}"
        ) from None
    except jinja2.TemplateError as exc:
        raise TaskSpecError(f"{task_dir / name}: cannot render: {exc}") from None
    except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
        # e.g. {{ word + 1 }} on a string field: a template bug, reported like one
        raise TaskSpecError(
            f"{task_dir / name}: cannot render sample {sample.id}: {type(exc).__name__}: {exc}"
        ) from None


ShotCache = dict[tuple[str, str, str, int], Message]
"""Few-shot turns already rendered in one plan, by role, template, shot id and index."""


def _shot_turn(
    task: ResolvedTask, role: Role, name: str, shot: Sample, cache: ShotCache | None
) -> Message:
    """A few-shot example's turn; rendered once per plan (the same shots precede many samples)."""
    if cache is None:
        return Message(role, render_template(task, name, shot))
    key = (role, name, shot.id, shot.index)
    turn = cache.get(key)
    if turn is None:
        turn = cache[key] = Message(role, render_template(task, name, shot))
    return turn


def build_messages(
    task: ResolvedTask,
    sample: Sample,
    shots: Sequence[Sample],
    shot_cache: ShotCache | None = None,
) -> list[Message]:
    """Render the chat turns for ``sample`` with its few-shot examples.

    ``shot_cache`` (one dict per plan) keeps each example's rendered turns: an example that
    precedes many samples (MMLU's five per subject) is rendered, and held in memory, once.
    """
    p = task.typed.prompt
    user_t = p.user_template
    shot_user_t = p.fewshot_user_template or user_t
    shot_answer_t = p.fewshot_assistant_template
    if shots and not shot_answer_t:
        raise TaskSpecError(f"task '{task.name}': few-shot needs params.fewshot_assistant_template")
    messages: list[Message] = []
    system_t = p.system_template
    if system_t:
        messages.append(Message("system", render_template(task, system_t, sample)))
    for shot in shots:
        messages.append(_shot_turn(task, "user", shot_user_t, shot, shot_cache))
        messages.append(_shot_turn(task, "assistant", shot_answer_t, shot, shot_cache))
    messages.append(Message("user", render_template(task, user_t, sample)))
    return messages


def flatten(messages: Sequence[Message], separator: str, turn_separator: str) -> str:
    r"""Join turns into one text.

    A user turn and the assistant answer that follows it are joined by ``turn_separator``
    (``"Question: ...\nAnswer:" + " " + "..."``); everything else by ``separator``.
    """
    parts: list[str] = []
    for i, message in enumerate(messages):
        if message.role == "assistant" and i > 0 and messages[i - 1].role == "user":
            parts[-1] = parts[-1] + turn_separator + message.content
        else:
            parts.append(message.content)
    return separator.join(parts)


def build_request(
    task: ResolvedTask,
    sample: Sample,
    shots: Sequence[Sample],
    epoch: int = 0,
    shot_cache: ShotCache | None = None,
) -> Request:
    """Render the request for ``sample`` in the task's ``format`` (see :func:`build_messages`)."""
    messages = build_messages(task, sample, shots, shot_cache)
    p = task.typed.prompt
    base = Request(sample.id, task.generation, epoch=epoch, sample_index=sample.index)
    if p.format == "chat":
        return replace(base, messages=tuple(messages))
    text = flatten(messages, p.separator, p.turn_separator)
    if p.format == "single":
        return replace(base, messages=(Message("user", text),))
    return replace(base, prompt=text + p.text_suffix)
