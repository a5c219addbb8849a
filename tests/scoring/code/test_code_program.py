"""Reading the program from a reply: what is kept, in which order, and how it was found."""

from __future__ import annotations

from evalkit.scoring.code import extract_program

PROMPT = 'import math\nfrom typing import List\n\n\ndef helper(x: int) -> int:\n    return x * 2\n\n\ndef solve(xs: List[int]) -> int:\n    """Doc."""\n'


def test_keeps_setup_calls_and_what_the_function_needs_and_drops_demos() -> None:
    reply = """```python
import sys
import pytest
sys.setrecursionlimit(10 ** 5)
LIMIT = 10
UNUSED = 3

def walk(xs, i=0):
    return 0 if i == len(xs) else min(xs[i], LIMIT) + walk(xs, i + 1)

def solve(xs):
    return walk(xs)

print(solve([1, 2]))
solve([3])
assert solve([]) == 1
```"""
    got = extract_program(reply, PROMPT, "solve")
    assert got.how == "fenced"
    assert got.program == (
        "import math\n\nfrom typing import List\n\ndef helper(x: int) -> int:\n    return x * 2\n\n"
        "import sys\n\nsys.setrecursionlimit(10 ** 5)\n\nLIMIT = 10\n\n"
        "def walk(xs, i=0):\n    return 0 if i == len(xs) else min(xs[i], LIMIT) + walk(xs, i + 1)\n\n"
        "def solve(xs):\n    return walk(xs)\n"
    )


def test_prompt_imports_repeated_in_the_reply_appear_once() -> None:
    got = extract_program(
        "```python\nimport math\n\ndef solve(xs):\n    return math.prod(xs)\n```", PROMPT, "solve"
    )
    assert got.program is not None and got.program.count("import math") == 1


def test_how_the_program_was_found() -> None:
    assert (
        extract_program("```python\ndef solve(xs):\n    return 1\n```", PROMPT, "solve").how
        == "fenced"
    )
    assert extract_program("def solve(xs):\n    return 1", PROMPT, "solve").how == "bare"
    body = extract_program("    return sum(xs)\n", PROMPT, "solve")
    assert body.how == "body" and body.program == PROMPT + "    return sum(xs)\n"
    unparsed = extract_program("```python\ndef solve(xs):\n    print 'x'\n```", PROMPT, "solve")
    assert unparsed.how == "unparsed" and unparsed.program is not None
    assert unparsed.program.startswith("import math\nfrom typing import List\n")  # imports added
    assert extract_program("No idea.", PROMPT, "solve").how == "none"


def test_methods_of_a_demo_object_are_not_setup() -> None:
    reply = "```python\nclass Box:\n    def go(self):\n        raise SystemExit\n\ndef solve(xs):\n    return 0\n\nbox = Box()\nbox.go()\n```"
    got = extract_program(reply, PROMPT, "solve")
    assert (
        got.program is not None and "box.go()" not in got.program and "class Box" not in got.program
    )
