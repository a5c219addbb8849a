"""The arguments of one IFEval instruction, read from a dataset row's ``kwargs``.

A row carries one kwargs dict per instruction. The published ``input_data.jsonl`` lists only the
arguments an instruction uses; the Hugging Face copy lists every argument name of every
instruction with ``None`` for the unused ones, so ``None`` means absent here. The official code
replaces an absent argument by a random value; a scorer must not, so an absent or malformed
argument is a :class:`~evalkit.errors.DataError` naming the instruction and the argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from evalkit.errors import DataError

Relation = Literal["less than", "at least"]
"""How a count is compared with its threshold: ``count < n`` or ``count >= n``."""

RELATIONS: tuple[Relation, ...] = ("less than", "at least")


def compare(count: int, relation: Relation, threshold: int) -> bool:
    """Return whether ``count`` stands in ``relation`` to ``threshold``.

    Examples:
        >>> compare(3, "less than", 3), compare(3, "at least", 3)
        (False, True)
    """
    if relation == "less than":
        return count < threshold
    return count >= threshold


@dataclass(frozen=True, slots=True)
class Arguments:
    """Typed access to one instruction's kwargs.

    Attributes:
        instruction_id: The instruction the arguments belong to (for error messages).
        values: The kwargs as found in the dataset row.
        prompt: The sample's prompt (some instructions refer to it).
    """

    instruction_id: str
    values: Mapping[str, Any] = field(default_factory=dict)
    prompt: str = ""

    def _get(self, name: str) -> Any:
        value = self.values.get(name)
        if value is None:
            raise DataError(f"IFEval instruction {self.instruction_id!r} needs argument {name!r}")
        return value

    def _invalid(self, name: str, expected: str) -> DataError:
        value = self.values.get(name)
        return DataError(
            f"IFEval instruction {self.instruction_id!r}: argument {name!r} must be {expected},"
            f" got {value!r}"
        )

    def integer(self, name: str, *, minimum: int = 0) -> int:
        """Return the argument ``name`` as an int of at least ``minimum``."""
        value = self._get(name)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self._invalid(name, f"an integer >= {minimum}")
        return value

    def text(self, name: str) -> str:
        """Return the argument ``name`` as a non-blank string, stripped (as officially)."""
        value = self._get(name)
        if not isinstance(value, str) or not value.strip():
            raise self._invalid(name, "a non-empty string")
        return value.strip()

    def words(self, name: str) -> tuple[str, ...]:
        """Return the argument ``name`` as a non-empty tuple of non-empty strings."""
        value = self._get(name)
        if (
            isinstance(value, str)
            or not isinstance(value, list | tuple)
            or not value
            or not all(isinstance(word, str) and word for word in value)
        ):
            raise self._invalid(name, "a non-empty list of strings")
        return tuple(value)

    def relation(self, name: str) -> Relation:
        """Return the argument ``name`` as a :data:`Relation`."""
        value = self._get(name)
        if value not in RELATIONS:
            raise self._invalid(name, f"one of {RELATIONS}")
        return cast(Relation, value)
