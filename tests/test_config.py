import pytest
from pydantic import ValidationError

from evalkit.config import ModelSpec, RunConfig, TaskRef, parse_assignments
from evalkit.errors import ConfigError


@pytest.mark.parametrize(
    ("spec", "provider", "model"),
    [
        ("openai/gpt-4o-mini", "openai", "gpt-4o-mini"),
        ("hf/HuggingFaceTB/SmolLM2-135M", "hf", "HuggingFaceTB/SmolLM2-135M"),
        ("replay/results/runs/x/samples.jsonl", "replay", "results/runs/x/samples.jsonl"),
    ],
)
def test_model_spec_parses(spec, provider, model):
    assert ModelSpec.parse(spec) == ModelSpec(provider, model)


@pytest.mark.parametrize("spec", ["gpt-4o", "/gpt", "openai/", ""])
def test_model_spec_rejects(spec):
    with pytest.raises(ConfigError, match="PROVIDER/MODEL"):
        ModelSpec.parse(spec)


def test_task_ref_variant():
    assert TaskRef.parse("gsm8k:cot_8shot") == TaskRef("gsm8k", "cot_8shot")
    assert TaskRef.parse("gsm8k") == TaskRef("gsm8k", None)


def test_assignments_parse_and_reject():
    assert parse_assignments(["a=1", "b=x=y", "a=2"], "-T") == {"a": "2", "b": "x=y"}
    with pytest.raises(ConfigError, match="expected KEY=VALUE"):
        parse_assignments(["novalue"], "-M")


@pytest.mark.parametrize(
    "bad",
    [{"concurrency": 0}, {"limit": 0}, {"max_error_rate": 1.5}, {"timeout_s": 0}, {"bogus": 1}],
)
def test_run_config_validates(bad):
    with pytest.raises(ValidationError):
        RunConfig(model="mock/echo", tasks=("gsm8k",), **bad)


def test_run_config_is_frozen_and_hashable_fields():
    cfg = RunConfig(model="mock/echo", tasks=("gsm8k",))
    with pytest.raises(ValidationError):
        cfg.concurrency = 3  # type: ignore[misc]
    assert cfg.concurrency == 32


def test_task_ref_with_parameters_and_task_lists():
    from evalkit.config import split_tasks

    ref = TaskRef.parse("mmlu:subjects=abstract_algebra,anatomy")
    assert ref == TaskRef("mmlu", None, (("subjects", "abstract_algebra,anatomy"),))
    assert str(ref) == "mmlu:subjects=abstract_algebra,anatomy"
    assert split_tasks("gsm8k,gsm8k:cot_8shot,mmlu:subjects=abstract_algebra,anatomy") == [
        "gsm8k", "gsm8k:cot_8shot", "mmlu:subjects=abstract_algebra,anatomy"]
    for bad in ("mmlu:a:b", ":x", "mmlu:=3"):
        with pytest.raises(ConfigError, match="NAME"):
            TaskRef.parse(bad)


@pytest.mark.parametrize("bad", [{"timeout_s": float("nan")}, {"temperature": -1.0}, {"temperature": float("nan")}])
def test_non_finite_and_negative_settings_are_refused(bad):
    with pytest.raises(ValidationError):
        RunConfig(model="mock/echo", tasks=("gsm8k",), **bad)


@pytest.mark.parametrize("bad", [{"seed": -1}, {"api_key_env": "sk-proj-SECRET123"}])
def test_negative_seed_and_pasted_keys_are_refused(bad):
    with pytest.raises(ValidationError) as err:
        RunConfig(model="mock/echo", tasks=("gsm8k",), **bad)
    assert "SECRET" not in str(err.value).split("input_value")[0]
