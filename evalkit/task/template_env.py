"""The jinja2 sandbox templates render in, with a bound on the size of what they build.

jinja2's immutable sandbox keeps templates from reaching Python internals or mutating data, but
not from building huge values: ``{{ "x" * 3000000000 }}``, ``"x".ljust(10**10)`` or
``x|indent(10**9)`` would take gigabytes before anything could be checked. :class:`BoundedSandbox`
refuses, before computing it, any value longer than :data:`MAX_TEXT_CHARS` made by the
operators and calls that can multiply a size (``*``, ``**``, ``%``, ``+``, string methods and
filters taking a width or count, ``join``, ``replace``), and :func:`render_bounded` stops a
render whose output grows past the same bound. Both raise :class:`TemplateTooLarge`.

Deep recursion (a macro calling itself) ends in Python's ``RecursionError``, which the caller
reports. Time is not bounded: a task folder is trusted code (its ``adapter.py`` runs as Python),
and these limits catch mistakes, not attacks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sized
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_TEXT_CHARS = 16 * 2**20
"""Largest string (or list) a template may build, and the largest rendered output (16 Mi)."""
_WIDE_FORMAT = re.compile(r"[%{:][^a-zA-Z%}]*?\d{8,}")
"""A ``%``/``{}`` format spec with a width or precision of 8 digits or more."""


class TemplateTooLarge(jinja2.TemplateRuntimeError):
    """A template tried to build a value larger than :data:`MAX_TEXT_CHARS`."""


def _check_size(n: float, what: str) -> None:
    if n > MAX_TEXT_CHARS:
        raise TemplateTooLarge(f"{what} would be larger than {MAX_TEXT_CHARS:,} characters")


def _check_numbers(args: tuple[Any, ...], kwargs: dict[str, Any], what: str) -> None:
    """Refuse numeric arguments beyond the size bound (widths, counts, paddings)."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, int | float) and not isinstance(value, bool):
            _check_size(abs(value), f"{what} with {value!r:.20}")


def _check_format(text: Any, what: str) -> None:
    """Refuse a format string with a width or precision of 8 digits or more."""
    if isinstance(text, str) and _WIDE_FORMAT.search(text):
        raise TemplateTooLarge(f"{what}: a format width of 8 digits or more")


def _sized(value: Any) -> int:
    return len(value) if isinstance(value, Sized) else len(str(value))


def _binop_size(op: str, left: Any, right: Any) -> None:
    if op == "*":
        for seq, n in ((left, right), (right, left)):
            if isinstance(seq, str | list | tuple) and isinstance(n, int):
                _check_size(len(seq) * max(n, 0), "repeating a value")
    elif op == "**" and isinstance(left, int) and isinstance(right, int) and right > 0:
        digits = right * math.log10(abs(left)) if abs(left) > 1 else 0
        _check_size(digits, "a power")
    elif op == "+" and isinstance(left, str | list | tuple):
        _check_size(_sized(left) + _sized(right), "joining two values")
    elif op == "%":
        _check_format(left, "formatting")


def _check_filter(name: str, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Check a filter call's sizes first; return ``value`` (an iterable read into a list)."""
    _check_numbers(args, kwargs, f"filter '{name}'")
    if name == "format":
        _check_format(value, "filter 'format'")
    elif name == "join" and not isinstance(value, str):
        value = list(value)
        sep = str(args[0]) if args else str(kwargs.get("d", ""))
        _check_size(sum(_sized(v) for v in value) + len(sep) * len(value), "join")
    elif name == "replace" and len(args) >= 2:
        text, old, new = str(value), str(args[0]), str(args[1])
        count = text.count(old) if old else len(text) + 1
        _check_size(len(text) + count * max(len(new) - len(old), 0), "replace")
    return value


def _guarded(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a filter so that its sizes are checked first (keeping how jinja2 calls it)."""
    pass_arg = getattr(func, "jinja_pass_arg", None)  # filters that take a context first
    if pass_arg is None:

        def plain(value: Any, *args: Any, **kwargs: Any) -> Any:
            return func(_check_filter(name, value, args, kwargs), *args, **kwargs)

        return plain

    def with_context(first: Any, value: Any, *args: Any, **kwargs: Any) -> Any:
        return func(first, _check_filter(name, value, args, kwargs), *args, **kwargs)

    with_context.jinja_pass_arg = pass_arg  # type: ignore[attr-defined]
    return with_context


SIZED_FILTERS = ("center", "indent", "format", "join", "replace", "wordwrap", "truncate")


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """jinja2's immutable sandbox, refusing values larger than :data:`MAX_TEXT_CHARS`."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        for name in SIZED_FILTERS:
            self.filters[name] = _guarded(name, self.filters[name])

    def call_binop(self, context: jinja2.runtime.Context, op: str, left: Any, right: Any) -> Any:
        """Check the size of ``left op right`` before computing it."""
        _binop_size(op, left, right)
        return super().call_binop(context, op, left, right)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """Check a ``str.format`` string for huge widths when the method is looked up."""
        if getattr(value, "__name__", "") in ("format", "format_map"):
            _check_format(getattr(value, "__self__", None), f"calling {value.__name__}")
        return super().wrap_str_format(value)

    def call(
        __self,  # noqa: N805  # jinja2's signature: keyword arguments may be named "self"
        __context: jinja2.runtime.Context,
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        """Call ``__obj`` from a template, refusing size arguments past the bound first."""
        name = getattr(__obj, "__name__", "a function")
        owner = getattr(__obj, "__self__", None)
        _check_numbers(args, kwargs, f"calling {name}")
        if name == "join" and args and isinstance(owner, str):
            items = list(args[0])
            _check_size(sum(_sized(v) for v in items) + len(owner) * len(items), "join")
            args = (items, *args[1:])
        return super().call(__context, __obj, *args, **kwargs)


def render_bounded(template: jinja2.Template, context: dict[str, Any]) -> str:
    """Render ``template``, stopping once the output passes :data:`MAX_TEXT_CHARS`."""
    parts: list[str] = []
    size = 0
    for chunk in template.generate(context):
        size += len(chunk)
        _check_size(size, "the rendered prompt")
        parts.append(chunk)
    return "".join(parts)
