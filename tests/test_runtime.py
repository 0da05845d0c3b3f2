"""Writable folders, quick mode, paths shown to learners, and the notebook runner's strip/check."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from helpers import runtime
from helpers.notebooks import notebook_paths, strip, summary_table, tidy_streams, unstripped


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


def test_display_path_hides_machine_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASK_WORK_DIR", str(tmp_path / "work"))
    assert runtime.display_path(tmp_path / "work" / "checkpoints" / "cnn.pt") == "checkpoints/cnn.pt"
    assert runtime.display_path(runtime.project_root() / "notebooks") == "notebooks"
    assert runtime.display_path(Path("/srv/datasets/face-mask-4k")) == "face-mask-4k"
    assert runtime.display_path(Path.home() / "photos" / "team.jpg") == "team.jpg"


def test_environment_is_described_and_results_are_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MASK_WORK_DIR", str(tmp_path))
    monkeypatch.setenv("MASK_QUICK", "1")
    assert {"torch", "torchvision", "device"} <= set(runtime.describe_environment())
    assert runtime.record_result("05_test", {"accuracy": 0.9}, headline="test accuracy 90.0 %") is None
    record = json.loads((tmp_path / "results" / "05_test.json").read_text())
    assert record["headline"] == "test accuracy 90.0 %" and record["environment"]["quick_mode"] == "True"


def test_run_summary_is_one_line_per_lesson(tmp_path: Path) -> None:
    (tmp_path / "01_data.json").write_text(
        json.dumps(
            {
                "data": "Data: face-mask-4k — real images; chosen from MASK_DATA_DIR",
                "headline": "4,094 images",
            }
        )
    )
    (tmp_path / "02_cnn.json").write_text(
        json.dumps({"data": "Data: v1 — SYNTHETIC demo data", "headline": "val 60 %"})
    )
    lines = summary_table({"01_data_loaders": 52.4, "02_cnn_from_scratch": 7.0, "03_transfer": 1.0}, tmp_path)
    rows = [line.split() for line in lines.splitlines()]
    assert rows[0] == ["lesson", "data", "headline", "seconds"]
    assert rows[1] == ["01", "face-mask-4k", "4,094", "images", "52"]
    assert rows[2] == ["02", "demo", "data", "val", "60", "%", "7"]
    assert rows[3][0] == "03" and rows[3][-1] == "1" and "nothing" in lines.splitlines()[3]


def test_saved_progress_bars_are_text_that_ends_at_the_end(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("MASK_TEXT_BARS", "1")
    assert sum(runtime.progress(range(5), desc="reading", mininterval=0)) == 10
    shown = capsys.readouterr().out.rsplit("\r", 1)[-1]
    assert "100%" in shown and "5/5" in shown
    assert list(runtime.progress(range(3), desc="epoch", leave=False)) == [0, 1, 2]
    assert capsys.readouterr().out == ""  # a bar that removes itself leaves nothing to save


def test_strip_and_check(tmp_path: Path) -> None:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
    notebook.cells[0].outputs = [nbformat.v4.new_output("stream", text="1\n")]
    notebook.cells[0].execution_count = 1
    path = tmp_path / "01_x.ipynb"
    nbformat.write(notebook, path)
    assert notebook_paths(tmp_path) == [path] and unstripped([path]) == ["01_x.ipynb"]
    assert strip(path) and not strip(path)
    assert unstripped([path]) == []


def test_saved_streams_are_joined_and_show_each_bar_as_it_ended() -> None:
    stream = nbformat.v4.new_output
    cell = nbformat.v4.new_code_cell("run()")
    cell.outputs = [
        stream("stream", name="stdout", text="Reading:   0%|  | 0/9\r"),
        stream("stream", name="stdout", text="Reading: 100%|##| 9/9\nRead 9 images\n"),
        stream("display_data", data={"image/png": "iVBOR"}),
        stream("stream", name="stdout", text="after the figure\n"),
    ]
    tidy = tidy_streams(nbformat.v4.new_notebook(cells=[cell])).cells[0].outputs
    assert [o.output_type for o in tidy] == ["stream", "display_data", "stream"]
    assert tidy[0].text == "Reading: 100%|##| 9/9\nRead 9 images\n"
    assert tidy[2].text == "after the figure\n"
