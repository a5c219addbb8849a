"""Why an answer could not be turned into a mathematical value.

These never leave the checker: :func:`evalkit.scoring.math.scorer.is_equiv` turns them into a
verdict (an unreadable prediction is "not equal"; an unreadable gold answer falls back to text
comparison).

::

    AnswerError
    ├── AnswerSyntaxError   the text is not an answer the parser understands
    └── AbsurdAnswerError   the answer is well-formed but too large to evaluate safely
                            (power towers, huge factorials, 5,000-digit literals, 1e999999999)
"""

from __future__ import annotations


class AnswerError(Exception):
    """An answer could not be read as a mathematical value."""


class AnswerSyntaxError(AnswerError):
    """The text is not an answer the parser understands."""


class AbsurdAnswerError(AnswerError):
    """The answer would take unbounded time or memory to evaluate, so it is refused."""
