"""Every scorer reads a 1 MB hostile reply correctly, and in linear time.

The replies are long runs of one character class (blanks, line breaks, brackets, markup,
punctuation, digits, letters, CJK) after each cue a scorer looks for, with and without a real
answer at the end. The tests assert the verdicts, not the time: a pattern that backtracks
quadratically needs hours on a megabyte, so a regression makes the run stuck, and the
subprocess timeout (far above what linear code needs even on a busy machine) turns that into a
failure instead of a hung suite.

Run as a script (``python test_linear_time.py gsm8k``), this file prints each shape's verdict as
one JSON line; the tests run it that way.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

SIZE = 1_000_000
GUARD_S = 900  # a guard against a hang, not a speed target (see bench/ for figures)
FILLS = (" ", "\t", "\n", " \n", ". ", ",", "*", "_", "#", "-", ">", "[", "]", "(", "{", "<<",
         "$", "1,", "1 ", "1.", "a ", "or ", ":", "\\", "= ", "**a** ", "答", "。", "\u3000", "…",
         "\u200b")  # fmt: skip
CUES = ("", ". ", "Answer:", "The answer is", "####", "\\boxed{", "Wait,", "So", "答案", "故选",
        "Check:", "**", "Question", "\n-", "<think>a</think>")  # fmt: skip


def replies(answer: str) -> Iterator[tuple[str, str, bool]]:
    """Yield (shape name, reply, has the answer) for a third of the cue and fill pairs.

    Each fill meets five cues and each cue ten or more fills (bench/linear_scoring.py tries
    them all).
    """
    for i, cue in enumerate(CUES):
        for fill in FILLS[i % 3 :: 3]:
            run = fill * (SIZE // len(fill))
            name = f"{cue!r}+{fill!r}"
            yield name, f"Some work 12. {cue}{run}x", False
            yield name + "+answer", f"Some work 12. {cue}{run}\n\n{answer}", True


def _gsm8k() -> Iterator[dict[str, object]]:
    from evalkit.scoring import SCORERS
    from evalkit.types import Completion, Sample

    scorer, sample = SCORERS.get("gsm8k")({}), Sample("q", 0, {}, "18")
    for name, reply, _ in replies("The answer is 18."):
        yield {"shape": name, "value": scorer.score(sample, Completion(reply)).value}


def _choice() -> Iterator[dict[str, object]]:
    from evalkit.scoring import SCORERS
    from evalkit.types import Completion, Sample

    scorer = SCORERS.get("choice")({})
    sample = Sample("q", 0, {}, "B", ("red", "blue", "green", "gray"))
    for name, reply, _ in replies("Answer: B"):
        yield {"shape": name, "value": scorer.score(sample, Completion(reply)).value}


# Instructions whose verdict on a long run of one fill does not depend on the run's length (the
# change_case checks also detect the language, which a short run of symbols leaves undecided).
STABLE = {
    "punctuation:no_comma": {},
    "detectable_content:number_placeholders": {"num_placeholders": 2},
    "detectable_format:title": {},
    "detectable_content:postscript": {"postscript_marker": "P.S."},
    "detectable_format:number_highlighted_sections": {"num_highlights": 2},
    "detectable_format:json_format": {},
    "detectable_format:constrained_response": {},
    "detectable_format:multiple_sections": {"section_spliter": "Section", "num_sections": 2},
    "startend:quotation": {},
    "startend:end_checker": {"end_phrase": "Any questions?"},
    "combination:two_responses": {},
    "keywords:existence": {"keywords": ["apple"]},
    "keywords:forbidden_words": {"forbidden_words": ["apple"]},
}


def _ifeval() -> Iterator[dict[str, object]]:
    from evalkit.scoring.ifeval import build_instruction

    checks = {name: build_instruction(name, kw, "p") for name, kw in STABLE.items()}
    extra = ("<<a", "[a", "\n* a", "\n\n", "P.", "p. s", "~~~", "[[", "<< >>", "Section")
    for fill in FILLS + extra:
        for tail in ("x", " P.S. [a] [b] <<T>> *c* *d* Section 1 Section 2"):
            text = fill * (SIZE // len(fill)) + tail
            short = fill * (4096 // len(fill)) + tail
            for name, check in checks.items():
                shape = f"{fill!r}+{tail[:4]!r}/{name}"
                yield {"shape": shape, "value": check.check(text), "short": check.check(short)}


RUNNERS = {"gsm8k": _gsm8k, "choice": _choice, "ifeval": _ifeval}


def run_shapes(scorer: str) -> list[dict[str, object]]:
    """Score every shape for ``scorer`` in a subprocess that a hang cannot outlive."""
    done = subprocess.run(
        [sys.executable, __file__, scorer],
        capture_output=True,
        text=True,
        timeout=GUARD_S,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


@pytest.mark.slow
@pytest.mark.parametrize("scorer", ["gsm8k", "choice"])
def test_a_megabyte_of_hostile_text_scores_right(scorer: str) -> None:
    results = run_shapes(scorer)
    assert len(results) == 2 * sum(len(FILLS[i % 3 :: 3]) for i in range(len(CUES)))
    wrong = [r["shape"] for r in results if r["value"] != float(r["shape"].endswith("+answer"))]
    assert not wrong, wrong[:10]


def test_ifeval_checks_on_a_megabyte_agree_with_a_short_run() -> None:
    results = run_shapes("ifeval")
    assert len(results) > 500
    moved = [r["shape"] for r in results if r["value"] != r["short"]]
    assert not moved, moved[:10]
    # The runs with the closed markup at the end pass the checks that look for it.
    passed = {r["shape"] for r in results if r["value"]}
    assert "'<<'+' P.S'/detectable_format:title" in passed
    assert "'['+' P.S'/detectable_content:number_placeholders" in passed
    assert "'['+'x'/detectable_content:number_placeholders" not in passed


if __name__ == "__main__":
    for result in RUNNERS[sys.argv[1]]():
        print(json.dumps(result, ensure_ascii=False), flush=True)
