r"""The program a reply stands for, read as a careful grader would read it.

Chat models answer with prose around one or more fenced blocks; the grader wants the function
the problem asked for. The rules, in order:

1. The reply is read without its reasoning (:func:`~evalkit.scoring.response.read_reply`).
2. Candidates are its fenced blocks tagged Python or untagged (``bash``, ``text``, ``pycon``
   blocks are not code to run); with no fences, the code starting at the first line that looks
   like Python (``def``, ``class``, ``import``, ``from``, a decorator).
3. The chosen block is the **last** one that defines the entry point at top level: a model that
   shows a first attempt and then a corrected one means the latter.
4. Its statements are pooled after the prompt's own (imports, helper functions given with the
   problem) and the other blocks' definitions (helpers shown in a separate block). From that pool
   the program keeps all of the prompt's (the tests may call its helpers) and what the entry
   point needs, transitively: helpers, constants, imports it uses. Everything else goes: example
   calls, ``print``\s, ``assert``\s, ``if __name__ == "__main__":`` demos, ``input()``
   prompts. Prose never enters (it is outside the fences); statements keep their original text.
5. A block cut off by the output limit (no closing fence) loses trailing lines until it parses;
   a closed block that does not parse is run as written, so its verdict is the syntax error
   (a Python 2 ``print x`` fails, as Python 3 would fail it).
6. A block with no function at all but a ``return`` is the body of the prompt's function (the
   model continued the prompt): the program is the prompt plus that body, indented.
7. Code that never defines the entry point is still run (its verdict is the ``NameError``);
   a reply with no code at all has no program (``no_code``).

Completion-style prompts (base models) use the rule of Chen et al. 2021 instead: the program is
the prompt followed by the completion, cut at the first top-level ``def``/``class``/``if``/
``print``/``#`` line the model wrote after the function (:func:`continuation_program`).
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from evalkit.scoring.code.fences import Block, bare_code, fenced_blocks
from evalkit.scoring.response import read_reply

How = Literal["fenced", "bare", "body", "unparsed", "continuation", "none"]
STOP = ("\nclass", "\ndef", "\n#", "\nif", "\nprint")
"""Where a completion-style answer ends (the stop sequences of Chen et al. 2021)."""
_IMPORT_LINE = re.compile(r"^(?:import [\w.]|from [\w.]+ import )")


@dataclass(frozen=True, slots=True)
class Extraction:
    """The program read from a reply and how it was found.

    Attributes:
        program: The source to run with the tests, or ``None`` when the reply has no code.
        how: ``fenced``/``bare`` (a block or bare code defining the entry point), ``body`` (the
            prompt continued), ``unparsed`` (code run as written: it does not parse or lacks the
            entry point), ``continuation`` (prompt + completion), ``none``.
    """

    program: str | None
    how: How


@dataclass(frozen=True, slots=True)
class _Parsed:
    """A parsed candidate and the exact source it was parsed from."""

    tree: ast.Module
    source: str


@dataclass(frozen=True, slots=True)
class _Stmt:
    """One top-level statement: its source text, what it binds and what it reads."""

    text: str
    binds: frozenset[str]
    reads: frozenset[str]
    always: bool = False
    module_call: str | None = None
    """For a top-level ``module.func(...)`` call (``sys.setrecursionlimit(...)``): the module."""


def continuation_program(prompt: str, completion: str) -> Extraction:
    """Return the prompt followed by the completion cut at the stop sequences."""
    cut = min((i for s in STOP if (i := completion.find(s)) >= 0), default=len(completion))
    return Extraction(prompt + completion[:cut], "continuation")


def extract_program(reply: str, prompt: str, entry_point: str) -> Extraction:
    """Read the program a chat reply stands for (the rules are in the module docstring)."""
    text = read_reply(reply).text
    blocks = fenced_blocks(text)
    if blocks:
        candidates = [b for b in blocks if b.is_python and b.code.strip()]
        how: How = "fenced"
    else:
        candidates, how = _unfenced(text), "bare"
    if not candidates:
        return Extraction(None, "none")
    trees = [_parse(b.code, repair=not b.closed) for b in candidates]
    defining = [t for t in trees if t is not None and _defines(t, entry_point)]
    if defining:
        chosen = defining[-1]
        others = [t for t in trees if t is not None and t is not chosen]
        return Extraction(_assemble(prompt, others, chosen, entry_point), how)
    for parsed in trees:
        if parsed is not None and _is_body(parsed.tree):
            body = textwrap.indent(parsed.source, "    ")
            if _parse(prompt + body) is not None:
                return Extraction(prompt + body, "body")
    return Extraction(_with_imports(prompt, candidates[-1].code), "unparsed")


def _unfenced(text: str) -> list[Block]:
    """The candidate of a reply without fences: code from its first code line, or a bare body."""
    bare = bare_code(text)
    if bare is not None:
        return [Block("", bare, closed=False)]  # prose may follow: trimmed like a cut-off block
    whole = textwrap.dedent(text).strip("\n") + "\n"
    parsed = _parse(whole)
    return [Block("", whole, closed=True)] if parsed and _is_body(parsed.tree) else []


def _parse(code: str, repair: bool = False) -> _Parsed | None:
    """Parse ``code``; when ``repair``, drop trailing lines (a cut-off reply) until it parses."""
    lines = code.split("\n")
    for end in range(len(lines), 0 if repair else len(lines) - 1, -1):
        source = "\n".join(lines[:end]).rstrip("\n") + "\n"
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        return _Parsed(tree, source)
    return None


def _defines(parsed: _Parsed, name: str) -> bool:
    return any(name in _statement(node, parsed.source).binds for node in parsed.tree.body)


def _is_body(tree: ast.Module) -> bool:
    top = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return not any(isinstance(n, top) for n in tree.body) and any(
        isinstance(n, ast.Return) for n in tree.body
    )


def _statement(node: ast.stmt, source: str) -> _Stmt:
    """Describe one top-level statement of ``source``."""
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    lines = source.split("\n")[first - 1 : node.end_lineno]
    names = [n for n in ast.walk(node) if isinstance(n, ast.Name)]
    reads = {n.id for n in names if not isinstance(n.ctx, ast.Store)}
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        binds = {node.name}  # its locals are its own
    elif isinstance(node, ast.Import | ast.ImportFrom):
        binds = {a.asname or a.name.split(".")[0] for a in node.names}
    else:
        binds = {n.id for n in names if isinstance(n.ctx, ast.Store)}
    star = isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names)
    future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
    text = "\n".join(lines)
    return _Stmt(text, frozenset(binds), frozenset(reads), star or future, _module_call(node))


def _module_call(node: ast.stmt) -> str | None:
    """The module of a top-level ``module.func(...)`` call statement, if it is one."""
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return None
    func = node.value.func
    while isinstance(func, ast.Attribute):
        func = func.value
    is_attribute = isinstance(node.value.func, ast.Attribute)
    return func.id if is_attribute and isinstance(func, ast.Name) else None


def _statements(parsed: _Parsed, skip: str | None = None) -> Iterator[_Stmt]:
    for node in parsed.tree.body:
        if _is_demo(node):
            continue
        stmt = _statement(node, parsed.source)
        if skip is None or skip not in stmt.binds:
            yield stmt


def _is_demo(node: ast.stmt) -> bool:
    """Whether a top-level statement only demonstrates the code (calls, prints, asserts, main).

    A call on a module (``sys.setrecursionlimit(10**6)``) is set-up, not a demo: it is kept when
    that module is imported.
    """
    if isinstance(node, ast.Expr):
        return _module_call(node) is None
    if isinstance(node, ast.Assert | ast.For | ast.While | ast.With | ast.Raise):
        return True
    if isinstance(node, ast.If):
        return "__name__" in ast.unparse(node.test)
    return False


def _assemble(prompt: str, others: list[_Parsed], chosen: _Parsed, entry: str) -> str:
    """Keep the prompt's imports and everything the entry point needs, in pool order."""
    pool: list[_Stmt] = []
    given = _parse(prompt)
    if given is not None:
        # What the problem gives (imports, helpers the tests may call) is always there, as it is
        # when the official harness runs prompt + completion.
        pool += [_Stmt(s.text, s.binds, s.reads, True) for s in _statements(given, skip=entry)]
    for tree in others:
        pool += _statements(tree, skip=entry)
    pool += _statements(chosen)
    imported = {name for s in pool if _IMPORT_LINE.match(s.text) for name in s.binds}
    keep = [s.always or (s.module_call is not None and s.module_call in imported) for s in pool]
    needed = {entry}.union(*(s.reads for s, k in zip(pool, keep, strict=True) if k))
    changed = True
    while changed:  # until no statement binds a name that kept code reads
        changed = False
        for index, stmt in enumerate(pool):
            if not keep[index] and stmt.binds & needed:
                keep[index] = changed = True
                needed |= stmt.reads
    kept = [s.text for s, k in zip(pool, keep, strict=True) if k]
    return "\n\n".join(dict.fromkeys(kept)) + "\n"  # an import in prompt and reply: once


def _with_imports(prompt: str, code: str) -> str:
    """Put the prompt's import lines before ``code`` (chat answers often leave them out)."""
    imports = [line for line in prompt.split("\n") if _IMPORT_LINE.match(line)]
    missing = [line for line in imports if line not in code.split("\n")]
    return "\n".join([*missing, code]) if missing else code
