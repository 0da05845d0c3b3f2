"""Writable folders, quick mode, paths shown to learners, recorded results and progress bars."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import runtime


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


def test_saved_progress_bars_are_text_that_ends_at_the_end(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("MASK_TEXT_BARS", "1")
    assert sum(runtime.progress(range(5), desc="reading", mininterval=0)) == 10
    shown = capsys.readouterr().out.rsplit("\r", 1)[-1]
    assert "100%" in shown and "5/5" in shown
    assert list(runtime.progress(range(3), desc="epoch", leave=False)) == [0, 1, 2]
    assert capsys.readouterr().out == ""  # a bar that removes itself leaves nothing to save
