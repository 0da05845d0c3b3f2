"""Test-set numbers a learner can trust: accuracy, confusion matrix, per-class precision, recall and F1."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, n_classes: int) -> np.ndarray:
    """Rows are the true class, columns the predicted class."""
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(labels), np.asarray(predictions)), 1)
    return matrix


@dataclass(frozen=True)
class ClassificationReport:
    class_names: tuple[str, ...]
    matrix: np.ndarray

    @classmethod
    def from_predictions(
        cls, labels: np.ndarray, predictions: np.ndarray, class_names: tuple[str, ...]
    ) -> ClassificationReport:
        return cls(tuple(class_names), confusion_matrix(labels, predictions, len(class_names)))

    @property
    def accuracy(self) -> float:
        total = self.matrix.sum()
        return float(np.trace(self.matrix) / total) if total else float("nan")

    def per_class(self) -> dict[str, dict[str, float]]:
        """Precision: of the faces called X, how many were X. Recall: of the X faces, how many were found."""
        result = {}
        for i, name in enumerate(self.class_names):
            tp = self.matrix[i, i]
            predicted, actual = self.matrix[:, i].sum(), self.matrix[i, :].sum()
            precision = tp / predicted if predicted else 0.0
            recall = tp / actual if actual else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            result[name] = {
                "precision": float(precision),
                "recall": float(recall),
                "f1": float(f1),
                "support": int(actual),
            }
        return result

    def as_dict(self) -> dict:
        return {
            "accuracy": self.accuracy,
            "per_class": self.per_class(),
            "confusion_matrix": self.matrix.tolist(),
        }

    def __str__(self) -> str:
        lines = [f"{'class':<10} {'precision':>9} {'recall':>9} {'f1':>9} {'support':>9}"]
        for name, row in self.per_class().items():
            lines.append(
                f"{name:<10} {row['precision']:>9.3f} {row['recall']:>9.3f} {row['f1']:>9.3f} "
                f"{row['support']:>9}"
            )
        lines.append(f"accuracy {self.accuracy:.2%} on {int(self.matrix.sum())} images")
        return "\n".join(lines)
