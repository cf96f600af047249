"""Every notebook in python/notebooks/ runs headless from top to bottom (Debian's python3
kernel, PYTHONPATH passed through) without a failing cell."""
import os
import pathlib

import pytest

from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "python" / "notebooks").glob("*.ipynb"))


def test_notebooks_exist():
    assert NOTEBOOKS, "no notebooks in python/notebooks"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: pathlib.Path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    # The kernel inherits this environment: PYTHONPATH (the build's module), the repo root.
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    monkeypatch.setenv("HETSIM_ROOT", str(ROOT))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(str(path), as_version=4)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError naming the failing cell
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors


def test_notebooks_are_generated():
    """The .ipynb files come from make_notebooks.py: every notebook it defines exists."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_notebooks", ROOT / "python" / "notebooks" / "make_notebooks.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert sorted(mod.NOTEBOOKS) == [p.name for p in NOTEBOOKS]
    for name, fn in mod.NOTEBOOKS.items():
        built = mod.build(name, fn)
        stored = pytest.importorskip("nbformat").read(str(ROOT / "python" / "notebooks" / name), as_version=4)
        assert [c.source for c in built.cells] == [c.source for c in stored.cells], f"{name} is stale: rerun make_notebooks.py"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_states_its_question_and_ends_with_take_aways(path):
    """A title first, a take-aways section last (its text, and maybe the table it reads),
    and every figure drawn with a title and a labelled axis (categories label the other)."""
    import json

    cells = json.loads(path.read_text())["cells"]
    src = ["".join(c["source"]) for c in cells]
    assert cells[0]["cell_type"] == "markdown" and src[0].startswith("# ")
    heads = [i for i, c in enumerate(cells) if c["cell_type"] == "markdown"
             and src[i].startswith("## Take-aways")]
    assert heads and heads[-1] >= len(cells) - 2
    for i, c in enumerate(cells):
        if c["cell_type"] == "code" and "plt.show()" in src[i]:
            assert "xlabel" in src[i] or "ylabel" in src[i], f"cell {i}: a plot without axis labels"
            assert "title" in src[i], f"cell {i}: a plot without a title"
        if c["cell_type"] == "code" and ("label=kind" in src[i] or "label=pol" in src[i]):
            assert "POLICY_COLORS" in src[i], f"cell {i}: policies drawn without their colours"
