"""BFCL's own decoder and AST checker, loaded from the installed bfcl-eval package (tests only).

``ast_checker.py`` imports ``bfcl_eval.constants.model_config``, which imports every model
handler and so every model SDK. The checker reads one thing from it: whether a model name has
``underscore_to_dot`` (dots in function names replaced for native tools). It is loaded here
from its file with that module replaced, while it is imported, by a table of two model names:
``native`` (``underscore_to_dot=True``, as BFCL's OpenAI FC entries) and ``prompt`` (False).
Everything else is BFCL's code as shipped. The prompt-mode decoder (``model_handler/utils.py``)
needs tenacity and tree-sitter 0.21 (the dev extra); the FC decoder of BFCL's OpenAI handler is
``[{name: json.loads(arguments)} ...]`` over the reply's tool calls (its text when it has none),
restated in :func:`decode_native`.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from evalkit.types import Completion

_CONFIG = "bfcl_eval.constants.model_config"


@dataclass(frozen=True)
class Reference:
    """BFCL's functions a verdict needs."""

    ast_checker: Callable[..., dict[str, Any]]
    python: Any
    decode_prompt: Callable[[str], Any]
    is_format: Callable[[Any], bool]
    is_empty: Callable[[Any], bool]


def _load_checker() -> types.ModuleType:
    from evalkit.scoring.calls.dataset import data_dir

    path = data_dir().parent / "eval_checker" / "ast_eval" / "ast_checker.py"
    standin = types.ModuleType(_CONFIG)
    standin.MODEL_CONFIG_MAPPING = {  # type: ignore[attr-defined]
        "native": types.SimpleNamespace(underscore_to_dot=True),
        "prompt": types.SimpleNamespace(underscore_to_dot=False),
    }
    saved = sys.modules.get(_CONFIG)
    sys.modules[_CONFIG] = standin
    try:
        spec = importlib.util.spec_from_file_location("bfcl_reference_ast_checker", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        if saved is None:
            del sys.modules[_CONFIG]
        else:
            sys.modules[_CONFIG] = saved
    return module


def load_reference() -> Reference:
    """Load BFCL's checker and decoders, skipping the test when the package or deps are missing."""
    pytest.importorskip("bfcl_eval", reason="pip install --no-deps bfcl-eval==2026.3.23")
    pytest.importorskip("tenacity", reason="the dev extra (BFCL's decoder imports tenacity)")
    pytest.importorskip("tree_sitter", reason="the dev extra (BFCL's decoder imports tree_sitter)")
    from bfcl_eval.constants.enums import Language
    from bfcl_eval.model_handler.utils import default_decode_ast_prompting
    from bfcl_eval.utils import is_empty_output, is_function_calling_format_output

    checker = _load_checker()
    return Reference(
        checker.ast_checker,
        Language.PYTHON,
        default_decode_ast_prompting,
        is_function_calling_format_output,
        is_empty_output,
    )


def decode_native(completion: Completion) -> list[dict[str, Any]]:
    """BFCL's OpenAI FC decoder: tool calls when there are some, else the reply text."""
    result: Any = (
        [{c.name: c.arguments} for c in completion.tool_calls]
        if completion.tool_calls
        else completion.text
    )
    decoded = []
    for invoked in result:
        name = list(invoked.keys())[0]
        decoded.append({name: json.loads(invoked[name])})
    return decoded


def verdict(
    ref: Reference,
    category: str,
    functions: Sequence[Mapping[str, Any]],
    answers: Any,
    completion: Completion,
    native: bool,
) -> bool | None:
    """BFCL's verdict on one reply, as its eval runner decides it; ``None`` when BFCL raises.

    Irrelevance: right when the decoder fails or finds no call (``_evaluate_single_relevance_entry``);
    otherwise: decode, require the function-calling format, then ``ast_checker``
    (``_evaluate_single_ast_entry``).
    """
    try:
        decoded = decode_native(completion) if native else ref.decode_prompt(completion.text)
        failed = False
    except Exception:
        decoded, failed = None, True
    if "irrelevance" in category:
        return failed or bool(ref.is_empty(decoded))
    if failed or not ref.is_format(decoded):
        return False
    try:
        result = ref.ast_checker(
            list(functions),
            decoded,
            answers,
            ref.python,
            category,
            "native" if native else "prompt",
        )
    except Exception:
        return None
    return bool(result["valid"])
