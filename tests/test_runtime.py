"""Writable folders, quick mode, paths shown to learners, and the notebook runner's strip/check."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from helpers import runtime
from helpers.notebooks import notebook_paths, strip, unstripped


def test_work_dir_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASK_WORK_DIR", str(tmp_path / "chosen"))
    assert runtime.work_dir() == tmp_path / "chosen" and (tmp_path / "chosen").is_dir()
    monkeypatch.delenv("MASK_WORK_DIR")
    kaggle = tmp_path / "kaggle" / "working"
    kaggle.mkdir(parents=True)
    monkeypatch.setattr(runtime, "KAGGLE_WORKING", kaggle)
    assert runtime.work_dir() == kaggle
    monkeypatch.setattr(runtime, "KAGGLE_WORKING", tmp_path / "not-on-kaggle")
    assert runtime.work_dir() == runtime.project_root() / "outputs"


@pytest.mark.parametrize(("value", "quick"), [("1", True), ("true", True), ("0", False), ("", False)])
def test_quick_mode(monkeypatch: pytest.MonkeyPatch, value: str, quick: bool) -> None:
    monkeypatch.setenv("MASK_QUICK", value)
    assert runtime.quick_mode() is quick


def test_display_path_hides_machine_paths() -> None:
    root = runtime.project_root()
    assert runtime.display_path(root / "outputs" / "demo_data") == "outputs/demo_data"
    assert runtime.display_path(Path.home() / "data" / "x") == "~/data/x"


def test_environment_is_described() -> None:
    info = runtime.describe_environment()
    assert {"torch", "torchvision", "device", "quick_mode"} <= set(info)


def test_strip_and_check(tmp_path: Path) -> None:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
    notebook.cells[0].outputs = [nbformat.v4.new_output("stream", text="1\n")]
    notebook.cells[0].execution_count = 1
    path = tmp_path / "01_x.ipynb"
    nbformat.write(notebook, path)
    assert notebook_paths(tmp_path) == [path] and unstripped([path]) == ["01_x.ipynb"]
    assert strip(path) and not strip(path)
    assert unstripped([path]) == []
