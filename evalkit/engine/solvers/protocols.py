r"""Tool protocols: how tools are offered to a model, how its calls are read, how results return.

- ``native``: OpenAI tool calling. Tools go in the request's ``tools``; calls come back as
  ``tool_calls``; each result is a ``tool`` message answering its call id.
- ``fenced``: for models without native tools. The model writes a fenced block tagged with the
  tool's name (```python ... ```); every such block in a reply is a call, and the results return
  as the next user turn, each in an ```output block.
- ``internlm``: InternLM2's chat format. A call is
  ``<|action_start|><|interpreter|>`` code ``<|action_end|>`` (the code may sit in a fenced
  block); results return in the ``environment`` role named ``interpreter``, as InternLM2's
  template expects (servers that serve InternLM2, such as LMDeploy, accept that role).

Text protocols turn each block into a :class:`~evalkit.types.ToolCall` whose arguments are the
JSON object a native call would carry (``{"code": ...}``), so tools see one form.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from evalkit.engine.tools import Tool, ToolResult
from evalkit.task.params import ToolProtocolName
from evalkit.types import Completion, Message, ToolCall

MAX_CALLS_PER_TURN = 16
"""Calls read from one reply at most; the rest are reported to the model as not run."""

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_.-]+)[ \t]*\n(.*?)(?:```|\Z)", re.S)
_INTERNLM = re.compile(
    r"<\|action_start\|>\s*<\|interpreter\|>(.*?)(?:<\|action_end\|>|\Z)", re.S
)
_INNER_FENCE = re.compile(r"^\s*```[ \t]*(?:python|py)?[ \t]*\n(.*?)\n?```\s*$", re.S)


@dataclass(frozen=True, slots=True)
class ToolProtocol:
    """One of the protocols above, bound to the task's tools."""

    name: ToolProtocolName
    tools: Mapping[str, Tool]

    def calls(self, completion: Completion) -> tuple[ToolCall, ...]:
        """The tool calls in a reply (empty: the reply is a final answer)."""
        if self.name == "native":
            return completion.tool_calls
        if self.name == "internlm":
            found = _INTERNLM.finditer(completion.text)
            blocks = [("python", _unfenced(m.group(1))) for m in found]
        else:
            fences = {tool.fence: name for name, tool in self.tools.items()}
            blocks = [
                (fences[m.group(1)], m.group(2))
                for m in _FENCE.finditer(completion.text)
                if m.group(1) in fences
            ]
        return tuple(
            ToolCall(f"call_{n}", name, json.dumps({self._arg(name): body}))
            for n, (name, body) in enumerate(blocks)
        )

    def instructions(self) -> str | None:
        """How to call the tools, for text protocols (native tools need no words).

        The solver adds this to the system message, so the task's own prompt stays the same
        whatever the protocol; the text is part of the recorded prompt.
        """
        if self.name == "native":
            return None
        if self.name == "internlm":
            return (
                "You can run Python code with the interpreter. To use it, write\n"
                "<|action_start|><|interpreter|>\n```python\nYOUR CODE\n```\n<|action_end|>\n"
                "and stop; its output comes back to you. Variables persist between calls."
            )
        parts = ["You can use these tools by writing a fenced block tagged with the tool's name:"]
        for name, tool in self.tools.items():
            parts.append(f"- {name}: {tool.spec.description}\n```{tool.fence}\n...\n```")
        parts.append(
            "Write one or more such blocks and stop; their output comes back to you in "
            "```output blocks. Reply without a block when you give your final answer."
        )
        return "\n".join(parts)

    def assistant_turn(self, completion: Completion) -> Message:
        """The reply as it goes back into the conversation."""
        if self.name == "native":
            return Message("assistant", completion.text, tool_calls=completion.tool_calls)
        return Message("assistant", completion.text)

    def result_turns(
        self, calls: Sequence[ToolCall], results: Sequence[ToolResult]
    ) -> tuple[Message, ...]:
        """The messages that carry ``results`` back to the model."""
        if self.name == "native":
            return tuple(
                Message("tool", r.output, tool_call_id=c.id, name=c.name)
                for c, r in zip(calls, results, strict=True)
            )
        if self.name == "internlm":
            text = "\n".join(r.output for r in results)
            return (Message("environment", text, name="interpreter"),)
        text = "\n".join(f"```output\n{r.output}\n```" for r in results)
        return (Message("user", text),)

    def _arg(self, name: str) -> str:
        tool = self.tools.get(name)
        return tool.main_arg if tool is not None else "code"


def _unfenced(block: str) -> str:
    """The code of an InternLM2 action, without a fenced block around it."""
    inner = _INNER_FENCE.match(block)
    return inner.group(1) if inner else block.strip("\n")
