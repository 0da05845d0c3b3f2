"""Lesson 05's bookkeeping: which checkpoints fit the data in use, the best of them, one fair test table.

Every checkpoint records a fingerprint of the data it was trained on (helpers.checkpoints.data_fingerprint).
A test accuracy means something only for a model that never saw the test images, so checkpoints trained on
other data (another dataset, the demo data, the quick-mode subset) are listed with the reason and skipped.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from helpers.checkpoints import CheckpointError, data_fingerprint, load_checkpoint, read_checkpoint
from helpers.constants import CLASS_NAMES
from helpers.data import CourseData, DataSource, SplitData, find_data, load_course_data
from helpers.loaders import eval_batches
from helpers.metrics import ClassificationReport
from helpers.runtime import display_path, pick_device, quick_mode, work_dir
from helpers.scenes import SIZE_BUCKETS
from helpers.training import run_model, validation_score

SIDE_FILES = (".resume", ".previous")  # fit()'s resume state and the backup of an earlier run: not models


@dataclass
class Predictions:
    """Probabilities for every image of a split, with the true labels and paths, for reports and plots."""

    probabilities: np.ndarray  # N x classes
    labels: np.ndarray
    paths: list[Path]
    loss: float
    class_names: tuple[str, ...] = CLASS_NAMES

    @property
    def predicted(self) -> np.ndarray:
        return self.probabilities.argmax(axis=1)

    @property
    def accuracy(self) -> float:
        return float((self.predicted == self.labels).mean()) if len(self.labels) else float("nan")

    def report(self) -> ClassificationReport:
        return ClassificationReport.from_predictions(self.labels, self.predicted, self.class_names)


def evaluate(model: nn.Module, split: SplitData) -> Predictions:
    """Probabilities for every image of a split (lesson 02's run_model), with the loss, for reports."""
    if not len(split.labels):  # an empty split (a tiny dataset's val or test): nothing to predict
        empty = np.zeros((0, len(split.class_names)), dtype=np.float32)
        return Predictions(empty, np.zeros(0, dtype=np.int64), [], float("nan"), split.class_names)
    logits, labels = run_model(model, eval_batches(split.images, split.labels))
    loss = nn.functional.cross_entropy(logits, labels).item() if len(labels) else float("nan")
    return Predictions(
        logits.softmax(dim=1).numpy(), labels.numpy(), list(split.paths), loss, split.class_names
    )


def summary(report: ClassificationReport) -> dict:
    """Accuracy, balanced accuracy, images and mistakes: what the train CLI gives for each dataset."""
    images = int(report.matrix.sum())
    return {
        "accuracy": round(report.accuracy, 4),
        "balanced_accuracy": round(report.balanced_accuracy, 4),
        "images": images,
        "wrong": images - int(np.trace(report.matrix)),
    }


def size_reports(answers: Predictions, split: SplitData) -> dict[str, dict]:
    """summary() per face width of a scene split, from its predictions (so the model runs over the split
    once): small faces are where a model fails first."""
    widths = split.sizes[:, 0].numpy()
    reports = {}
    for bucket, low, high in SIZE_BUCKETS:
        keep = (widths >= low) & (widths < high)
        if keep.any():
            labels, predicted = answers.labels[keep], answers.predicted[keep]
            report = ClassificationReport.from_predictions(labels, predicted, answers.class_names)
            reports[f"faces {bucket} px"] = summary(report)
    return reports


def held_out_answers(model: nn.Module, data: CourseData) -> dict[str, dict[str, int]]:
    """What the model calls the faces of classes it did not learn (masks worn below the nose)."""
    answers = {}
    for name, split in data.held_out.items():
        logits, _ = run_model(model, eval_batches(split.images, torch.zeros_like(split.labels)))
        predicted = logits.argmax(dim=1).numpy()
        answers[name] = {c: int((predicted == k).sum()) for k, c in enumerate(data.class_names)}
    return answers


@dataclass(frozen=True)
class SavedModel:
    """The facts of one usable checkpoint, without its weights."""

    path: Path
    backbone: str
    weights: str
    image_size: int
    best_epoch: int
    epochs_run: int
    val_accuracy: float
    val_loss: float
    data: str  # the data description saved with it
    fingerprint: str

    @property
    def name(self) -> str:
        return self.path.stem

    @classmethod
    def from_payload(cls, path: Path, payload: dict) -> SavedModel:
        metrics = payload.get("metrics") or {}
        return cls(
            path=Path(path),
            backbone=payload["backbone"],
            weights=payload["weights"],
            image_size=int(payload["image_size"]),
            best_epoch=int(payload.get("epoch", 0)),
            epochs_run=len(payload.get("history") or []),
            val_accuracy=float(metrics.get("val_accuracy", float("nan"))),
            val_loss=float(metrics.get("val_loss", float("nan"))),
            data=payload["data"]["description"],
            fingerprint=payload["data"]["fingerprint"],
        )


def selection_key(model: SavedModel) -> tuple[float, float, str]:
    """Sort key, best first: fit()'s validation_score (reversed), then the name so the order is stable."""
    accuracy, negative_loss = validation_score(
        {"val_accuracy": model.val_accuracy, "val_loss": model.val_loss}
    )
    return (-accuracy, -negative_loss, model.name)


@dataclass
class CheckpointSearch:
    """Checkpoints in a folder, split into those trained on this data and the others (with reasons)."""

    folder: Path
    data: str  # the data in use
    matching: list[SavedModel]  # best first (see selection_key)
    skipped: list[tuple[Path, str]]

    def best(self) -> SavedModel | None:
        return min(self.matching, key=selection_key) if self.matching else None

    def __str__(self) -> str:
        lines = [f"Checkpoints in {display_path(self.folder)} for {self.data.removeprefix('Data: ')}"]
        if not self.matching and not self.skipped:
            lines.append("  (none found)")
        for model in self.matching:
            lines.append(
                f"  use   {model.path.name:<32} {model.backbone:<13} {model.image_size:>4} px  "
                f"val accuracy {model.val_accuracy:7.2%} (epoch {model.best_epoch} of {model.epochs_run})"
            )
        for path, reason in self.skipped:
            lines.append(f"  skip  {path.name:<32} {_shorten(reason)}")
        return "\n".join(lines)


def _shorten(text: str, limit: int = 160) -> str:
    """First line of a reason, cut to a readable length (torch's unpickling errors run to a page)."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", text).strip()  # terminal colour codes inside torch's messages
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def checkpoint_files(folder: Path) -> list[Path]:
    """Model checkpoints (*.pt) in folder, without fit()'s <name>.resume.pt and <name>.previous.pt files."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.pt") if not p.stem.endswith(SIDE_FILES))


def _other_data_reason(payload: dict, synthetic: bool, quick: bool) -> str | None:
    """A cheap, readable reason from the saved data facts, before fingerprinting anything."""
    saved = payload["data"]
    origin = saved.get("description", "unknown data").removeprefix("Data: ")
    if saved.get("synthetic") != synthetic:
        kind = "the synthetic demo data" if saved.get("synthetic") else "real images"
        return f"trained on other data ({kind}): {origin}"
    if saved.get("quick") != quick:
        kind = "the quick-mode subset" if saved.get("quick") else "the full data, not the quick-mode subset"
        return f"trained on other data ({kind}): {origin}"
    return None


def find_checkpoints(
    source: DataSource | str | Path | None = None, folder: str | Path | None = None, quick: bool | None = None
) -> CheckpointSearch:
    """Read every checkpoint in folder (default: <work dir>/checkpoints) and keep those trained on this data.

    A checkpoint matches when its saved data fingerprint equals the fingerprint of the data here (same files,
    same split; the split does not depend on the image size, so one scan serves every checkpoint).
    Unreadable files are skipped with the reason.
    """
    source = source if isinstance(source, DataSource) else find_data(source)
    folder = Path(folder) if folder is not None else work_dir() / "checkpoints"
    quick = quick_mode() if quick is None else quick
    fingerprint: str | None = None  # of the data here, computed on the first checkpoint that needs it
    matching, skipped = [], []
    for path in checkpoint_files(folder):
        try:
            payload = read_checkpoint(path)
            payload.pop("model", None)
            model = SavedModel.from_payload(path, payload)
        except CheckpointError as exc:
            skipped.append((path, f"unreadable: {str(exc).removeprefix(f'{path}: ')}"))
            continue
        except (KeyError, TypeError, ValueError) as exc:
            skipped.append((path, f"unreadable: a course checkpoint without {exc}"))
            continue
        reason = _other_data_reason(payload, source.synthetic, quick)
        if reason is None:
            try:
                if fingerprint is None:
                    here = load_course_data(source, image_size=model.image_size, quick=quick)
                    fingerprint = data_fingerprint(here)
            except ValueError as exc:
                skipped.append((path, f"unusable: {exc}"))
                continue
            if fingerprint != model.fingerprint:
                reason = f"trained on other data (other files or split): {model.data.removeprefix('Data: ')}"
        if reason is None:
            matching.append(model)
        else:
            skipped.append((path, reason))
    return CheckpointSearch(folder, source.describe(), sorted(matching, key=selection_key), skipped)


@dataclass(frozen=True)
class ComparisonRow:
    """One model's line in the final comparison: chosen on validation, measured once on the test split."""

    name: str
    backbone: str
    weights: str
    image_size: int
    epochs_run: int
    best_epoch: int
    val_accuracy: float
    test_accuracy: float
    test_images: int
    ms_per_image: float


def compare_on_test(
    models: list[SavedModel],
    source: DataSource | str | Path | None = None,
    quick: bool | None = None,
    device: torch.device | None = None,
) -> list[ComparisonRow]:
    """Evaluate every model on the test split at its own image size; rows in the order of selection_key.

    ms_per_image is the wall time of the whole test pass (eval_batches: batches of 64) per image.
    """
    source = source if isinstance(source, DataSource) else find_data(source)
    device = device or pick_device()
    rows = {}
    for size in sorted({model.image_size for model in models}):
        test = load_course_data(source, image_size=size, quick=quick).splits["test"]
        for saved in (model for model in models if model.image_size == size):
            model, _ = load_checkpoint(saved.path, device=device)
            start = time.perf_counter()
            predictions = evaluate(model, test)
            seconds = time.perf_counter() - start
            rows[saved.path] = ComparisonRow(
                name=saved.name,
                backbone=saved.backbone,
                weights=saved.weights,
                image_size=size,
                epochs_run=saved.epochs_run,
                best_epoch=saved.best_epoch,
                val_accuracy=saved.val_accuracy,
                test_accuracy=predictions.accuracy,
                test_images=len(predictions.labels),
                ms_per_image=1000 * seconds / max(1, len(predictions.labels)),
            )
    return [rows[model.path] for model in sorted(models, key=selection_key)]


def comparison_table(rows: list[ComparisonRow]) -> str:
    """A fixed-width text table, one line per model."""
    header = (
        f"{'checkpoint':<24} {'backbone':<13} {'size':>5} {'epochs':>7} {'val acc':>8} {'TEST acc':>9} "
        f"{'images':>7} {'ms/img':>7}   weights"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            f"{row.name:<24} {row.backbone:<13} {row.image_size:>5} {row.best_epoch:>3}/{row.epochs_run:<3} "
            f"{row.val_accuracy:>8.2%} {row.test_accuracy:>9.2%} {row.test_images:>7} "
            f"{row.ms_per_image:>7.2f}   {row.weights}"
        )
    return "\n".join(lines)
