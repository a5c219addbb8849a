"""evalkit: an LLM benchmark evaluation harness."""

from __future__ import annotations

__version__ = "0.1.0"
