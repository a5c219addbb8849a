"""GSM8K rows → samples: gold from the ``#### N`` line, worked solution without calculator tags."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from evalkit.task.data import row_id
from evalkit.types import Sample

CALCULATOR_TAG = re.compile(r"<<[^<>]*>>")


def adapt(row: Mapping[str, Any], index: int) -> Sample:
    """Turn one GSM8K row (``question``, ``answer``) into a Sample.

    The gold is the number after ``####`` with thousands separators removed; the worked
    solution (for few-shot examples) drops the ``<<48/2=24>>`` calculator annotations.
    """
    question, answer = str(row["question"]), str(row["answer"])
    rationale, sep, final = answer.rpartition("####")
    if not sep or not final.strip():
        raise ValueError("field 'answer' has no '#### N' final line")
    solution = CALCULATOR_TAG.sub("", rationale).strip()
    return Sample(
        id=row_id({"question": question, "answer": answer}),
        index=index,
        data={"question": question, "solution": solution},
        target=final.strip().replace(",", ""),
    )
