"""Dataset loading: the Hugging Face hub at a pinned revision, or a local data folder.

Every load returns the rows with a fingerprint (sha256 of the canonical JSON of the rows), which
the run record keeps. Rows become :class:`~evalkit.types.Sample` values through the task's
adapter (or its ``[fields]`` mapping); sample ids are stable content hashes unless the dataset
has its own key. Subsets (``--limit``, ``--sample``) and few-shot choices are deterministic.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import importlib
import importlib.util
import json
import math
import os
import random
import socket
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast
from urllib.parse import urlsplit

from evalkit.errors import DataError, TaskSpecError
from evalkit.task.spec import DatasetSpec, TaskDef
from evalkit.types import Sample

if TYPE_CHECKING:
    from evalkit.config import RunConfig
    from evalkit.task.spec import ResolvedTask
    from evalkit.types import Request

Row = dict[str, Any]
Adapter = Callable[[Mapping[str, Any], int], Sample]


@dataclass(frozen=True, slots=True)
class LoadedSplit:
    """Rows of one split with where they came from."""

    rows: list[Row]
    source: str
    revision: str | None
    sha256: str


def canonical_json(obj: Any) -> str:
    """Serialise ``obj`` the one way evalkit hashes it (sorted keys, no spaces, UTF-8)."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def row_id(row: Mapping[str, Any]) -> str:
    """Return a stable id for a row: the first 16 hex digits of its content hash."""
    return hashlib.sha256(canonical_json(row).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def fingerprint(rows: Sequence[Mapping[str, Any]]) -> str:
    """Return the sha256 of the rows' canonical JSON lines."""
    h = hashlib.sha256()
    for row in rows:
        h.update(canonical_json(row).encode("utf-8", "surrogatepass"))
        h.update(b"\n")
    return h.hexdigest()


def _why(exc: BaseException) -> str:
    """One line about ``exc`` (parsers' and adapters' messages can be long or multi-line)."""
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    text = " ".join(str(exc).split())
    return (text[:200] + "…" if len(text) > 200 else text) or type(exc).__name__


def _read_jsonl(path: Path) -> Iterator[Row]:
    keys: dict[str, str] = {}  # one string per field name, not one per row (100,000 rows)
    with gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw.decode("utf-8-sig"))  # a BOM, as CSV files may have too
            except (ValueError, RecursionError) as exc:
                raise DataError(f"{path}:{lineno}: not valid UTF-8 JSON ({_why(exc)})") from None
            if not isinstance(row, dict):
                raise DataError(f"{path}:{lineno}: expected a JSON object per line")
            yield {keys.setdefault(k, k): v for k, v in row.items()}


def _read_csv(path: Path, columns: list[str] | None) -> Iterator[Row]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = columns if columns is not None else next(reader, None)
            if header is None:
                return
            for lineno, record in enumerate(reader, 1 if columns else 2):
                if len(record) != len(header):
                    raise DataError(
                        f"{path}: record {lineno} has {len(record)} columns, expected {len(header)}"
                    )
                row: Row = dict(zip(header, record, strict=True))
                row["_file"] = path.stem
                yield row
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not valid UTF-8 ({exc})") from None
    except csv.Error as exc:  # a field over the csv module's size limit, a NUL byte
        raise DataError(f"{path}: not a readable CSV file ({_why(exc)})") from None


