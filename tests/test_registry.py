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
