from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from helpers.checkpoints import load_checkpoint
from helpers.course import course_model
from helpers.data import CourseData, find_data, load_course_data
from helpers.evaluation import (
    CheckpointSearch,
    SavedModel,
    checkpoint_files,
    compare_on_test,
    comparison_table,
    evaluate,
    find_checkpoints,
    summary,
)
from helpers.metrics import ClassificationReport
from helpers.training import TrainConfig, fit
from tests.conftest import make_flat, tiny_cnn

CPU = torch.device("cpu")


def _train(data: CourseData, path: Path, epochs: int = 1, seed: int = 0) -> None:
    config = TrainConfig(epochs=epochs, batch_size=8, lr=1e-2, seed=seed)
    fit(tiny_cnn(), data, config, path, device=CPU, progress=False)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """This data (at two image sizes, and twice to leave a .previous.pt), other data, and a broken file."""
    base = tmp_path_factory.mktemp("evaluation")
    root = make_flat(base / "flat", per_class=20)
    other = make_flat(base / "other", per_class=12)
    folder = base / "checkpoints"
    _train(load_course_data(root, image_size=32, quick=False), folder / "small.pt")
    _train(load_course_data(root, image_size=32, quick=False), folder / "small.pt", epochs=2, seed=1)
    _train(load_course_data(root, image_size=40, quick=False), folder / "larger.pt")
    _train(load_course_data(other, image_size=32, quick=False), folder / "elsewhere.pt")
    (folder / "broken.pt").write_bytes(b"<!DOCTYPE html><html>")
    return {"root": root, "folder": folder}


def test_side_files_are_not_models(setup: dict) -> None:
    names = [p.name for p in checkpoint_files(setup["folder"])]
    assert names == ["broken.pt", "elsewhere.pt", "larger.pt", "small.pt"]
    assert (setup["folder"] / "small.previous.pt").exists() and (setup["folder"] / "small.resume.pt").exists()
    assert checkpoint_files(setup["folder"] / "missing") == []


def test_find_keeps_this_data_at_any_image_size(setup: dict) -> None:
    search = find_checkpoints(setup["root"], setup["folder"], quick=False)
    assert sorted(m.name for m in search.matching) == ["larger", "small"]
    assert {m.name: m.image_size for m in search.matching} == {"larger": 40, "small": 32}
    reasons = {path.name: reason for path, reason in search.skipped}
    assert set(reasons) == {"broken.pt", "elsewhere.pt"}
    assert reasons["elsewhere.pt"].startswith("trained on other data")
    assert reasons["broken.pt"].startswith("unreadable: an HTML page")
    small = next(m for m in search.matching if m.name == "small")
    assert small.epochs_run == 2 and small.weights.startswith("random initialisation")
    text = str(search)
    assert "use   small.pt" in text and "skip  elsewhere.pt" in text


def test_quick_mode_checkpoints_do_not_match_full_data(setup: dict) -> None:
    search = find_checkpoints(setup["root"], setup["folder"], quick=True)
    assert search.matching == []
    reasons = dict(search.skipped)
    assert "the full data, not the quick-mode subset" in reasons[setup["folder"] / "small.pt"]


def test_empty_folder(setup: dict, tmp_path: Path) -> None:
    search = find_checkpoints(setup["root"], tmp_path / "none", quick=False)
    assert search.matching == [] and search.best() is None and "(none found)" in str(search)


def _saved(name: str, accuracy: float, loss: float) -> SavedModel:
    return SavedModel(Path(f"{name}.pt"), "cnn", "w", 64, 1, 1, accuracy, loss, "d", "f")


def test_long_reasons_are_shortened() -> None:
    reason = "unreadable: " + "\x1b[1mdo this\x1b[0m " * 40 + "\nsecond line"
    text = str(CheckpointSearch(Path("."), "d", [], [(Path("x.pt"), reason)]))
    assert "second line" not in text and "\x1b" not in text and text.endswith("…")


def test_best_is_highest_val_accuracy_then_lowest_val_loss() -> None:
    models = [_saved("a", 0.9, 0.2), _saved("b", 0.95, 0.3), _saved("c", 0.95, 0.1)]
    assert CheckpointSearch(Path("."), "d", models, []).best().name == "c"


def test_comparison_matches_evaluate_at_each_image_size(setup: dict) -> None:
    search = find_checkpoints(setup["root"], setup["folder"], quick=False)
    rows = compare_on_test(search.matching, setup["root"], quick=False, device=CPU)
    assert [row.name for row in rows] == [m.name for m in search.matching]
    source = find_data(setup["root"])
    for row, saved in zip(rows, search.matching, strict=True):
        test = load_course_data(source, image_size=saved.image_size, quick=False).splits["test"]
        model, _ = load_checkpoint(saved.path)
        assert row.test_accuracy == evaluate(model, test).accuracy
        assert row.test_images == len(test.labels) and row.ms_per_image > 0
    table = comparison_table(rows).splitlines()
    assert len(table) == 2 + len(rows) and "TEST acc" in table[0]


def test_course_model_trains_a_quick_one_only_when_none_fits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import helpers.course

    monkeypatch.setattr(helpers.course, "imagenet_weights_available", lambda *args, **kwargs: False)
    monkeypatch.setenv("MASK_QUICK", "1")
    root = make_flat(tmp_path / "flat", per_class=20)
    first = course_model(root)
    assert first.name == "cnn_quick" and first.backbone == "cnn" and first.path.is_file()
    modified = first.path.stat().st_mtime_ns
    assert course_model(root) == first and first.path.stat().st_mtime_ns == modified, "found, not retrained"


def test_summary_counts_images_and_mistakes() -> None:
    report = ClassificationReport(("mask", "no_mask"), np.array([[8, 0], [2, 0]]))
    assert summary(report) == {"accuracy": 0.8, "balanced_accuracy": 0.5, "images": 10, "wrong": 2}
