"""Test-set numbers a learner can trust, as lessons 05 and 09 write them, for the command line too."""

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from helpers.boxes import box_iou


# Kept identical in notebooks/05_test_accuracy.ipynb (the lesson writes it).
def confusion_matrix(labels: Sequence[int], predicted: Sequence[int], n_classes: int) -> np.ndarray:
    """How often each true class (row) got each answer (column); the diagonal is right."""
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    for truth, answer in zip(labels, predicted, strict=True):
        matrix[truth, answer] += 1
    return matrix


# Kept identical in notebooks/05_test_accuracy.ipynb (the lesson writes it).
def per_class_metrics(matrix: np.ndarray, class_names: Sequence[str]) -> dict[str, dict[str, float]]:
    """Precision: of the faces called X, the share that are X. Recall: of the X faces, the share found."""
    metrics = {}
    for k, name in enumerate(class_names):
        right, called, actual = matrix[k, k], matrix[:, k].sum(), matrix[k, :].sum()
        precision = right / called if called else 0.0
        recall = right / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        metrics[name] = {"precision": float(precision), "recall": float(recall), "f1": float(f1)}
        metrics[name]["support"] = int(actual)
    return metrics


# Kept identical in notebooks/09_real_scenes.ipynb (the lesson writes it).
def balanced_accuracy(matrix: np.ndarray) -> float:
    """The mean recall of the classes present (rows of the confusion matrix): a rare class counts as much as
    a common one, so answering "mask" to every face no longer scores well. nan when there are no faces."""
    actual = matrix.sum(axis=1)
    present = actual > 0
    if not present.any():
        return float("nan")
    return float((np.diag(matrix)[present] / actual[present]).mean())


class ClassificationReport(NamedTuple):
    """A confusion matrix with its class names, and the numbers the command line's JSON reports."""

    class_names: tuple[str, ...]
    matrix: np.ndarray

    @property
    def accuracy(self) -> float:
        return float(np.trace(self.matrix) / self.matrix.sum()) if self.matrix.sum() else float("nan")

    def per_class(self) -> dict[str, dict[str, float]]:
        return per_class_metrics(self.matrix, self.class_names)

    def as_dict(self) -> dict:
        numbers = {"accuracy": self.accuracy, "balanced_accuracy": balanced_accuracy(self.matrix)}
        return numbers | {"per_class": self.per_class(), "confusion_matrix": self.matrix.tolist()}


# Kept identical in notebooks/05_test_accuracy.ipynb (the lesson writes it).
def wilson_interval(right: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The range of true accuracies that would give `right` of `n` with 95 % confidence (Wilson's score
    interval): unlike p ± 1.96·sqrt(p(1-p)/n) it stays inside 0-1 and is honest near 100 %."""
    if n == 0:
        return float("nan"), float("nan")
    p = right / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    high = 1.0 if right == n else min(1.0, float(centre + half))  # exactly 1 at n of n, not 0.99999...
    return max(0.0, float(centre - half)), high


# Kept identical in notebooks/09_real_scenes.ipynb (the lesson writes it).
def precision_recall(detections: list[tuple], truth: dict[Path, list], min_iou: float = 0.5) -> tuple:
    """Precision and recall after each detection (photo, box, confidence) of one class, most confident first:
    it is right when it takes the best-overlapping face of its class not yet taken, at IoU >= min_iou."""
    taken = {photo: [False] * len(boxes) for photo, boxes in truth.items()}
    right = []
    for photo, box, _ in sorted(detections, key=lambda detection: -detection[2]):
        faces = truth.get(photo, [])
        overlaps = [0.0 if taken[photo][k] else box_iou(box, face) for k, face in enumerate(faces)]
        best = int(np.argmax(overlaps)) if faces else -1
        hit = best >= 0 and overlaps[best] >= min_iou
        if hit:
            taken[photo][best] = True
        right.append(hit)
    hits = np.cumsum(right, dtype=float)
    return hits / np.arange(1, len(right) + 1), hits / max(1, sum(map(len, truth.values())))
