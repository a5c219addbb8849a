"""Fenced code blocks in a markdown reply, and where bare code starts when there are none."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[ \t]*([^`\s]*)")
_CODE_START = re.compile(r"^(def |async def |class |import |from [\w.]+ import |@\w)")
_NOT_PYTHON = ("pycon", "pytb")  # interactive sessions and tracebacks start with "py" too


@dataclass(frozen=True, slots=True)
class Block:
    """One fenced block.

    Attributes:
        lang: The info string's first word, lower-cased (empty when untagged).
        code: The block's text, dedented.
        closed: Whether its closing fence was found (an open one ran to the end of the reply).
    """

    lang: str
    code: str
    closed: bool

    @property
    def is_python(self) -> bool:
        """Whether the block is tagged as Python or not tagged at all."""
        if self.lang in _NOT_PYTHON:
            return False
        return self.lang in ("", "py", "py3", "sage") or self.lang.startswith("python")


def fenced_blocks(text: str) -> list[Block]:
    r"""Return the fenced blocks of ``text`` in order (an unclosed last one included).

    >>> fenced_blocks("Use:\n```python\nx = 1\n```\nand\n~~~\ny\n")
    [Block(lang='python', code='x = 1\n', closed=True), Block(lang='', code='y\n', closed=False)]
    """
    blocks: list[Block] = []
    opening: re.Match[str] | None = None
    body: list[str] = []
    for line in text.split("\n"):
        if opening is None:
            opening = _FENCE.match(line)
            body = []
            continue
        fence = opening[1]
        if line.strip().startswith(fence[0] * len(fence)) and not line.strip().strip(fence[0]):
            blocks.append(Block(opening[2].lower(), _text(body), closed=True))
            opening = None
        else:
            body.append(line)
    if opening is not None:
        blocks.append(Block(opening[2].lower(), _text(body), closed=False))
    return blocks


def _text(lines: list[str]) -> str:
    code = textwrap.dedent("\n".join(lines)).rstrip()
    return code + "\n" if code else ""


def bare_code(text: str) -> str | None:
    r"""Return the reply from its first line that starts Python code, when it has no fences.

    >>> bare_code("Sure! Here it is:\ndef f():\n    return 1\n")
    'def f():\n    return 1\n'
    """
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if _CODE_START.match(line):
            return "\n".join(lines[index:])
    return None
