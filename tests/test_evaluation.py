from __future__ import annotations

from pathlib import Path

import pytest
import torch

from helpers.checkpoints import checkpoint_files
from helpers.data import CourseData, load_course_data
from helpers.evaluation import course_model, find_checkpoints
from helpers.training import TrainConfig, fit
from tests.conftest import make_flat, tiny_cnn

CPU = torch.device("cpu")


def _train(data: CourseData, path: Path, epochs: int = 1, seed: int = 0) -> None:
    config = TrainConfig(epochs=epochs, batch_size=8, lr=1e-2, seed=seed)
    fit(tiny_cnn(), data, config, path, device=CPU, progress=False)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A work folder whose checkpoints/ holds models of this data (at two image sizes, one saved twice to
    leave a .previous.pt), one of other data and a broken file."""
    work = tmp_path_factory.mktemp("evaluation")
    root, other = make_flat(work / "flat", per_class=20), make_flat(work / "other", per_class=12)
    folder = work / "checkpoints"
    with pytest.MonkeyPatch.context() as env:  # module fixtures start before private_work_dir: own caches
        env.setenv("MASK_WORK_DIR", str(work))
        _train(load_course_data(root, image_size=32, quick=False), folder / "small.pt")
        _train(load_course_data(root, image_size=32, quick=False), folder / "small.pt", epochs=2, seed=1)
        _train(load_course_data(root, image_size=40, quick=False), folder / "larger.pt")
        _train(load_course_data(other, image_size=32, quick=False), folder / "elsewhere.pt")
    (folder / "broken.pt").write_bytes(b"<!DOCTYPE html><html>")
    return {"root": root, "work": work, "folder": folder}


@pytest.fixture
def in_work(setup: dict, monkeypatch: pytest.MonkeyPatch) -> dict:
    """find_checkpoints reads <work dir>/checkpoints: the setup's."""
    monkeypatch.setenv("MASK_WORK_DIR", str(setup["work"]))
    return setup


def test_side_files_are_not_models(setup: dict) -> None:
    names = [p.name for p in checkpoint_files(setup["folder"])]
    assert names == ["broken.pt", "elsewhere.pt", "larger.pt", "small.pt"]
    assert (setup["folder"] / "small.previous.pt").exists() and (setup["folder"] / "small.resume.pt").exists()
    assert checkpoint_files(setup["folder"] / "missing") == []


def test_find_keeps_this_data_at_any_image_size(in_work: dict) -> None:
    matching, skipped = find_checkpoints(in_work["root"])
    assert sorted(m.name for m in matching) == ["larger", "small"]
    assert {m.name: m.image_size for m in matching} == {"larger": 40, "small": 32}
    reasons = {path.name: reason for path, reason in skipped.items()}
    assert set(reasons) == {"broken.pt", "elsewhere.pt"}
    assert reasons["elsewhere.pt"].startswith("trained on other data (the full data of other")
    assert reasons["broken.pt"].startswith("unreadable: an HTML page")
    small = next(m for m in matching if m.name == "small")
    assert len(small.history) == 2 and small.weights.startswith("random initialisation")


def test_a_checkpoint_missing_a_fact_is_named_unreadable(
    setup: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    payload = torch.load(setup["folder"] / "small.pt", map_location="cpu", weights_only=True)
    del payload["history"]
    partial = tmp_path / "checkpoints" / "partial.pt"
    partial.parent.mkdir()
    torch.save(payload, partial)
    monkeypatch.setenv("MASK_WORK_DIR", str(tmp_path))
    reason = "unreadable: a course checkpoint without 'history'"
    assert find_checkpoints(setup["root"]) == ([], {partial: reason})


def test_quick_mode_checkpoints_do_not_match_full_data(
    in_work: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MASK_QUICK", "1")
    matching, skipped = find_checkpoints(in_work["root"])
    assert matching == [] and "(the full data of " in skipped[in_work["folder"] / "small.pt"]


def test_empty_folder(setup: dict) -> None:
    assert find_checkpoints(setup["root"]) == ([], {}), "the private work folder has no checkpoints/"


def test_best_is_highest_val_accuracy_then_lowest_val_loss(
    setup: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MASK_WORK_DIR", str(tmp_path))
    data = load_course_data(setup["root"], image_size=32, quick=False)
    for name, (epochs, seed) in {"a": (1, 0), "b": (2, 1), "c": (1, 0), "d": (3, 2)}.items():
        _train(data, tmp_path / "checkpoints" / f"{name}.pt", epochs, seed)
    matching, _ = find_checkpoints(setup["root"])
    ranks = [(-m.metrics["val_accuracy"], m.metrics["val_loss"], m.name) for m in matching]
    assert ranks == sorted(ranks) and len(ranks) == 4, "best first; a tie keeps the name order"


def test_course_model_trains_a_quick_one_only_when_none_fits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import helpers.evaluation

    monkeypatch.setattr(helpers.evaluation, "imagenet_weights_available", lambda *args, **kwargs: False)
    monkeypatch.setenv("MASK_QUICK", "1")
    root = make_flat(tmp_path / "flat", per_class=20)
    first = course_model(root)
    assert first.name == "cnn_quick" and first.backbone == "cnn" and first.path.is_file()
    modified = first.path.stat().st_mtime_ns
    assert course_model(root) == first and first.path.stat().st_mtime_ns == modified, "found, not retrained"
