"""Every docstring example in evalkit runs, and must pass (they document behaviour, so they are
tests too). Modules are found by their source, so a new module with examples is covered at once.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "evalkit"
MODULES = sorted(
    ".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
    for p in PACKAGE.rglob("*.py")
    if ">>> " in p.read_text(encoding="utf-8")
)


def test_modules_with_examples_are_found():
    assert "evalkit.stats.metrics" in MODULES and "evalkit.task.params" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_pass(name):
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, optionflags=flags, verbose=False, report=True)
    assert result.attempted > 0, f"{name}: no examples collected"
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"
