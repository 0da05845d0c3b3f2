"""fit(), checkpoints, resuming and reproducibility, on a tiny dataset so each test takes seconds."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.optim.lr_scheduler import LambdaLR
from torch.utils.data import DataLoader

from helpers.checkpoints import CheckpointError, load_checkpoint, read_checkpoint, resume_path
from helpers.data import CourseData, load_course_data
from helpers.loaders import (
    AugmentOnDevice,
    FaceDataset,
    balanced_sampler,
    batch_augmentation,
    class_weights,
    eval_batches,
)
from helpers.models import build_model
from helpers.training import (
    TrainConfig,
    best_row,
    data_fingerprint,
    fit,
    run_epoch,
    run_model,
    should_stop,
    train_epochs,
    warmup_cosine,
)
from tests.conftest import make_flat, tiny_cnn
from tests.test_lesson_code import ROOT, code_cells

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> CourseData:
    root = make_flat(tmp_path_factory.mktemp("tiny") / "flat", per_class=20)
    return load_course_data(root, image_size=32, quick=False)


def _fit(data: CourseData, path: Path, epochs: int = 2, **kwargs) -> object:
    settings = {"epochs": epochs, "batch_size": 8, "lr": 1e-2, "patience": 50} | kwargs.pop("config", {})
    config = TrainConfig(**settings)
    return fit(
        kwargs.pop("model", None) or tiny_cnn(), data, config, path, device=CPU, progress=False, **kwargs
    )


def test_fit_saves_best_checkpoint_and_history(tiny_data: CourseData, tmp_path: Path) -> None:
    result = _fit(tiny_data, tmp_path / "cnn.pt", epochs=3)
    assert [row["epoch"] for row in result.history] == [1, 2, 3]
    assert result.checkpoint.exists() and resume_path(result.checkpoint).exists()
    model, info = load_checkpoint(result.checkpoint)
    assert info["epoch"] == result.best["epoch"] and len(info["history"]) == 3
    assert info["image_size"] == 32 and info["class_names"] == ["mask", "no_mask"]
    assert info["weights"].startswith("random initialisation") and info["data"]["synthetic"] is False


def test_fit_logs_a_few_lines_and_keeps_every_epoch(
    tiny_data: CourseData, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    result = _fit(tiny_data, tmp_path / "cnn.pt", epochs=16)
    logged = [line.split()[1] for line in capsys.readouterr().out.splitlines() if line.startswith("epoch")]
    assert logged[0] == "1/16" and logged[-1] == "16/16" and len(logged) <= 9
    assert len(result.history) == 16  # the history (and the curves) keep every epoch


def test_round_trip_predicts_identically(tiny_data: CourseData, tmp_path: Path) -> None:
    model = tiny_cnn()
    result = _fit(tiny_data, tmp_path / "cnn.pt", model=model)
    reloaded, _ = load_checkpoint(result.checkpoint)
    test = tiny_data.splits["test"]
    batches = eval_batches(test.images, test.labels)
    assert torch.equal(run_model(model.cpu(), batches)[0], run_model(reloaded, batches)[0])


def test_same_seed_same_metrics(tiny_data: CourseData, tmp_path: Path) -> None:
    first = _fit(tiny_data, tmp_path / "a.pt")
    second = _fit(tiny_data, tmp_path / "b.pt")
    third = _fit(tiny_data, tmp_path / "c.pt", config={"seed": 1})
    strip = lambda history: [{k: v for k, v in row.items() if k != "seconds"} for row in history]  # noqa: E731
    assert strip(first.history) == strip(second.history)
    assert strip(first.history) != strip(third.history)


def test_resume_continues_the_epoch_count(tiny_data: CourseData, tmp_path: Path) -> None:
    path = tmp_path / "cnn.pt"
    _fit(tiny_data, path, epochs=2)
    resumed = _fit(tiny_data, path, epochs=4, resume=True)
    assert [row["epoch"] for row in resumed.history] == [1, 2, 3, 4]
    assert any("Resumed after epoch 2" in note for note in resumed.notes)
    assert load_checkpoint(path)[1]["history"][-1]["epoch"] == 4


def test_resume_matches_an_uninterrupted_run(tiny_data: CourseData, tmp_path: Path) -> None:
    full = _fit(tiny_data, tmp_path / "full.pt", epochs=3)
    path = tmp_path / "part.pt"
    with pytest.raises(KeyboardInterrupt):
        _interrupt_after(tiny_data, path, epochs=3, stop_after=2)
    resumed = _fit(tiny_data, path, epochs=3, resume=True)
    drop = lambda h: [{k: round(v, 6) for k, v in r.items() if k != "seconds"} for r in h]  # noqa: E731
    assert drop(resumed.history) == drop(full.history)


def _interrupt_after(data: CourseData, path: Path, epochs: int, stop_after: int) -> None:
    """fit, stopped by KeyboardInterrupt (a learner pressing stop) once stop_after epochs are saved."""
    import helpers.checkpoints as checkpoints

    original = checkpoints.atomic_save
    calls = {"resume": 0}

    def save(payload: dict, target: Path) -> None:
        original(payload, target)
        if target.name.endswith(".resume.pt"):
            calls["resume"] += 1
            if calls["resume"] == stop_after:
                raise KeyboardInterrupt

    checkpoints.atomic_save = save
    try:
        _fit(data, path, epochs=epochs)
    finally:
        checkpoints.atomic_save = original


def test_fresh_run_keeps_the_previous_checkpoint(tiny_data: CourseData, tmp_path: Path) -> None:
    path = tmp_path / "cnn.pt"
    _fit(tiny_data, path, epochs=1)
    before = path.read_bytes()
    result = _fit(tiny_data, path, epochs=1, config={"seed": 3})
    assert (tmp_path / "cnn.previous.pt").read_bytes() == before
    assert not any("previous" in note for note in result.notes)  # kept quietly: no stale message


def test_resuming_with_another_backbone_fails_clearly(tiny_data: CourseData, tmp_path: Path) -> None:
    path = _fit(tiny_data, tmp_path / "cnn.pt", epochs=1).checkpoint
    with pytest.raises(CheckpointError, match="cnn.resume.pt: .*backbone") as info:
        _fit(tiny_data, path, epochs=2, resume=True, model=build_model("mobilenet_v2", pretrained=False))
    assert "mobilenet_v2" in str(info.value)
    other = load_course_data(make_flat(tmp_path / "other", per_class=8), image_size=32, quick=False)
    with pytest.raises(CheckpointError, match="cnn.resume.pt: .*other data"):
        _fit(other, path, epochs=2, resume=True)


def _onnx_file(path: Path) -> None:
    """A real ONNX export, the kind helpers.export writes for apps."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(nn.Linear(3, 2), (torch.zeros(1, 3),), str(path), dynamo=False)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"<!DOCTYPE html><html>", "HTML page"),
        (b"\x00\x01 truncated", "truncated or corrupt"),
        ("truncated", "truncated or corrupt"),
        ("onnx", "ONNX"),
        ("state_dict", "bare state_dict"),
        ("other", "not a course checkpoint"),
    ],
)
def test_bad_checkpoint_files(tmp_path: Path, content: bytes | str | None, message: str) -> None:
    path = tmp_path / "model.pt"
    if content == "state_dict":
        torch.save(tiny_cnn().state_dict(), path)
    elif content == "truncated":  # a real checkpoint cut short by an interrupted copy
        torch.save({"weights": torch.zeros(1000)}, path)
        path.write_bytes(path.read_bytes()[:2000])
    elif content == "onnx":
        _onnx_file(path)
    elif content == "other":
        torch.save({"format": "face-mask-course checkpoint v1", "model": {}}, path)
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(CheckpointError, match=message) as info:
        load_checkpoint(path)
    assert str(info.value).startswith(f"{path}: ") and "\n" not in str(info.value)
    with pytest.raises(CheckpointError):
        read_checkpoint(path)


