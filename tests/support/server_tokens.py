"""Fake tokens and fake log-probabilities for the test server.

Tokens are runs of word characters, runs of whitespace, or single punctuation marks, so
concatenating the tokens gives back the text and every word/space/punctuation boundary is a token
boundary (a harness that splits context and continuation there finds a clean cut).

A token's log-probability is a pure function of the text before it and the token itself (a hash
chain), so the same prefix always scores the same. Tokens inside a *favoured* span get
:data:`FAVOURED_LOGPROB`, far above any pseudo-random value, which lets a test make the server
"prefer" one multiple-choice answer and check that the harness picks it.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import re
import string
import struct
from dataclasses import dataclass
from typing import Any

FAVOURED_LOGPROB = -0.01
"""Log-probability of every token in a favoured span (pseudo values lie in [-8.0, -0.2))."""

_TOKEN_RE = re.compile(r"\w+|\s+|[^\w\s]")
_LETTERS = tuple(string.ascii_uppercase[:20])
_FILLERS = (" the", " a", ",", ".", " and", " of", " to", " is", " in", "\n", " The", " it")


@dataclass(frozen=True, slots=True)
class TokenScore:
    """One token with its log-probability and its most likely alternatives.

    Attributes:
        token: The token text.
        offset: Character offset of the token in the scored text.
        logprob: Natural-log probability of the token given the text before it.
        top: The ``top_k`` most likely tokens at this position, best first (may include ``token``).
    """

    token: str
    offset: int
    logprob: float
    top: tuple[tuple[str, float], ...]


def tokenize(text: str) -> list[str]:
    """Split ``text`` into fake tokens whose concatenation is ``text``.

    >>> tokenize("Answer: B")
    ['Answer', ':', ' ', 'B']
    """
    return _TOKEN_RE.findall(text)


def count_tokens(text: str) -> int:
    """Return the number of fake tokens in ``text``."""
    return len(_TOKEN_RE.findall(text))


def score_tokens(
    text: str,
    *,
    context: str = "",
    top_k: int = 0,
    favoured_from: int | None = None,
    letters_first: bool = False,
) -> list[TokenScore]:
    """Score every token of ``text``.

    Args:
        text: The text to tokenise and score.
        context: Text that conditions the first token (e.g. the chat prompt); not scored itself.
        top_k: How many alternatives to list per position (0 lists none).
        favoured_from: Character offset in ``text`` from which non-space tokens are favoured.
        letters_first: Offer capital letters ``A``..``T`` as the alternatives at position 0
            (what a chat multiple-choice harness reads from ``top_logprobs``).

    Returns:
        One :class:`TokenScore` per token, in order.
    """
    # state = hash of everything before the token; one 64-byte hash per token feeds both the
    # token's own logprob (first 8 bytes of the next state) and the alternatives (the rest).
    state = hashlib.blake2b(context.encode(), digest_size=64).digest()
    scores: list[TokenScore] = []
    offset = 0
    for position, token in enumerate(tokenize(text)):
        following = hashlib.blake2b(state + token.encode(), digest_size=64).digest()
        favoured = favoured_from is not None and offset >= favoured_from and not token.isspace()
        logprob = FAVOURED_LOGPROB
        if not favoured:
            logprob = -(0.2 + 7.8 * int.from_bytes(following[:8], "big") / 2**64)
        pool = _LETTERS if letters_first and position == 0 else _FILLERS
        top = _top_alternatives(state, token, logprob, pool, top_k) if top_k else ()
        scores.append(TokenScore(token, offset, logprob, top))
        state = following
        offset += len(token)
    return scores


def _top_alternatives(
    state: bytes,
    token: str,
    logprob: float,
    pool: tuple[str, ...],
    top_k: int,
) -> tuple[tuple[str, float], ...]:
    """Return the ``top_k`` best of the actual token and the pool's alternatives.

    The alternatives share 90 % of the mass the actual token leaves (the rest is "the other
    tokens of the vocabulary"), so the listed probabilities never sum above 1 and a favoured
    token is always the clear argmax, as a confident model's would be.
    """
    # 16 bits of the state per pool entry, cubed so that a few alternatives dominate.
    draws = struct.unpack_from(f">{len(pool)}H", state, 16)
    weighted = [
        (alt, (draw / 65536) ** 3 + 1e-6)
        for alt, draw in zip(pool, draws, strict=True)
        if alt != token
    ]
    spare = 0.9 * (1.0 - math.exp(logprob)) / sum(weight for _, weight in weighted)
    best = heapq.nlargest(top_k, weighted, key=lambda item: item[1])
    candidates = [(token, logprob), *((alt, math.log(weight * spare)) for alt, weight in best)]
    candidates.sort(key=lambda item: (-item[1], item[0]))
    return tuple((tok, round(value, 6)) for tok, value in candidates[:top_k])


def completion_logprobs(
    scores: list[TokenScore], *, echo: bool, base_offset: int
) -> dict[str, Any]:
    """Return the legacy completions ``logprobs`` object.

    Args:
        scores: The scored tokens of the returned text.
        echo: Whether the text starts with the prompt; then the first token has no logprob
            (nothing conditions it), as with OpenAI.
        base_offset: Added to every ``text_offset`` (the prompt length when not echoing).
    """
    token_logprobs: list[float | None] = [round(s.logprob, 6) for s in scores]
    top_logprobs: list[dict[str, float] | None] = [dict(s.top) for s in scores]
    if echo and scores:
        token_logprobs[0] = None
        top_logprobs[0] = None
    return {
        "tokens": [s.token for s in scores],
        "token_logprobs": token_logprobs,
        "top_logprobs": top_logprobs,
        "text_offset": [base_offset + s.offset for s in scores],
    }


def chat_logprobs(scores: list[TokenScore]) -> dict[str, Any]:
    """Return the chat completions ``logprobs`` object (``{"content": [...]}``)."""
    content = []
    for s in scores:
        top = [
            {"token": tok, "logprob": value, "bytes": list(tok.encode())} for tok, value in s.top
        ]
        content.append(
            {
                "token": s.token,
                "logprob": round(s.logprob, 6),
                "bytes": list(s.token.encode()),
                "top_logprobs": top,
            }
        )
    return {"content": content, "refusal": None}
