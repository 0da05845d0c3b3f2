from __future__ import annotations

from pathlib import Path

import pytest
import torch

from helpers.checkpoints import best_checkpoint_file, checkpoint_files, load_checkpoint
from helpers.course import course_model
from helpers.data import CourseData, find_data, load_course_data
from helpers.evaluation import compare_on_test, evaluate, find_checkpoints
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
    matching, skipped = find_checkpoints(setup["root"], setup["folder"], quick=False)
    assert sorted(m.name for m in matching) == ["larger", "small"]
    assert {m.name: m.image_size for m in matching} == {"larger": 40, "small": 32}
    reasons = {path.name: reason for path, reason in skipped.items()}
    assert set(reasons) == {"broken.pt", "elsewhere.pt"}
    assert reasons["elsewhere.pt"].startswith("trained on other data")
    assert reasons["broken.pt"].startswith("unreadable: an HTML page")
    small = next(m for m in matching if m.name == "small")
    assert small.epochs_run == 2 and small.weights.startswith("random initialisation")


def test_quick_mode_checkpoints_do_not_match_full_data(setup: dict) -> None:
    matching, skipped = find_checkpoints(setup["root"], setup["folder"], quick=True)
    assert matching == [] and "(the full data of " in skipped[setup["folder"] / "small.pt"]


def test_empty_folder(setup: dict, tmp_path: Path) -> None:
    assert find_checkpoints(setup["root"], tmp_path / "none", quick=False) == ([], {})


def test_best_checkpoint_file_needs_no_data(setup: dict, tmp_path: Path) -> None:
    """The best validation score among the models in a folder, whatever data they were trained on."""
    matching, _ = find_checkpoints(setup["root"], setup["folder"], quick=False)
    others = [m.val_accuracy for m in matching] + [
        load_checkpoint(setup["folder"] / "elsewhere.pt")[1]["metrics"]["val_accuracy"]
    ]
    best = best_checkpoint_file(setup["folder"])
    assert best is not None and best.suffix == ".pt" and ".resume" not in best.name
    assert load_checkpoint(best)[1]["metrics"]["val_accuracy"] == max(others)
    assert best_checkpoint_file(tmp_path) is None and best_checkpoint_file(tmp_path / "missing") is None


def test_best_is_highest_val_accuracy_then_lowest_val_loss(setup: dict, tmp_path: Path) -> None:
    data = load_course_data(setup["root"], image_size=32, quick=False)
    for name, (epochs, seed) in {"a": (1, 0), "b": (2, 1), "c": (1, 0), "d": (3, 2)}.items():
        _train(data, tmp_path / f"{name}.pt", epochs, seed)
    matching, _ = find_checkpoints(setup["root"], tmp_path, quick=False)
    ranks = [(-m.val_accuracy, m.val_loss, m.name) for m in matching]
    assert ranks == sorted(ranks) and len(ranks) == 4, "best first; a tie keeps the name order"


def test_comparison_matches_evaluate_at_each_image_size(setup: dict) -> None:
    matching, _ = find_checkpoints(setup["root"], setup["folder"], quick=False)
    rows = compare_on_test(matching, setup["root"], quick=False, device=CPU)
    assert [row["name"] for row in rows] == [m.name for m in matching]
    source = find_data(setup["root"])
    for row, saved in zip(rows, matching, strict=True):
        test = load_course_data(source, image_size=saved.image_size, quick=False).splits["test"]
        model, _ = load_checkpoint(saved.path)
        assert row["test_accuracy"] == evaluate(model, test).accuracy, "the same pass at the model's size"
        assert row["test_images"] == len(test.labels) and row["ms_per_image"] > 0


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
