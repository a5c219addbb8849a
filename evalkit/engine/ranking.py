"""Multiple-choice answers by log-likelihood: rank the options instead of asking for text.

For each option the backend returns ``log P(continuation | prompt)``; the option with the highest
value is the model's answer, returned as a :class:`~evalkit.types.Completion` whose text is the
option's label, so the same choice scorer grades generated and ranked answers alike. The values
are kept in ``option_logprobs`` for the record.

Continuations (the ``ll_target`` task parameter):

* ``letter``: `` A``, `` B``, ... after the prompt (the classic MMLU number);
* ``text``: `` <option text>`` after the prompt, ranked by total log-probability.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import cast

from evalkit.backends import Backend, LoglikelihoodBackend
from evalkit.errors import ConfigError, FatalBackendError
from evalkit.task.prompts import LABELS
from evalkit.types import Completion, Request, Sample


def continuations(sample: Sample, target: str) -> list[str]:
    """Return the continuation scored for each option of ``sample``."""
    if target == "letter":
        return [f" {label}" for label in LABELS[: len(sample.choices)]]
    if target == "text":
        return [f" {choice}" for choice in sample.choices]
    raise ConfigError(f"invalid ll_target '{target}': use letter or text")


def method(backend: Backend, request: Request, target: str) -> str:
    """Return how ``backend`` will rank the options of ``request``, refusing what it cannot do.

    ``exact`` (a local model scores every continuation), ``echo`` (a completions endpoint
    returns the prompt's log-probabilities) or ``top_logprobs`` (a chat endpoint's alternatives
    for the first answer token: letters only). Checked before the run starts.

    Raises:
        ConfigError: the backend cannot rank these options at all.
    """
    modes = backend.capabilities.loglikelihood
    ident = backend.identity
    if not modes or not hasattr(backend, "loglikelihood"):
        raise ConfigError(
            f"{ident.provider}/{ident.model} cannot score log-likelihoods; it supports only "
            "-T mode=generate (use a completions server with prompt logprobs, or hf/llamacpp)"
        )
    if "exact" in modes:
        return "exact"
    if not request.is_chat:
        return "echo"
    if target != "letter":
        raise ConfigError(
            f"{ident.provider}/{ident.model} ranks chat prompts by the first answer token only: "
            "use -T ll_target=letter, or -T format=text for a completions endpoint"
        )
    return "top_logprobs"


def best(values: Sequence[float]) -> int:
    """Index of the highest value; ties go to the earliest option (deterministic)."""
    return max(range(len(values)), key=lambda i: (values[i], -i))


async def rank_options(
    backend: Backend, target: str, sample: Sample, request: Request
) -> Completion:
    """Score every option of ``sample`` and answer with the best one's label."""
    if not sample.choices:
        raise FatalBackendError(f"sample {sample.id} has no options to rank")
    start = time.monotonic()
    ranker = cast(LoglikelihoodBackend, backend)  # capability checked by method() before the run
    values = [float(v) for v in await ranker.loglikelihood(request, continuations(sample, target))]
    return Completion(
        text=LABELS[best(values)],
        finish_reason="stop",
        model=backend.identity.model,
        latency_s=time.monotonic() - start,
        option_logprobs=tuple(values),
    )
