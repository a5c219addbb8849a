"""MATH-500 and full MATH task definitions through the whole pipeline."""

from evalkit.config import RunConfig, TaskRef
from evalkit.engine.run import run
from evalkit.records.io import read_samples
from evalkit.task.plan import plan_task


def test_math500_reference_solutions_score_100_percent(tmp_path, shared_data):
    cfg = RunConfig(model=f"replay/{shared_data / 'math' / 'test.jsonl'}", model_args={"match": "index", "text": "solution"},
                    tasks=("math500",), data_dir=shared_data, output_dir=tmp_path)
    (out,) = run(cfg)
    assert out.record.counts["scored"] == 500
    assert out.record.metrics["flexible"]["mean"] == 1.0 and out.record.metrics["strict"]["mean"] == 1.0
    assert set(out.record.groups["subject"]) == {"Algebra", "Counting & Probability", "Geometry", "Intermediate Algebra",
                                                   "Number Theory", "Prealgebra", "Precalculus"}
    assert set(out.record.groups["level"]) == {"1", "2", "3", "4", "5"}
    assert out.record.macro["subject"]["flexible"] == 1.0


def test_math500_prompts(shared_data):
    zero = plan_task(TaskRef.parse("math500"), RunConfig(model="mock/echo", tasks=("math500",), data_dir=shared_data, limit=1))
    assert zero.requests[0].messages is not None and "\\boxed{}" in zero.requests[0].messages[0].content
    assert zero.samples[0].id.startswith("test/") and zero.samples[0].metadata["level"] in range(1, 6)
    minerva = plan_task(TaskRef.parse("math500:minerva_4shot"),
                        RunConfig(model="mock/echo", tasks=("math500",), data_dir=shared_data, limit=1))
    prompt = minerva.requests[0].prompt
    assert prompt is not None and prompt.count("Problem:") == 5 and prompt.endswith("Solution:")
    assert "Problem:" in minerva.requests[0].params.stop


def test_full_math_from_release_layout(tmp_path, fixture_data):
    cfg = RunConfig(model="mock/fixed", model_args={"text": "So the answer is $\\boxed{7}$."}, tasks=("math",),
                    data_dir=fixture_data, output_dir=tmp_path)
    (out,) = run(cfg)
    lines = {ln["id"]: ln for ln in read_samples(out.run_dir)}
    assert set(lines) == {"test/algebra/1.json", "test/algebra/2.json", "test/geometry/3.json"}
    assert lines["test/algebra/1.json"]["score"] == 1.0 and lines["test/algebra/2.json"]["score"] == 0.0
    assert lines["test/algebra/2.json"]["target"] == "\\frac{1}{2}"
    assert out.record.groups["subject"]["Geometry"]["flexible"]["n"] == 1


def test_full_math_reference_solutions_score_100_percent(tmp_path):
    """Runs where the original MATH release is available (``$EVALKIT_FULL_MATH_DIR/MATH/test``)."""
    import json
    import os
    from pathlib import Path

    import pytest

    root = Path(os.environ.get("EVALKIT_FULL_MATH_DIR", "/nonexistent"))
    if not (root / "MATH" / "test").is_dir():
        pytest.skip("the full MATH test set is not in shared/data; set EVALKIT_FULL_MATH_DIR")
    plan = plan_task(TaskRef.parse("math"), RunConfig(model="mock/echo", tasks=("math",), data_dir=root))
    replay = tmp_path / "solutions.jsonl"
    with replay.open("w") as fh:
        for sample in plan.samples:
            solution = json.loads((root / "MATH" / sample.id).read_text())["solution"]
            fh.write(json.dumps({"id": sample.id, "completion": solution}) + "\n")
    (out,) = run(RunConfig(model=f"replay/{replay}", tasks=("math",), data_dir=root, output_dir=tmp_path))
    assert out.record.counts["scored"] == 5000 and out.record.metrics["flexible"]["mean"] == 1.0 and out.record.metrics["strict"]["mean"] == 1.0


def test_full_math_missing_locally_says_which_layout_to_pass(tmp_path):
    import pytest

    from evalkit.errors import DataError

    (tmp_path / "gsm8k").mkdir()  # a data folder made for other tasks, without MATH
    with pytest.raises(DataError) as caught:
        plan_task(TaskRef.parse("math"), RunConfig(model="mock/echo", tasks=("math",), data_dir=tmp_path))
    message = str(caught.value)
    assert "MATH/test/*/*.json" in message and "--data-dir" in message and "\n" not in message
