"""Lesson 05's metrics: the confusion matrix and precision, recall and F1 per class."""

from __future__ import annotations

import json

import numpy as np
import pytest

from helpers.metrics import ClassificationReport, confusion_matrix, per_class_metrics


def test_confusion_matrix_and_report() -> None:
    labels = np.array([0, 0, 0, 1, 1])
    predicted = np.array([0, 0, 1, 1, 1])
    assert confusion_matrix(labels, predicted, 2).tolist() == [[2, 1], [0, 2]]
    report = ClassificationReport.from_predictions(labels, predicted, ("mask", "no_mask"))
    rows = report.per_class()
    assert report.accuracy == pytest.approx(0.8)
    assert rows["mask"]["precision"] == 1.0 and rows["mask"]["recall"] == pytest.approx(2 / 3)
    assert rows["no_mask"]["precision"] == pytest.approx(2 / 3) and rows["no_mask"]["support"] == 2
    assert rows["mask"]["f1"] == pytest.approx(0.8)
    assert "accuracy 80.00% on 5 images" in str(report)
    assert json.loads(json.dumps(report.as_dict()))["per_class"] == rows, "plain numbers for the CLI's JSON"


def test_a_class_never_predicted_has_zero_precision_not_an_error() -> None:
    metrics = per_class_metrics(np.array([[3, 0], [2, 0]]), ("mask", "no_mask"))
    assert metrics["no_mask"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 2}
