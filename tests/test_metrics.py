"""Lesson 05's metrics (the confusion matrix; precision, recall and F1 per class) and lesson 09's balanced
accuracy."""

from __future__ import annotations

import json

import numpy as np
import pytest

from helpers.constants import ALL_CLASS_NAMES, CLASS_NAMES
from helpers.metrics import (
    ClassificationReport,
    balanced_accuracy,
    confusion_matrix,
    per_class_metrics,
    wilson_interval,
)


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
    assert json.loads(json.dumps(report.as_dict()))["per_class"] == rows, "plain numbers for the CLI's JSON"


def test_a_class_never_predicted_has_zero_precision_not_an_error() -> None:
    metrics = per_class_metrics(np.array([[3, 0], [2, 0]]), ("mask", "no_mask"))
    assert metrics["no_mask"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 2}


def test_balanced_accuracy_is_the_mean_recall_of_the_classes_present() -> None:
    two = ClassificationReport(CLASS_NAMES, np.array([[3, 1], [2, 2]]))
    assert two.accuracy == pytest.approx(5 / 8)
    assert two.balanced_accuracy == pytest.approx((3 / 4 + 2 / 4) / 2), "the mean of the two recalls"
    everyone_mask = confusion_matrix([0] * 9 + [1], [0] * 10, 2)
    assert balanced_accuracy(everyone_mask) == pytest.approx(0.5), "90 % accuracy, half the classes found"
    three = ClassificationReport(ALL_CLASS_NAMES, np.array([[2, 0, 0], [1, 1, 2], [0, 0, 0]]))
    assert three.balanced_accuracy == pytest.approx((1 + 1 / 4) / 2), "a class with no faces is left out"
    assert np.isnan(ClassificationReport(CLASS_NAMES, np.zeros((2, 2), int)).balanced_accuracy)
    assert json.loads(json.dumps(three.as_dict()))["balanced_accuracy"] == pytest.approx(0.625)


def test_wilson_interval_is_honest_near_100_percent_and_for_few_faces() -> None:
    low, high = wilson_interval(610, 613)  # 3 of 613 wrong
    assert round(low, 3) == 0.986 and round(high, 3) == 0.998
    assert wilson_interval(10, 10) == (pytest.approx(0.722, abs=1e-3), 1.0)  # never above 100 %
    assert wilson_interval(0, 10)[0] == 0.0  # never below 0 %
    few, many = wilson_interval(9, 10), wilson_interval(900, 1000)
    assert few[1] - few[0] > 3 * (many[1] - many[0])  # ten faces say little
    assert all(np.isnan(wilson_interval(0, 0)))
