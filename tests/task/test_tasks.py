from pathlib import Path

import pytest

from evalkit.errors import ConfigError, TaskSpecError, UnknownNameError
from evalkit.task.spec import discover, find_task, load_task, resolve

GOOD = """
name = "{name}"
version = "1"
scorer = "exact"
primary_metric = "accuracy"
[dataset]
splits = {{ test = "x.jsonl" }}
[params]
user_template = "p.jinja"
n_shot = 0
[variants.five]
params = {{ n_shot = 5 }}
"""


def make_task(root: Path, text: str, name: str = "t1", templates=("p.jinja",)) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "task.toml").write_text(text.format(name=name))
    for t in templates:
        (folder / t).write_text("{{ q }}")
    return folder


def test_packaged_gsm8k_is_discovered():
    assert "gsm8k" in discover()
    spec = find_task("gsm8k").spec
    assert spec.version and spec.scorer == "gsm8k"
    assert "cot_8shot" in spec.variants


def test_variant_and_overrides(tmp_path):
    task = load_task(make_task(tmp_path, GOOD))
    assert resolve(task, "five", {}).params["n_shot"] == 5
    assert resolve(task, "five", {"n_shot": "3"}).params["n_shot"] == 3
    assert resolve(task, None, {}).label == "t1"


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda t: "bogus = 1\n" + t, "key 'bogus'"),
        (
            lambda t: t.replace('scorer = "exact"', 'scorer = "exakt"'),
            "unknown scorer 'exakt'.*Did you mean 'exact'",
        ),
        (lambda t: t.replace('version = "1"\n', ""), "key 'version'"),
        (lambda t: t.replace('"p.jinja"', '"missing.jinja"'), "template 'missing.jinja' not found"),
        (lambda t: t.replace("n_shot = 5", "n_shots = 5"), "variants.five.params.n_shots"),
        (lambda t: t + "\n[[[", "cannot read task file"),
        (lambda t: t.replace('name = "t1"', 'name = "other"'), "key 'name'"),
    ],
    ids=[
        "unknown-key",
        "unknown-scorer",
        "missing-version",
        "missing-template",
        "undeclared-param",
        "bad-toml",
        "name-mismatch",
    ],
)
def test_malformed_task_files_name_file_and_key(tmp_path, mutate, match):
    folder = make_task(
        tmp_path, mutate(GOOD.format(name="t1")).replace("{", "{{").replace("}", "}}")
    )
    with pytest.raises(TaskSpecError, match=match) as err:
        load_task(folder)
    assert str(folder / "task.toml") in str(err.value)
    assert "\n" not in str(err.value)


def test_unknown_task_variant_and_param(tmp_path):
    with pytest.raises(UnknownNameError, match="Did you mean 'gsm8k'"):
        find_task("gsm8kk")
    task = load_task(make_task(tmp_path, GOOD))
    with pytest.raises(UnknownNameError, match="no variant 'six'"):
        resolve(task, "six", {})
    with pytest.raises(ConfigError, match="no parameter 'nshot'.*Did you mean 'n_shot'"):
        resolve(task, None, {"nshot": "1"})
    with pytest.raises(ConfigError, match="expected int"):
        resolve(task, None, {"n_shot": "many"})


def test_extra_tasks_dir_wins_and_missing_dir_errors(tmp_path):
    make_task(tmp_path, GOOD, name="gsm8k")
    assert discover((tmp_path,))["gsm8k"] == tmp_path / "gsm8k"
    with pytest.raises(ConfigError, match="does not exist"):
        discover((tmp_path / "nope",))
