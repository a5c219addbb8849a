"""C-Eval rows → samples: subject from the file name, Chinese name and category from it.

The CSVs (``ceval/{dev,val,test}/<subject>_<split>.csv``) have the header
``id,question,A,B,C,D,answer``; dev adds ``explanation`` (a worked solution, used by the CoT
variant) and test has no ``answer`` (its labels are hidden, so the task scores val).
Categories are the official ``subject_mapping.json`` ones (STEM, social sciences, humanities,
other; the file leaves ``clinical_medicine`` without one, the paper lists it under other).
``hard`` marks the eight subjects of C-Eval Hard.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalkit.task.data import row_id
from evalkit.types import Sample

LETTERS = "ABCD"
SPLIT_SUFFIXES = ("_val", "_dev", "_test")

SUBJECTS: dict[str, tuple[str, str]] = {
    # subject: (Chinese name, category)
    "computer_network": ("计算机网络", "stem"),
    "operating_system": ("操作系统", "stem"),
    "computer_architecture": ("计算机组成", "stem"),
    "college_programming": ("大学编程", "stem"),
    "college_physics": ("大学物理", "stem"),
    "college_chemistry": ("大学化学", "stem"),
    "advanced_mathematics": ("高等数学", "stem"),
    "probability_and_statistics": ("概率统计", "stem"),
    "discrete_mathematics": ("离散数学", "stem"),
    "electrical_engineer": ("注册电气工程师", "stem"),
    "metrology_engineer": ("注册计量师", "stem"),
    "high_school_mathematics": ("高中数学", "stem"),
    "high_school_physics": ("高中物理", "stem"),
    "high_school_chemistry": ("高中化学", "stem"),
    "high_school_biology": ("高中生物", "stem"),
    "middle_school_mathematics": ("初中数学", "stem"),
    "middle_school_biology": ("初中生物", "stem"),
    "middle_school_physics": ("初中物理", "stem"),
    "middle_school_chemistry": ("初中化学", "stem"),
    "veterinary_medicine": ("兽医学", "stem"),
    "college_economics": ("大学经济学", "social_sciences"),
    "business_administration": ("工商管理", "social_sciences"),
    "marxism": ("马克思主义基本原理", "social_sciences"),
    "mao_zedong_thought": ("毛泽东思想和中国特色社会主义理论体系概论", "social_sciences"),
    "education_science": ("教育学", "social_sciences"),
    "teacher_qualification": ("教师资格", "social_sciences"),
    "high_school_politics": ("高中政治", "social_sciences"),
    "high_school_geography": ("高中地理", "social_sciences"),
    "middle_school_politics": ("初中政治", "social_sciences"),
    "middle_school_geography": ("初中地理", "social_sciences"),
    "modern_chinese_history": ("近代史纲要", "humanities"),
    "ideological_and_moral_cultivation": ("思想道德修养与法律基础", "humanities"),
    "logic": ("逻辑学", "humanities"),
    "law": ("法学", "humanities"),
    "chinese_language_and_literature": ("中国语言文学", "humanities"),
    "art_studies": ("艺术学", "humanities"),
    "professional_tour_guide": ("导游资格", "humanities"),
    "legal_professional": ("法律职业资格", "humanities"),
    "high_school_chinese": ("高中语文", "humanities"),
    "high_school_history": ("高中历史", "humanities"),
    "middle_school_history": ("初中历史", "humanities"),
    "civil_servant": ("公务员", "other"),
    "sports_science": ("体育学", "other"),
    "plant_protection": ("植物保护", "other"),
    "basic_medicine": ("基础医学", "other"),
    "clinical_medicine": ("临床医学", "other"),
    "urban_and_rural_planner": ("注册城乡规划师", "other"),
    "accountant": ("注册会计师", "other"),
    "fire_engineer": ("注册消防工程师", "other"),
    "environmental_impact_assessment_engineer": ("环境影响评价工程师", "other"),
    "tax_accountant": ("税务师", "other"),
    "physician": ("医师资格", "other"),
}
"""The 52 subjects: Chinese name (used in the prompt) and category."""

HARD = frozenset(
    {
        "advanced_mathematics",
        "discrete_mathematics",
        "probability_and_statistics",
        "college_chemistry",
        "college_physics",
        "high_school_mathematics",
        "high_school_chemistry",
        "high_school_physics",
    }
)
"""The subjects of C-Eval Hard (advanced mathematics and sciences)."""


def subject_of(file_stem: str) -> str:
    """Return the subject named by a file stem: ``accountant_val`` → ``accountant``."""
    for suffix in SPLIT_SUFFIXES:
        if file_stem.endswith(suffix):
            return file_stem[: -len(suffix)]
    return file_stem


def adapt(row: Mapping[str, Any], index: int) -> Sample:
    """Turn one C-Eval row into a Sample with ``subject``, ``category`` and ``hard`` metadata.

    Raises:
        ValueError: an unknown subject, a row without an answer (the test split), or an
            answer that is not A-D.
    """
    subject = subject_of(str(row["_file"]))
    if subject not in SUBJECTS:
        raise ValueError(f"unknown C-Eval subject '{subject}' (from the file name)")
    if "answer" not in row:
        raise ValueError("no 'answer' column: C-Eval test answers are hidden, score split=val")
    name, category = SUBJECTS[subject]
    question = str(row["question"])
    choices = tuple(str(row[label]) for label in LETTERS)
    target = str(row["answer"]).strip()
    if target not in LETTERS:
        raise ValueError(f"answer {target!r} is not one of A-D")
    content = {"subject": subject, "question": question, "choices": list(choices)}
    return Sample(
        id=row_id({**content, "answer": target, "index": index}),
        index=index,
        data={
            "question": question,
            "subject": subject,
            "subject_zh": name,
            "explanation": str(row.get("explanation", "")).strip(),
        },
        target=target,
        choices=choices,
        metadata={"subject": subject, "category": category, "hard": subject in HARD},
    )
