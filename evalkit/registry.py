"""One generic registry for every extension point (backends, scorers, tasks).

Built-ins are listed once as lazy ``"module:attr"`` strings, so importing evalkit imports none of
them; third parties add entries through an entry-point group; user code may use
:meth:`Registry.register` as a decorator. An unknown name raises :class:`UnknownNameError` with a
"did you mean" suggestion and the list of available names.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Generic, TypeVar, cast

from evalkit.errors import UnknownNameError

T = TypeVar("T")


def suggest(name: str, known: list[str]) -> str:
    """Return a ``" Did you mean 'x'?"`` hint for ``name`` among ``known``, or ``""``."""
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    if not close:
        return ""
    return " Did you mean " + " or ".join(f"'{c}'" for c in close) + "?"


class Registry(Generic[T]):
    """A name → object registry with lazy built-ins and entry-point plugins.

    Args:
        kind: What the registry holds, for error messages ("provider", "scorer", ...).
        builtins: Name → ``"module:attr"`` for objects shipped with evalkit.
        group: Entry-point group third-party packages register under.
    """

    def __init__(self, kind: str, builtins: dict[str, str], group: str | None = None) -> None:
        self.kind = kind
        self._lazy = dict(builtins)
        self._loaded: dict[str, T] = {}
        self._group = group
        self._plugins_scanned = False

    def register(self, name: str) -> Callable[[T], T]:
        """Return a decorator that registers its argument under ``name``."""

        def deco(obj: T) -> T:
            self._loaded[name] = obj
            return obj

        return deco

    def _scan_plugins(self) -> None:
        if self._plugins_scanned or self._group is None:
            return
        self._plugins_scanned = True
        for ep in entry_points(group=self._group):
            self._lazy.setdefault(ep.name, ep.value)

    def has(self, name: str) -> bool:
        """Whether ``name`` is registered (plugins are scanned only for a name not built in)."""
        if name in self._loaded or name in self._lazy:
            return True
        self._scan_plugins()
        return name in self._lazy

    def names(self) -> list[str]:
        """Return every known name, sorted."""
        self._scan_plugins()
        return sorted(set(self._lazy) | set(self._loaded))

    def get(self, name: str) -> T:
        """Return the object registered as ``name``, importing it on first use.

        Raises:
            UnknownNameError: ``name`` is not registered.
        """
        if name in self._loaded:
            return self._loaded[name]
        if name not in self._lazy:  # a built-in wins over a plugin of its name: no scan needed
            self._scan_plugins()
        target = self._lazy.get(name)
        if target is None:
            known = self.names()
            raise UnknownNameError(
                f"unknown {self.kind} '{name}'.{suggest(name, known)}"
                f" Available: {', '.join(known)}."
            )
        module_name, _, attr = target.partition(":")
        obj = cast(T, getattr(importlib.import_module(module_name), attr))
        self._loaded[name] = obj
        return obj
