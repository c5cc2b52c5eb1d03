"""docs/tutorial.ipynb runs as written: every cell executed by nbclient (Jupyter's notebook runner) in a fresh kernel."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "tutorial.ipynb"


def _errors(nb) -> list[str]:
    return [
        f"cell {k}: {o.get('ename')}: {o.get('evalue')}"
        for k, c in enumerate(nb.cells)
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "error"
    ]


def test_the_committed_tutorial_shows_no_error_and_draws_its_figures():
    """What docs render (the committed outputs) is an executed notebook: every code cell ran, none failed, figures drawn."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.get("execution_count") for c in code), "commit the notebook executed (see the test below for how)"
    assert not _errors(nb)
    assert sum("image/png" in o.get("data", {}) for c in code for o in c.outputs) >= 4  # margins, accuracy, a verdict, a map


def test_the_tutorial_runs_in_a_fresh_kernel(tmp_path):
    """Execute every cell with this interpreter's kernel (ipykernel), as `jupyter execute` would; a failing cell fails the test.

    To refresh the committed outputs: the same NotebookClient call, then ``nbformat.write(nb, NOTEBOOK)``.
    """
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as exc:
        pytest.fail(f"docs/tutorial.ipynb: {str(exc).splitlines()[-1] if str(exc) else exc}")
    assert not _errors(nb)