def test_folder_is_not_a_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="is a folder"):
        load_checkpoint(tmp_path)


def test_frozen_layers_run_once_and_stay_unchanged(
    tiny_data: CourseData, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    model = build_model("mobilenet_v2", pretrained=False)
    before = {k: v.clone() for k, v in model.features.state_dict().items()}
    result = _fit(tiny_data, tmp_path / "m.pt", epochs=1, model=model, config={"feature_views": 2})
    count = len(tiny_data.splits["train"].labels)
    out = capsys.readouterr().out
    assert f"one pass over {count} training images x 2 view(s)" in out and "plain + augmented views" in out
    after = model.features.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # BatchNorm statistics untouched too
    assert load_checkpoint(result.checkpoint)[1]["backbone"] == "mobilenet_v2"


def lesson_04_seeded_epochs() -> type:
    """SeededEpochs as lesson 04 writes it (it lives only there; fit() seeds its epochs the same way)."""
    lesson = ROOT / "notebooks" / "04_training_and_validation.ipynb"
    (source,) = [cell for cell in code_cells(lesson) if cell.startswith("class SeededEpochs")]
    namespace = {"torch": torch, "Iterable": Iterable, "Iterator": Iterator}
    exec(source, namespace)
    return namespace["SeededEpochs"]


def test_fit_is_lesson_04s_loop(tiny_data: CourseData, tmp_path: Path) -> None:
    """fit() adds plumbing only: the lesson's train_epochs on the same batches gives the same history."""
    SeededEpochs = lesson_04_seeded_epochs()
    config = TrainConfig(epochs=3, batch_size=8, lr=1e-2, patience=50)
    packaged = fit(tiny_cnn(), tiny_data, config, tmp_path / "fit.pt", device=CPU, progress=False)
    model = tiny_cnn().to(memory_format=torch.channels_last)
    train, val = tiny_data.splits["train"], tiny_data.splits["val"]
    generator = torch.Generator()
    loader = DataLoader(FaceDataset(train.images, train.labels), 8, shuffle=True, generator=generator)
    batches = {
        "train": SeededEpochs(AugmentOnDevice(loader, batch_augmentation(32), CPU), generator),
        "val": eval_batches(val.images, val.labels),
    }
    loss_fn = nn.CrossEntropyLoss(weight=class_weights(train.labels))
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    scheduler = LambdaLR(optimizer, partial(warmup_cosine, epochs=3, warmup=config.warmup_epochs))
    one_epoch = partial(run_epoch, model, batches, loss_fn, optimizer, scheduler)
    by_hand = train_epochs(one_epoch, 3, 50, on_epoch=lambda history: None)
    keys = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr")
    rounded = lambda history: [[round(row[k], 5) for k in keys] for row in history]  # noqa: E731
    assert rounded(packaged.history) == rounded(by_hand)


def test_early_stopping_stops_after_patience(tiny_data: CourseData, tmp_path: Path) -> None:
    history = [
        {"epoch": e, "val_accuracy": a, "val_loss": 0.5} for e, a in enumerate((0.5, 0.7, 0.6, 0.6), 1)
    ]
    assert best_row(history)["epoch"] == 2 and should_stop(history, 2) and not should_stop(history, 3)
    result = _fit(tiny_data, tmp_path / "still.pt", epochs=6, config={"lr": 1e-9, "patience": 2})
    assert len(result.history) < 6 and result.best == best_row(result.history)
    assert any("Stopped early" in note for note in result.notes)


@pytest.mark.parametrize(
    ("field", "value"), [("epochs", 0), ("batch_size", 2.5), ("lr", -1), ("balance", "oversample")]
)
def test_config_errors_name_the_value(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=f"{field}={value!r}"):
        TrainConfig(**{field: value})


def test_schedule_warms_up_then_decays() -> None:
    rates = [warmup_cosine(epoch, 20, warmup=2) for epoch in range(20)]
    assert (
        rates[0] == pytest.approx(1 / 3)
        and rates[1] == pytest.approx(2 / 3)
        and rates[2] == pytest.approx(1.0)
    )
    assert rates[2] > rates[10] > rates[19] >= 0.01 and warmup_cosine(40, 20) == pytest.approx(0.01)


def test_class_weights_and_balanced_sampler() -> None:
    labels = torch.tensor([0] * 90 + [1] * 10)
    weights = class_weights(labels)
    assert weights[1] / weights[0] == pytest.approx(9.0) and weights[labels].mean() == pytest.approx(1.0)
    small = torch.tensor([0] * 30 + [1] * 6)  # a second, smaller dataset: its class 1 is rarest of all
    drawn = list(balanced_sampler([labels, small], torch.Generator().manual_seed(0)))
    assert len(drawn) == 136
    pairs = torch.tensor([(0 if i < 100 else 2) + int(torch.cat([labels, small])[i]) for i in drawn])
    shares = torch.bincount(pairs, minlength=4).float() / len(drawn)
    assert ((shares - 0.25).abs() < 0.1).all(), f"every (dataset, class) pair about a quarter: {shares}"


def test_several_datasets_train_together(tiny_data: CourseData, tmp_path: Path) -> None:
    other = load_course_data(make_flat(tmp_path / "other", per_class=8), image_size=32, quick=False)
    result = _fit([tiny_data, other], tmp_path / "both.pt", epochs=1, config={"balance": "sampler"})
    _, info = load_checkpoint(result.checkpoint)
    both = len(tiny_data.splits["train"].labels) + len(other.splits["train"].labels)
    assert info["data"]["counts"]["train"] == both
    assert info["data"]["fingerprint"] not in {data_fingerprint(tiny_data), data_fingerprint(other)}
    small = load_course_data(make_flat(tmp_path / "small", per_class=8), image_size=24, quick=False)
    with pytest.raises(ValueError, match="one image size"):
        _fit([tiny_data, small], tmp_path / "mixed.pt", epochs=1)


def test_a_dataset_with_an_empty_split_trains_with_the_others(tiny_data: CourseData, tmp_path: Path) -> None:
    """Frozen layers run per dataset: one dataset's empty validation split must not stop the run."""
    other = load_course_data(make_flat(tmp_path / "other", per_class=8), image_size=32, quick=False)
    val = other.splits["val"]
    empty = val.subset(torch.zeros(len(val.labels), dtype=torch.bool))
    other = replace(other, splits=other.splits | {"val": empty})
    model = build_model("mobilenet_v2", pretrained=False)
    result = _fit([tiny_data, other], tmp_path / "m.pt", epochs=1, model=model, config={"feature_views": 1})
    assert len(result.history) == 1 and result.checkpoint.exists()


def test_per_image_path_trains_and_resumes_exactly(tiny_data: CourseData, tmp_path: Path) -> None:
    settings = {"batch_augment": False, "degrade": 0.5}
    whole = _fit(tiny_data, tmp_path / "whole.pt", epochs=3, config=settings)
    _fit(tiny_data, tmp_path / "cut.pt", epochs=1, config=settings)
    resumed = _fit(tiny_data, tmp_path / "cut.pt", epochs=3, config=settings, resume=True)
    assert [row["val_loss"] for row in resumed.history] == [row["val_loss"] for row in whole.history]


def test_fit_names_an_unlabelled_model(tiny_data: CourseData, tmp_path: Path) -> None:
    from helpers.models import SmallCNN

    with pytest.raises(
        ValueError, match="SmallCNN without the labels.*build_model\\('cnn', pretrained=False\\)"
    ):
        fit(SmallCNN((4, 8)), tiny_data, TrainConfig(epochs=1), tmp_path / "x.pt", device=CPU, progress=False)
