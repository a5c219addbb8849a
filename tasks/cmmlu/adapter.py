"""CMMLU rows → samples: subject from the file name, Chinese subject name and category from it.

The official CSVs (``cmmlu/{dev,test}/<subject>.csv``) have the header ``,Question,A,B,C,D,Answer``
(the first column is an unnamed row number). Categories follow the official ``categories.py``:
each subject's first subcategory gives one of STEM, humanities, social sciences and other, and
subjects about China are flagged separately (``china_specific``), as the paper reports them.
Sample ids hash the content with the row's position: the test split holds two exact duplicates.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalkit.task.data import row_id
from evalkit.types import Sample

LETTERS = "ABCD"

SUBJECTS: dict[str, tuple[str, str, bool]] = {
    # subject: (Chinese name, category, China-specific)
    "agronomy": ("农学", "other", False),
    "anatomy": ("解剖学", "stem", False),
    "ancient_chinese": ("古汉语", "social_sciences", True),
    "arts": ("艺术学", "humanities", False),
    "astronomy": ("天文学", "stem", False),
    "business_ethics": ("商业伦理", "social_sciences", False),
    "chinese_civil_service_exam": ("中国公务员考试", "social_sciences", True),
    "chinese_driving_rule": ("中国驾驶规则", "other", True),
    "chinese_food_culture": ("中国饮食文化", "social_sciences", True),
    "chinese_foreign_policy": ("中国外交政策", "social_sciences", True),
    "chinese_history": ("中国历史", "humanities", True),
    "chinese_literature": ("中国文学", "humanities", True),
    "chinese_teacher_qualification": ("中国教师资格", "social_sciences", True),
    "clinical_knowledge": ("临床知识", "other", False),
    "college_actuarial_science": ("大学精算学", "stem", False),
    "college_education": ("大学教育学", "social_sciences", False),
    "college_engineering_hydrology": ("大学工程水文学", "stem", False),
    "college_law": ("大学法律", "humanities", False),
    "college_mathematics": ("大学数学", "stem", False),
    "college_medical_statistics": ("大学医学统计", "stem", False),
    "college_medicine": ("大学医学", "other", False),
    "computer_science": ("计算机科学", "stem", False),
    "computer_security": ("计算机安全", "other", False),
    "conceptual_physics": ("概念物理学", "stem", False),
    "construction_project_management": ("建设工程管理", "other", True),
    "economics": ("经济学", "social_sciences", False),
    "education": ("教育学", "social_sciences", False),
    "electrical_engineering": ("电气工程", "stem", False),
    "elementary_chinese": ("小学语文", "social_sciences", True),
    "elementary_commonsense": ("小学常识", "other", True),
    "elementary_information_and_technology": ("小学信息技术", "other", False),
    "elementary_mathematics": ("初等数学", "stem", False),
    "ethnology": ("民族学", "social_sciences", True),
    "food_science": ("食品科学", "other", False),
    "genetics": ("遗传学", "stem", False),
    "global_facts": ("全球事实", "humanities", False),
    "high_school_biology": ("高中生物", "stem", False),
    "high_school_chemistry": ("高中化学", "stem", False),
    "high_school_geography": ("高中地理", "social_sciences", False),
    "high_school_mathematics": ("高中数学", "stem", False),
    "high_school_physics": ("高中物理学", "stem", False),
    "high_school_politics": ("高中政治", "social_sciences", True),
    "human_sexuality": ("人类性行为", "other", False),
    "international_law": ("国际法学", "humanities", False),
    "journalism": ("新闻学", "social_sciences", False),
    "jurisprudence": ("法理学", "humanities", False),
    "legal_and_moral_basis": ("法律与道德基础", "other", False),
    "logical": ("逻辑学", "humanities", False),
    "machine_learning": ("机器学习", "stem", False),
    "management": ("管理学", "social_sciences", False),
    "marketing": ("市场营销", "social_sciences", False),
    "marxist_theory": ("马克思主义理论", "humanities", False),
    "modern_chinese": ("现代汉语", "social_sciences", True),
    "nutrition": ("营养学", "other", False),
    "philosophy": ("哲学", "humanities", False),
    "professional_accounting": ("专业会计", "social_sciences", False),
    "professional_law": ("专业法学", "humanities", False),
    "professional_medicine": ("专业医学", "other", False),
    "professional_psychology": ("专业心理学", "social_sciences", False),
    "public_relations": ("公共关系", "social_sciences", False),
    "security_study": ("安全研究", "social_sciences", False),
    "sociology": ("社会学", "social_sciences", False),
    "sports_science": ("体育学", "other", False),
    "traditional_chinese_medicine": ("中医中药", "other", True),
    "virology": ("病毒学", "stem", False),
    "world_history": ("世界历史", "humanities", False),
    "world_religions": ("世界宗教", "humanities", False),
}
"""The 67 subjects: Chinese name (used in the prompt), category, and whether it is about China."""


def adapt(row: Mapping[str, Any], index: int) -> Sample:
    """Turn one CMMLU row (``Question``, ``A``-``D``, ``Answer``, ``_file``) into a Sample.

    Raises:
        ValueError: the file names no known subject, or the answer is not A-D.
    """
    subject = str(row["_file"])
    if subject not in SUBJECTS:
        raise ValueError(f"unknown CMMLU subject '{subject}' (from the file name)")
    name, category, china = SUBJECTS[subject]
    question = str(row["Question"])
    choices = tuple(str(row[label]) for label in LETTERS)
    target = str(row["Answer"]).strip()
    if target not in LETTERS:
        raise ValueError(f"answer {target!r} is not one of A-D")
    content = {"subject": subject, "question": question, "choices": list(choices)}
    return Sample(
        id=row_id({**content, "answer": target, "index": index}),
        index=index,
        data={"question": question, "subject": subject, "subject_zh": name},
        target=target,
        choices=choices,
        metadata={"subject": subject, "category": category, "china_specific": china},
    )
