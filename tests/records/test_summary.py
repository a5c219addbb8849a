"""Run summaries computed from sample lines."""

from evalkit.records.summary import summarize_lines


def line(i, subject, category, score, error=None):
    return {"id": f"s{i}", "index": i, "epoch": 0, "error": error, "finish_reason": "stop",
            "answer": "A", "reason": None, "metrics": None if error else {"accuracy": score},
            "weights": None, "metadata": {"subject": subject, "category": category}}


def test_category_macro_is_the_mean_of_its_subject_means():
    lines = [line(0, "a", "stem", 1.0), line(1, "a", "stem", 1.0), line(2, "a", "stem", 1.0),
             line(3, "b", "stem", 0.0), line(4, "c", "hum", 1.0), line(5, "c", "hum", 0.0, error="x")]
    s = summarize_lines(lines, ["subject", "category"], seed=0)
    assert s["groups"]["category"]["stem"]["accuracy"]["mean"] == 0.75  # pooled over questions
    assert s["macro"]["category/subject"]["stem"]["accuracy"] == 0.5  # mean of subject means
    assert s["macro"]["subject"]["accuracy"] == round((1.0 + 0.0 + 1.0) / 3, 6)
    assert "subject/category" not in s["macro"]  # a category spans several subjects
    assert s["counts"]["errors"] == 1 and s["counts"]["scored"] == 5


def test_summary_does_not_depend_on_line_order():
    lines = [line(i, "a" if i % 2 else "b", "x", float(i % 3 == 0)) for i in range(50)]
    assert summarize_lines(lines, ["subject"], 0) == summarize_lines(list(reversed(lines)), ["subject"], 0)
