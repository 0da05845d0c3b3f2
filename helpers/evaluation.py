"""Lessons 05-08's models: answers on a split, the checkpoints that fit the data, the best (course_model)."""

from pathlib import Path
from typing import NamedTuple

import numpy as np
from torch import nn

from helpers.checkpoints import CheckpointError, checkpoint_files, read_checkpoint
from helpers.data import CourseData, DataSource, SplitData, find_data, load_course_data
from helpers.loaders import eval_batches
from helpers.metrics import ClassificationReport, confusion_matrix
from helpers.models import build_model
from helpers.runtime import quick_mode, work_dir
from helpers.training import data_fingerprint, default_checkpoint, fit, recipe, run_model, validation_score
from helpers.weights import imagenet_weights_available


class Predictions(NamedTuple):
    """Probabilities (N x classes) for every image of a split, with the true labels."""

    probabilities: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]

    @property
    def predicted(self) -> np.ndarray:
        return self.probabilities.argmax(axis=1)

    def report(self) -> ClassificationReport:
        matrix = confusion_matrix(self.labels, self.predicted, len(self.class_names))
        return ClassificationReport(self.class_names, matrix)


def evaluate(model: nn.Module, split: SplitData) -> Predictions:
    """Probabilities for every image of a split (lesson 02's run_model); an empty split gives empty arrays."""
    if not len(split.labels):  # a tiny dataset's val or test split may be empty
        return Predictions(np.zeros((0, len(split.class_names))), split.labels.numpy(), split.class_names)
    logits, labels = run_model(model, eval_batches(split.images, split.labels))
    return Predictions(logits.softmax(dim=1).numpy(), labels.numpy(), split.class_names)


def held_out_answers(model: nn.Module, data: CourseData) -> dict[str, dict[str, int]]:
    """What the model calls the faces of classes it did not learn (masks worn below the nose)."""
    said = {name: evaluate(model, split).predicted for name, split in data.held_out.items()}
    counts = {name: np.bincount(p, minlength=len(data.class_names)).tolist() for name, p in said.items()}
    return {name: dict(zip(data.class_names, row, strict=True)) for name, row in counts.items()}


class SavedModel(NamedTuple):
    """One checkpoint's facts without its weights; after name and path, the checkpoint's own keys."""

    name: str  # the file's name without .pt
    path: Path
    backbone: str
    weights: str
    image_size: int
    epoch: int  # the best epoch, the one saved
    metrics: dict  # that epoch's numbers: val_accuracy, val_loss, ...
    history: list[dict]  # every epoch's numbers
    data: dict  # what it was trained on: description, fingerprint, ...


def find_checkpoints(source: DataSource | str | Path) -> tuple[list[SavedModel], dict[Path, str]]:
    """Checkpoints trained on this data, best on validation first, and why each other one does not count."""
    source = find_data(source)
    fingerprint, matching, skipped = None, [], {}
    for path in checkpoint_files(work_dir() / "checkpoints"):
        try:
            payload = read_checkpoint(path)
            saved = SavedModel(path.stem, path, *(payload[key] for key in SavedModel._fields[2:]))
            validation_score(saved.metrics)  # ranking reads val_accuracy and val_loss
            trained_on = saved.data["description"].removeprefix("Data: ")
        except (CheckpointError, KeyError) as exc:
            why = str(exc) if isinstance(exc, CheckpointError) else f"a course checkpoint without {exc}"
            skipped[path] = f"unreadable: {why.removeprefix(f'{path}: ')}"
            continue
        same_kind = (saved.data.get("synthetic"), saved.data.get("quick")) == (source.synthetic, quick_mode())
        if same_kind and fingerprint is None:  # the split does not depend on the image size: one scan
            fingerprint = data_fingerprint(load_course_data(source, saved.image_size))
        if same_kind and saved.data.get("fingerprint") == fingerprint:
            matching.append(saved)
        else:
            kind = "the quick-mode subset" if saved.data.get("quick") else "the full data"
            skipped[path] = f"trained on other data ({kind} of {trained_on})"
    return sorted(matching, key=lambda m: validation_score(m.metrics), reverse=True), skipped


def course_model(source: DataSource | str | Path | None = None) -> SavedModel:
    """The best checkpoint trained on the data in use (chosen on validation), else a quick one trained now:
    MobileNetV2's frozen features if its weights are here, else the small CNN; 10 epochs (fewer guess)."""
    source = find_data(source)
    if not (matching := find_checkpoints(source)[0]):
        print(f"No checkpoint trained on {source.describe().removeprefix('Data: ')}: training a quick one.")
        weights = imagenet_weights_available("mobilenet_v2", allow_download=False)
        backbone = "mobilenet_v2" if weights else "cnn"
        plan = recipe(backbone, epochs=10, feature_views=1 if quick_mode() else 2)  # views: augmented copies
        model, data = build_model(backbone, pretrained=weights), load_course_data(source, plan.image_size)
        fit(model, data, plan.config, default_checkpoint(f"{backbone}_quick"))
        if not (matching := find_checkpoints(source)[0]):
            raise RuntimeError(f"the quick model does not count for this data: {find_checkpoints(source)[1]}")
    return matching[0]
