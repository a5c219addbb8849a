"""The public API is exactly ``evalkit.__all__``, and every name in it resolves."""

import subprocess
import sys

import evalkit


def test_all_names_resolve_and_are_documented():
    for name in evalkit.__all__:
        value = getattr(evalkit, name)
        if callable(value) and not name.isupper():
            assert value.__doc__, f"{name} has no docstring"


def test_all_is_sorted_unique_and_matches_the_lazy_table():
    names = [n for n in evalkit.__all__ if n != "__version__"]
    assert names == sorted(set(names))
    assert set(names) == set(evalkit._EXPORTS)


def test_import_is_light():
    code = "import sys, evalkit; print(any(m in sys.modules for m in ('pandas', 'datasets', 'httpx', 'sympy')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
