"""The heatmap: a PNG with the grid's shape, values in their cells, and the per-length table."""

from __future__ import annotations

import json
import shutil

import pytest

from evalkit.cli import main
from evalkit.errors import ResultsError
from evalkit.records.io import read_record, write_record
from evalkit.reports.plots import heatmap_figure, length_table, plot_run, run_grid

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def grid_run(tmp_path_factory):
    """A real niah run (mock/echo answers with the prompt, sized with tiktoken): 5 depths x 3 lengths."""
    out = tmp_path_factory.mktemp("runs")
    code = main([
        "run", "--model", "mock/echo", "--tasks", "niah", "-T", "tokenizer=tiktoken:o200k_base",
        "-T", "lengths=1k,2k,4k", "-T", "depths=5", "--output-dir", str(out), "--quiet",
    ])  # fmt: skip
    assert code == 0
    (run,) = list(out.iterdir())
    return run


def test_the_grid_is_read_from_run_json(grid_run):
    grid = run_grid(read_record(grid_run))
    assert grid.lengths == (1024, 2048, 4096)
    assert grid.depths == (0.0, 25.0, 50.0, 75.0, 100.0)
    assert grid.metric == "string_match_all"
    assert grid.scores == ((1.0, 1.0, 1.0),) * 5  # the echoed prompt holds every needle


def test_the_png_has_the_grid_shape_and_values(grid_run, tmp_path):
    import matplotlib.image

    grid_run = shutil.copytree(grid_run, tmp_path / "run")
    record = read_record(grid_run)
    cells = json.loads(json.dumps(record.groups))
    cells["cell"]["2048x25"]["string_match_all"]["mean"] = 0.0  # one failed cell
    del cells["cell"]["4096x100"]  # and one without samples
    edited = record.model_copy(update={"groups": cells})
    write_record(grid_run, edited)
    grid = run_grid(edited)
    image = heatmap_figure(grid, "t").axes[0].images[0].get_array()
    assert image.shape == (5, 3)
    assert image[1, 1] == 0.0 and image[0, 0] == 1.0 and bool(image.mask[4, 2])
    table = plot_run(grid_run, tmp_path / "niah.png")
    picture = matplotlib.image.imread(tmp_path / "niah.png")
    assert picture.ndim == 3 and picture.shape[0] > 100 and picture.shape[1] > 200
    assert table.splitlines()[2:] == [
        "| 1K | 1.000 | [1.000, 1.000] | 5 |",
        "| 2K | 1.000 | [1.000, 1.000] | 5 |",
        "| 4K | 1.000 | [1.000, 1.000] | 5 |",
    ]
    assert length_table(edited) == table


def test_a_run_without_a_grid_is_a_one_line_error(grid_run, tmp_path, capsys):
    grid_run = shutil.copytree(grid_run, tmp_path / "run")
    record = read_record(grid_run)
    write_record(grid_run, record.model_copy(update={"groups": {}}))
    with pytest.raises(ResultsError, match="no length x depth grid"):
        run_grid(read_record(grid_run))
    assert main(["plot", str(grid_run), "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "no length x depth grid" in err and err.strip().count("\n") == 0