def _read_json(path: Path, data_dir: Path) -> Row:
    try:
        row = json.loads(path.read_bytes().decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise DataError(f"{path}: not valid UTF-8 JSON ({_why(exc)})") from None
    if not isinstance(row, dict):
        raise DataError(f"{path}: expected a JSON object")
    row["_path"] = path.relative_to(data_dir).as_posix()
    return row


def load_local(spec: DatasetSpec, split: str, data_dir: Path) -> LoadedSplit:
    """Load ``split`` from the local data folder."""
    pattern = spec.splits.get(split)
    if pattern is None:
        raise TaskSpecError(f"dataset has no local path for split '{split}' ([dataset.splits])")
    paths = sorted(data_dir.glob(pattern))
    if not paths:
        raise DataError(
            f"no data at '{data_dir / pattern}': this task reads files matching '{pattern}' "
            "inside the folder given by --data-dir / EVALKIT_DATA_DIR (its README names a source)"
        )
    rows: list[Row] = []
    for path in paths:
        if spec.format == "jsonl":
            rows.extend(_read_jsonl(path))
        elif spec.format == "json":
            rows.append(_read_json(path, data_dir))
        else:
            rows.extend(_read_csv(path, spec.csv_columns))
    if not rows:
        raise DataError(f"dataset '{data_dir / pattern}' is empty")
    return LoadedSplit(rows, f"local:{pattern}", None, fingerprint(rows))


def hub_unreachable(timeout_s: float = 3.0) -> str | None:
    """Return why the Hugging Face hub cannot be reached (``None`` when it can)."""
    if os.environ.get("HF_HUB_OFFLINE") == "1":
        return "HF_HUB_OFFLINE=1"
    url = urlsplit(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    host, port = (
        url.hostname or "huggingface.co",
        url.port or (443 if url.scheme == "https" else 80),
    )
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as exc:
        return f"{host}: {exc.strerror or type(exc).__name__}"
    return None


def load_hub(spec: DatasetSpec, split: str) -> LoadedSplit:
    """Load ``split`` from the Hugging Face hub at the pinned revision."""
    if spec.hf_path is None:
        raise DataError(
            "this task has no Hugging Face source: pass --data-dir or set EVALKIT_DATA_DIR"
        )
    hf_split = spec.hf_splits.get(split, split)
    unreachable = hub_unreachable()
    if unreachable:
        # Without a network the hub client retries for half a minute; go straight to its cache.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    try:
        import datasets
    except ImportError:
        raise DataError("the 'datasets' package is missing: pip install datasets") from None
    rows: list[Row] = []
    names: list[str | None] = list(spec.hf_names) or [spec.hf_name]
    for name in names:
        part = _hub_rows(datasets, spec, name, hf_split, spec.splits.get(split))
        rows.extend({**r, "_config": name} if spec.hf_names else r for r in part)
    if not rows:
        raise DataError(f"dataset {spec.hf_path} ({hf_split}) is empty")
    label = ",".join(spec.hf_names) or spec.hf_name or ""
    return LoadedSplit(
        rows, f"hf:{spec.hf_path}/{label}:{hf_split}", spec.revision, fingerprint(rows)
    )


def _hub_rows(
    datasets: Any, spec: DatasetSpec, name: str | None, hf_split: str, local: str | None
) -> list[Row]:
    try:
        ds = datasets.load_dataset(spec.hf_path, name, split=hf_split, revision=spec.revision)
    except Exception as exc:  # the hub client raises many unrelated types for one cause
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        if os.environ.get("HF_HUB_OFFLINE") == "1":
            reason = f"the hub is unreachable and the dataset is not in the local cache ({reason})"
        layout = f" (a folder holding files that match '{local}')" if local else ""
        raise DataError(
            f"cannot load {spec.hf_path} ({hf_split}) from the Hugging Face hub: {reason}. "
            f"Use a local copy with --data-dir or EVALKIT_DATA_DIR{layout}"
        ) from None
    return [dict(r) for r in ds]


def package_dir(spec: DatasetSpec) -> Path | None:
    """Return the folder of the task's data package (``[dataset] package``), if installed."""
    return None if spec.package is None else installed_package_dir(spec.package)


def installed_package_dir(name: str) -> Path | None:
    """Return the folder of the installed package ``name`` (``None`` when it is not installed)."""
    found = importlib.util.find_spec(name)
    if found is None or not found.submodule_search_locations:
        return None
    return Path(next(iter(found.submodule_search_locations)))


def read_json_lines(path: Path, what: str) -> list[dict[str, Any]]:
    """Every JSON line of a small data file that ships in a package (``what`` names the data).

    Raises:
        DataError: the file cannot be read or a line is not JSON.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read {what} ({exc})") from None


def load_split(spec: DatasetSpec, split: str, data_dir: Path | None) -> LoadedSplit:
    """Load ``split`` from the data folder, the task's data package (offline) or the hub.

    A data folder, when given, wins; a task with ``[dataset] package`` reads the installed
    package's files; the hub serves the rest (and packaged tasks whose package is missing).
    """
    if data_dir is not None:
        return load_local(spec, split, data_dir)
    packaged = package_dir(spec)
    if packaged is not None:
        source = f"package:{spec.package}/{spec.splits[split]}"
        return replace(load_local(spec, split, packaged), source=source)
    if spec.package is not None and spec.hf_path is None:
        raise DataError(f"the data package '{spec.package}' is not installed: pip install it")
    return load_hub(spec, split)


class RowGenerator(Protocol):
    """The data of a synthetic task (``[dataset] generator``): rows made from its parameters.

    The rows are fingerprinted and subset like loaded ones; :meth:`fit` then turns the selected
    samples into requests for the evaluated model (e.g. haystacks sized in its own tokens).
    """

    def rows(self, params: Mapping[str, Any]) -> list[Row]:
        """Make every row from the task's resolved parameters (seeded, deterministic)."""
        ...

    def fit(
        self, task: ResolvedTask, samples: Sequence[Sample], config: RunConfig
    ) -> tuple[list[Sample], list[Request]]:
        """Return the samples completed for the run's model and their requests, aligned."""
        ...


def load_generator(spec: DatasetSpec) -> RowGenerator | None:
    """Import the dataset's ``generator`` (``module:attr``), if it names one.

    Raises:
        TaskSpecError: the generator cannot be imported.
    """
    if spec.generator is None:
        return None
    module, _, attr = spec.generator.partition(":")
    try:
        return cast(RowGenerator, getattr(importlib.import_module(module), attr))
    except (ImportError, AttributeError, ValueError) as exc:
        raise TaskSpecError(f"[dataset] generator '{spec.generator}': {exc}") from None


def generate_split(
    generator: RowGenerator, spec: DatasetSpec, params: Mapping[str, Any]
) -> LoadedSplit:
    """Make a synthetic task's rows, with their fingerprint (the same parameters, the same sha)."""
    rows = generator.rows(params)
    if not rows:
        raise DataError(f"generator '{spec.generator}' made no rows")
    return LoadedSplit(rows, f"generated:{spec.generator}", None, fingerprint(rows))


def load_adapter(task: TaskDef) -> Adapter | None:
    """Import the task's ``adapter.py`` and return its ``adapt`` function, if it has one."""
    path = task.path / "adapter.py"
    if not path.is_file():
        return None
    module_spec = importlib.util.spec_from_file_location(f"evalkit_task_{task.spec.name}", path)
    if module_spec is None or module_spec.loader is None:
        raise TaskSpecError(f"{path}: cannot import adapter")
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)
    except SystemExit as exc:
        raise TaskSpecError(f"{path}: called sys.exit({exc.code!r}) while being imported") from None
    except Exception as exc:  # a task folder is trusted code, but its bugs are the user's to fix
        raise TaskSpecError(
            f"{path}: cannot import adapter: {type(exc).__name__}: {_why(exc)}"
        ) from None
    adapt = getattr(module, "adapt", None)
    if not callable(adapt):
        raise TaskSpecError(f"{path}: must define a function adapt(row, index) -> Sample")
    return cast(Adapter, adapt)


def _text(row: Mapping[str, Any], field: str) -> str:
    """Return a row's field as text; a null, list or object value is refused.

    Raises:
        KeyError: the row has no such field.
        TypeError: the value is not text, a number or a boolean.
    """
    value = row[field]
    if isinstance(value, float) and not math.isfinite(value):
        raise TypeError(f"field '{field}' is {value}, expected text or a number")
    if not isinstance(value, str | int | float):  # bool is an int
        kind = {type(None): "null", dict: "an object", list: "a list"}.get(type(value), "ill-typed")
        raise TypeError(f"field '{field}' is {kind}, expected text or a number")
    return str(value)


def field_adapter(task: TaskDef) -> Adapter:
    """Build the adapter described by the task's ``[fields]`` table."""
    fields = task.spec.fields

    def adapt(row: Mapping[str, Any], index: int) -> Sample:
        return Sample(
            id=_text(row, fields.id) if fields.id else row_id(row),
            index=index,
            data=row if isinstance(row, dict) else dict(row),  # rows are not changed: shared
            target=_text(row, fields.target).strip(),
            choices=row_choices(row, fields.choices),
            metadata={m: row[m] for m in fields.metadata},
        )

    return adapt


def row_choices(row: Mapping[str, Any], columns: list[str]) -> tuple[str, ...]:
    """Read a row's options: one column holding a list, or one column per option.

    Trailing empty option cells are dropped, so one exam file may mix 3- and 5-option questions;
    an empty cell before a filled one is an error (the labels would shift).

    >>> row_choices({"a": "x", "b": "y", "c": ""}, ["a", "b", "c"])
    ('x', 'y')
    >>> row_choices({"options": ["x", "y"]}, ["options"])
    ('x', 'y')
    """
    if len(columns) == 1 and isinstance(row[columns[0]], list):
        values = [str(v) for v in row[columns[0]]]
    else:
        values = ["" if row[c] is None else str(row[c]) for c in columns]
    while values and not values[-1].strip():
        values.pop()
    if any(not v.strip() for v in values):
        raise ValueError(f"an option is empty before the last filled one ({', '.join(columns)})")
    return tuple(values)


def _adapt_row(adapt: Adapter, row: Row, index: int, source: str) -> Sample:
    """Run the adapter on one row; whatever it raises becomes a one-line error."""
    try:
        sample = adapt(row, index)
    except KeyError as exc:
        raise DataError(f"{source}: row {index} is missing field {exc}") from None
    except (ValueError, TypeError) as exc:
        raise DataError(f"{source}: row {index} is malformed: {_why(exc)}") from None
    except SystemExit as exc:
        raise TaskSpecError(
            f"{source}: row {index}: the adapter called sys.exit({exc.code!r})"
        ) from None
    except Exception as exc:  # the task's adapter.py is code: its bugs are one-line errors too
        raise TaskSpecError(
            f"{source}: row {index}: the adapter failed: {type(exc).__name__}: {_why(exc)}"
        ) from None
    if not isinstance(sample, Sample):
        raise TaskSpecError(
            f"{source}: row {index}: the adapter returned {type(sample).__name__}, not a Sample"
        )
    return sample


def to_samples(rows: Sequence[Row], adapt: Adapter, source: str) -> list[Sample]:
    """Turn rows into samples, with a one-line error naming the first bad row."""
    samples = []
    for index, row in enumerate(rows):
        samples.append(_adapt_row(adapt, row, index, source))
    ids = [s.id for s in samples]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise DataError(f"{source}: duplicate sample id '{dup}' (rows must be unique)")
    return samples


def subset(samples: list[Sample], limit: int | None, sample: int | None, seed: int) -> list[Sample]:
    """Apply ``--sample`` (seeded random subset, kept in dataset order), then ``--limit``."""
    chosen = samples
    if sample is not None and sample < len(chosen):
        picked = sorted(random.Random(seed).sample(range(len(chosen)), sample))
        chosen = [chosen[i] for i in picked]
    if limit is not None:
        chosen = chosen[:limit]
    return chosen


def fewshot_pool(pool: list[Sample], n: int, sampler: str, seed: int) -> list[Sample]:
    """Pick ``n`` few-shot examples: the first ``n`` (``first_n``) or a seeded sample."""
    if n <= 0:
        return []
    if n > len(pool):
        raise DataError(f"asked for {n} few-shot examples but the split has {len(pool)}")
    if sampler == "first_n":
        return pool[:n]
    if sampler == "seeded":
        return [pool[i] for i in sorted(random.Random(seed).sample(range(len(pool)), n))]
    raise DataError(f"unknown few-shot sampler '{sampler}' (use first_n or seeded)")
