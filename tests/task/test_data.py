"""Data loading: local layouts, the hub fallback error, stable ids, subsets, task discovery."""

import json
import shutil
import time

import pytest

from evalkit.errors import DataError, UnknownNameError
from evalkit.task import spec as tasks_module
from evalkit.task.data import fingerprint, load_hub, load_local, row_id, subset, to_samples
from evalkit.task.spec import DatasetSpec, discover
from evalkit.types import Sample


def test_unreachable_hub_fails_fast_with_a_hint(monkeypatch):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    start = time.monotonic()
    with pytest.raises(DataError, match="--data-dir or EVALKIT_DATA_DIR"):
        load_hub(DatasetSpec(hf_path="nobody/nothing-here-xyz", revision="0" * 40), "test")
    assert time.monotonic() - start < 15


def test_local_csv_without_header_and_bad_rows(tmp_path):
    (tmp_path / "exam").mkdir()
    (tmp_path / "exam" / "a_test.csv").write_text("Q1,x,y,A\nQ2,x,y,B\n")
    spec = DatasetSpec(format="csv", csv_columns=["q", "o1", "o2", "answer"], splits={"test": "exam/*_test.csv"})
    split = load_local(spec, "test", tmp_path)
    assert [r["answer"] for r in split.rows] == ["A", "B"] and split.rows[0]["_file"] == "a_test"
    (tmp_path / "exam" / "b_test.csv").write_text("Q3,x,A\n")
    with pytest.raises(DataError, match="has 3 columns, expected 4"):
        load_local(spec, "test", tmp_path)


def test_jsonl_errors_name_the_line(tmp_path):
    (tmp_path / "d.jsonl").write_bytes(b'{"a": 1}\n{"a": \xff}\n')
    with pytest.raises(DataError, match="d.jsonl:2: not valid UTF-8 JSON"):
        load_local(DatasetSpec(splits={"test": "d.jsonl"}), "test", tmp_path)
    (tmp_path / "e.jsonl").write_text("")
    with pytest.raises(DataError, match="is empty"):
        load_local(DatasetSpec(splits={"test": "e.jsonl"}), "test", tmp_path)


def test_ids_are_content_hashes_independent_of_key_order():
    assert row_id({"a": 1, "b": "x"}) == row_id({"b": "x", "a": 1})
    assert fingerprint([{"a": 1}]) != fingerprint([{"a": 2}])


def test_missing_field_and_duplicate_rows_are_data_errors():
    def adapt(row, index):
        return Sample(id=str(row["k"]), index=index, data=row, target=str(row["answer"]))

    with pytest.raises(DataError, match="row 1 is missing field 'answer'"):
        to_samples([{"k": 1, "answer": 2}, {"k": 2}], adapt, "src")
    with pytest.raises(DataError, match="duplicate sample id '1'"):
        to_samples([{"k": 1, "answer": 2}, {"k": 1, "answer": 3}], adapt, "src")


def test_seeded_subset_is_stable_and_ordered():
    samples = [Sample(id=str(i), index=i, data={}, target="") for i in range(100)]
    a = subset(samples, None, 10, seed=3)
    assert a == subset(samples, None, 10, seed=3)
    assert [s.index for s in a] == sorted(s.index for s in a)
    assert a != subset(samples, None, 10, seed=4)
    assert [s.id for s in subset(samples, 5, None, 0)] == ["0", "1", "2", "3", "4"]


def test_entry_point_task_folders_are_discovered(tmp_path, monkeypatch, fixture_tasks):
    class FakeEntryPoint:
        name = "mine"

        def load(self):
            return str(fixture_tasks)

    monkeypatch.setattr(tasks_module, "entry_points", lambda group: [FakeEntryPoint()] if group == "evalkit.tasks" else [])
    assert "echo_exact" in discover()
    json.dumps(sorted(discover()))


def test_plugin_task_folders_are_read_only_for_a_task_not_found_before_them(tmp_path, monkeypatch, fixture_tasks):
    loads: list[str] = []

    class FakeEntryPoint:
        name = "mine"

        def load(self):
            loads.append(self.name)
            return str(fixture_tasks)

    monkeypatch.setattr(tasks_module, "entry_points", lambda group: [FakeEntryPoint()] if group == "evalkit.tasks" else [])
    assert tasks_module.find_task("gsm8k").path.name == "gsm8k"  # a packaged task
    assert loads == []
    assert tasks_module.find_task("echo_exact").path == fixture_tasks / "echo_exact"
    assert loads == ["mine"]
    # A folder given with --tasks-dir comes first, and an unknown name lists all tasks.
    mine = tmp_path / "mine"
    shutil.copytree(fixture_tasks / "echo_exact", mine / "echo_exact")
    assert tasks_module.find_task("echo_exact", (mine,)).path == mine / "echo_exact"
    assert loads == ["mine"]
    with pytest.raises(UnknownNameError, match="unknown task 'nope'.*echo_exact.*gsm8k"):
        tasks_module.find_task("nope")
