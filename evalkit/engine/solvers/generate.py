"""The ``generate`` solver: one request, one completion (single-turn tasks)."""

from __future__ import annotations

from evalkit.engine.solvers import Solved, SolveEnv
from evalkit.task.params import SolverParams
from evalkit.types import Request, Sample


class Generate:
    """Answers with the model's one completion of the rendered request."""

    async def solve(self, sample: Sample, request: Request, env: SolveEnv) -> Solved:
        """Make the one call; a failed call becomes the sample's error."""
        result = await env.call(sample, request)
        if result.completion is None:
            return Solved(None, attempts=result.attempts, error=result.error, stop="error")
        return Solved(result.completion, attempts=result.attempts)


def make_generate(params: SolverParams) -> Generate:
    """``solver = "generate"`` (the default)."""
    return Generate()
