"""Lesson 05's bookkeeping: the checkpoints trained on the data in use (by data fingerprint), and one fair
test pass each: a test accuracy means something only for a model that never saw the test images."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from helpers.checkpoints import CheckpointError, checkpoint_files, load_checkpoint, read_checkpoint
from helpers.data import CourseData, DataSource, SplitData, find_data, load_course_data
from helpers.loaders import eval_batches
from helpers.metrics import ClassificationReport
from helpers.runtime import pick_device, quick_mode, work_dir
from helpers.training import data_fingerprint, run_model, validation_score


class Predictions(NamedTuple):
    """Probabilities for every image of a split, with the true labels, for reports and plots."""

    probabilities: np.ndarray  # N x classes
    labels: np.ndarray
    class_names: tuple[str, ...]

    @property
    def predicted(self) -> np.ndarray:
        return self.probabilities.argmax(axis=1)

    @property
    def accuracy(self) -> float:
        return self.report().accuracy

    def report(self) -> ClassificationReport:
        return ClassificationReport.from_predictions(self.labels, self.predicted, self.class_names)


def evaluate(model: nn.Module, split: SplitData) -> Predictions:
    """Probabilities for every image of a split (lesson 02's run_model); an empty split gives empty arrays."""
    if not len(split.labels):  # a tiny dataset's val or test split may be empty
        empty = np.zeros((0, len(split.class_names)), dtype=np.float32)
        return Predictions(empty, np.zeros(0, dtype=np.int64), split.class_names)
    logits, labels = run_model(model, eval_batches(split.images, split.labels))
    return Predictions(logits.softmax(dim=1).numpy(), labels.numpy(), split.class_names)


def held_out_answers(model: nn.Module, data: CourseData) -> dict[str, dict[str, int]]:
    """What the model calls the faces of classes it did not learn (masks worn below the nose)."""
    said = {name: evaluate(model, split).predicted for name, split in data.held_out.items()}
    return {
        name: {c: int((p == k).sum()) for k, c in enumerate(data.class_names)} for name, p in said.items()
    }


@dataclass(frozen=True)
class SavedModel:
    """The facts of one checkpoint trained on the data in use, without its weights."""

    name: str  # the file's name without .pt
    path: Path
    backbone: str
    weights: str
    image_size: int
    best_epoch: int
    epochs_run: int
    val_accuracy: float
    val_loss: float
    data: str  # the description of the data it was trained on


def find_checkpoints(
    source: DataSource | str | Path | None = None, folder: str | Path | None = None, quick: bool | None = None
) -> tuple[list[SavedModel], dict[Path, str]]:
    """The checkpoints in folder (default <work dir>/checkpoints) trained on this data, best on validation
    first, and why each other one does not count. The data is scanned once, only if a checkpoint may fit."""
    source, quick = find_data(source), quick_mode() if quick is None else quick
    fingerprint, matching, skipped = None, [], {}
    for path in checkpoint_files(Path(folder) if folder is not None else work_dir() / "checkpoints"):
        try:
            payload = read_checkpoint(path)
            facts, metrics = payload["data"], payload["metrics"]
            saved = SavedModel(
                name=path.stem,
                path=path,
                backbone=payload["backbone"],
                weights=payload["weights"],
                image_size=int(payload["image_size"]),
                best_epoch=int(payload["epoch"]),
                epochs_run=len(payload["history"]),
                val_accuracy=float(metrics["val_accuracy"]),
                val_loss=float(metrics["val_loss"]),
                data=facts["description"].removeprefix("Data: "),
            )
        except (CheckpointError, KeyError, TypeError, ValueError) as exc:
            why = str(exc) if isinstance(exc, CheckpointError) else f"a course checkpoint without {exc}"
            skipped[path] = f"unreadable: {why.removeprefix(f'{path}: ')}"
            continue
        same_kind = facts.get("synthetic") == source.synthetic and facts.get("quick") == quick
        if same_kind and fingerprint is None:  # the split does not depend on the image size: one scan
            fingerprint = data_fingerprint(load_course_data(source, image_size=saved.image_size, quick=quick))
        if same_kind and facts.get("fingerprint") == fingerprint:
            matching.append(saved)
        else:
            kind = "the quick-mode subset" if facts.get("quick") else "the full data"
            skipped[path] = f"trained on other data ({kind} of {saved.data})"
    matching.sort(key=lambda m: m.name)  # ties stay in name order: sorting is stable
    return sorted(matching, key=lambda m: validation_score(asdict(m)), reverse=True), skipped


def compare_on_test(
    models: list[SavedModel],
    source: DataSource | str | Path | None = None,
    quick: bool | None = None,
    device: torch.device | None = None,
) -> list[dict]:
    """Each model's facts with its accuracy on the test split at its own image size, in the order given;
    ms_per_image is the wall time of the whole pass (eval_batches: batches of 64) per image."""
    source, device, rows = find_data(source), device or pick_device(), {}
    for size in sorted({m.image_size for m in models}):
        test = load_course_data(source, image_size=size, quick=quick).splits["test"]
        for saved in (m for m in models if m.image_size == size):
            model, _ = load_checkpoint(saved.path, device=device)
            start = time.perf_counter()
            answers = evaluate(model, test)
            ms = 1000 * (time.perf_counter() - start) / max(1, len(answers.labels))
            rows[saved.path] = asdict(saved) | {"test_accuracy": answers.accuracy}
            rows[saved.path] |= {"test_images": len(answers.labels), "ms_per_image": ms}
    return [rows[m.path] for m in models]
