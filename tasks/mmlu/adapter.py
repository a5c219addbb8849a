"""MMLU rows → samples, from the original CSVs or the hub's ``cais/mmlu`` layout.

The two layouts carry the same content in different shapes:

* local CSV (``mmlu/test/<subject>_test.csv``, no header): ``question, A, B, C, D, answer``
  with the answer as a letter; the subject is the file name (``_file``) less its split suffix;
* hub (``cais/mmlu``, configuration ``all``): ``question``, ``subject``, ``choices`` (a list)
  and ``answer`` (an index into ``choices``).

Categories follow the original release's ``categories.py``: each subject's subcategory belongs
to one of STEM, humanities, social sciences and other. Sample ids hash the content with the row's
position, because the test split holds 27 exact duplicate rows, each scored in the official count.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalkit.task.data import row_id
from evalkit.types import Sample

LETTERS = "ABCD"
SPLIT_SUFFIXES = ("_test", "_dev", "_val")

_BY_CATEGORY = {
    "stem": (
        "abstract_algebra astronomy college_biology college_chemistry college_computer_science"
        " college_mathematics college_physics computer_security conceptual_physics"
        " electrical_engineering elementary_mathematics high_school_biology"
        " high_school_chemistry high_school_computer_science high_school_mathematics"
        " high_school_physics high_school_statistics machine_learning"
    ),
    "humanities": (
        "formal_logic high_school_european_history high_school_us_history"
        " high_school_world_history international_law jurisprudence logical_fallacies"
        " moral_disputes moral_scenarios philosophy prehistory professional_law world_religions"
    ),
    "social_sciences": (
        "econometrics high_school_geography high_school_government_and_politics"
        " high_school_macroeconomics high_school_microeconomics high_school_psychology"
        " human_sexuality professional_psychology public_relations security_studies sociology"
        " us_foreign_policy"
    ),
    "other": (
        "anatomy business_ethics clinical_knowledge college_medicine global_facts human_aging"
        " management marketing medical_genetics miscellaneous nutrition professional_accounting"
        " professional_medicine virology"
    ),
}
CATEGORY: dict[str, str] = {
    subject: category for category, names in _BY_CATEGORY.items() for subject in names.split()
}
"""Subject → category (57 subjects: 18 STEM, 13 humanities, 12 social sciences, 14 other)."""


def subject_of(file_stem: str) -> str:
    """Return the subject named by a file stem: ``abstract_algebra_test`` → ``abstract_algebra``."""
    for suffix in SPLIT_SUFFIXES:
        if file_stem.endswith(suffix):
            return file_stem[: -len(suffix)]
    return file_stem


def _fields(row: Mapping[str, Any]) -> tuple[str, tuple[str, ...], str]:
    """Subject, options and gold letter of a row in either layout."""
    if "choices" in row:
        choices = tuple(str(c) for c in row["choices"])
        answer = int(row["answer"])
        target = LETTERS[answer] if 0 <= answer < len(LETTERS) else str(answer)
        return str(row["subject"]), choices, target
    choices = tuple(str(row[label]) for label in LETTERS)
    return subject_of(str(row["_file"])), choices, str(row["answer"]).strip()


def adapt(row: Mapping[str, Any], index: int) -> Sample:
    """Turn one MMLU row into a Sample with ``subject`` and ``category`` metadata.

    Raises:
        ValueError: the subject is not one of the 57, or the answer is not A-D.
    """
    subject, choices, target = _fields(row)
    category = CATEGORY.get(subject)
    if category is None:
        raise ValueError(f"unknown MMLU subject '{subject}'")
    if len(choices) != len(LETTERS) or target not in LETTERS:
        raise ValueError(f"expected 4 options and an answer A-D, got answer {target!r}")
    question = str(row["question"])
    content = {"subject": subject, "question": question, "choices": list(choices)}
    return Sample(
        id=row_id({**content, "answer": target, "index": index}),
        index=index,
        data={"question": question, "subject": subject, "subject_name": subject.replace("_", " ")},
        target=target,
        choices=choices,
        metadata={"subject": subject, "category": category},
    )
