import pytest

from evalkit.backends import PROVIDERS
from evalkit.errors import UnknownNameError
from evalkit.registry import Registry
from evalkit.scoring import SCORERS


def test_lazy_builtin_is_imported_on_first_get():
    reg: Registry[object] = Registry("thing", {"path": "os.path:join"})
    import os.path

    assert reg.get("path") is os.path.join


def test_unknown_name_suggests_close_match_and_lists_names():
    with pytest.raises(UnknownNameError) as err:
        PROVIDERS.get("opnai")
    msg = str(err.value)
    assert "unknown provider 'opnai'" in msg
    assert "Did you mean 'openai'" in msg
    assert "openai-compatible" in msg


def test_register_decorator_adds_user_objects():
    reg: Registry[object] = Registry("thing", {})

    @reg.register("mine")
    def factory() -> int:
        return 1

    assert reg.get("mine") is factory
    assert reg.names() == ["mine"]


def test_builtin_scorers_are_listed():
    assert {"gsm8k", "math", "choice", "ifeval", "exact"} <= set(SCORERS.names())


class _EntryPoint:
    def __init__(self, name: str, value: str) -> None:
        self.name, self.value = name, value


def test_has_answers_built_in_names_without_reading_installed_plugins(monkeypatch):
    import evalkit.registry as registry_module

    scans: list[str] = []

    def entry_points(group: str) -> list[_EntryPoint]:
        scans.append(group)
        return [_EntryPoint("plugged", "os.path:split")]

    monkeypatch.setattr(registry_module, "entry_points", entry_points)
    reg: Registry[object] = Registry("thing", {"path": "os.path:join"}, group="things")
    assert reg.has("path")
    assert scans == []
    assert reg.has("plugged")  # not built in: the plugins are read once, and it is there
    assert not reg.has("absent")
    assert scans == ["things"]
    import os.path

    assert reg.get("plugged") is os.path.split
