"""evalkit: an LLM benchmark evaluation harness.

The public API is the names in ``__all__``; nothing else is promised. Names are imported on
first use (PEP 562), so ``import evalkit`` and ``evalkit --help`` stay fast.

>>> import evalkit
>>> evalkit.RunConfig(model="mock/echo", tasks=("gsm8k",)).concurrency
32
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Backend": "evalkit.backends",
    "BackendIdentity": "evalkit.backends",
    "BackendOptions": "evalkit.backends",
    "Capabilities": "evalkit.backends",
    "Completion": "evalkit.types",
    "EvalkitError": "evalkit.errors",
    "GateReport": "evalkit.reports.gate",
    "GenerateParams": "evalkit.types",
    "Message": "evalkit.types",
    "PROVIDERS": "evalkit.backends",
    "Request": "evalkit.types",
    "RunConfig": "evalkit.config",
    "RunRecord": "evalkit.records.io",
    "SCORERS": "evalkit.scoring",
    "Sample": "evalkit.types",
    "SampleResult": "evalkit.types",
    "Score": "evalkit.types",
    "Scorer": "evalkit.scoring",
    "TaskOutcome": "evalkit.engine.schedule",
    "build_table": "evalkit.reports.table",
    "compare": "evalkit.reports.compare",
    "gate": "evalkit.reports.gate",
    "publish": "evalkit.records.publish",
    "read_record": "evalkit.records.io",
    "read_samples": "evalkit.records.io",
    "rescore": "evalkit.engine.rescore",
    "run": "evalkit.engine.run",
}

__all__ = [
    "__version__",
    "Backend",
    "BackendIdentity",
    "BackendOptions",
    "Capabilities",
    "Completion",
    "EvalkitError",
    "GateReport",
    "GenerateParams",
    "Message",
    "PROVIDERS",
    "Request",
    "RunConfig",
    "RunRecord",
    "SCORERS",
    "Sample",
    "SampleResult",
    "Score",
    "Scorer",
    "TaskOutcome",
    "build_table",
    "compare",
    "gate",
    "publish",
    "read_record",
    "read_samples",
    "rescore",
    "run",
]

if TYPE_CHECKING:
    from evalkit.backends import PROVIDERS, Backend, BackendIdentity, BackendOptions, Capabilities
    from evalkit.config import RunConfig
    from evalkit.engine.rescore import rescore
    from evalkit.engine.run import run
    from evalkit.engine.schedule import TaskOutcome
    from evalkit.errors import EvalkitError
    from evalkit.records.io import RunRecord, read_record, read_samples
    from evalkit.records.publish import publish
    from evalkit.reports.compare import compare
    from evalkit.reports.gate import GateReport, gate
    from evalkit.reports.table import build_table
    from evalkit.scoring import SCORERS, Scorer
    from evalkit.types import (
        Completion,
        GenerateParams,
        Message,
        Request,
        Sample,
        SampleResult,
        Score,
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'evalkit' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
