"""Lesson 05's metrics (the confusion matrix; precision, recall and F1 per class) and lesson 09's balanced
accuracy and detection AP (average_precision as lesson 09 writes it in its cells)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest

from helpers.constants import ALL_CLASS_NAMES, CLASS_NAMES
from helpers.metrics import (
    ClassificationReport,
    balanced_accuracy,
    confusion_matrix,
    per_class_metrics,
    precision_recall,
    wilson_interval,
)
from tests.test_lesson_code import code_cells

LESSON_09 = Path(__file__).resolve().parent.parent / "notebooks" / "09_real_scenes.ipynb"


def average_precision(precision: np.ndarray, recall: np.ndarray) -> float:
    """Lesson 09's average_precision, run from the cell that defines it (it lives only there)."""
    (cell,) = [source for source in code_cells(LESSON_09) if "def average_precision" in source]
    namespace = {"np": np}
    exec(cell, namespace)
    return namespace["average_precision"](precision, recall)


def test_confusion_matrix_and_report() -> None:
    labels = np.array([0, 0, 0, 1, 1])
    predicted = np.array([0, 0, 1, 1, 1])
    assert confusion_matrix(labels, predicted, 2).tolist() == [[2, 1], [0, 2]]
    report = ClassificationReport(("mask", "no_mask"), confusion_matrix(labels, predicted, 2))
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
    assert balanced_accuracy(two.matrix) == pytest.approx((3 / 4 + 2 / 4) / 2), "the mean of the two recalls"
    everyone_mask = confusion_matrix([0] * 9 + [1], [0] * 10, 2)
    assert balanced_accuracy(everyone_mask) == pytest.approx(0.5), "90 % accuracy, half the classes found"
    three = ClassificationReport(ALL_CLASS_NAMES, np.array([[2, 0, 0], [1, 1, 2], [0, 0, 0]]))
    assert balanced_accuracy(three.matrix) == pytest.approx((1 + 1 / 4) / 2), "an empty class: left out"
    assert np.isnan(balanced_accuracy(np.zeros((2, 2), int)))
    assert json.loads(json.dumps(three.as_dict()))["balanced_accuracy"] == pytest.approx(0.625)


def test_wilson_interval_is_honest_near_100_percent_and_for_few_faces() -> None:
    low, high = wilson_interval(610, 613)  # 3 of 613 wrong
    assert round(low, 3) == 0.986 and round(high, 3) == 0.998
    assert wilson_interval(10, 10) == (pytest.approx(0.722, abs=1e-3), 1.0)  # never above 100 %
    assert wilson_interval(0, 10)[0] == 0.0  # never below 0 %
    few, many = wilson_interval(9, 10), wilson_interval(900, 1000)
    assert few[1] - few[0] > 3 * (many[1] - many[0])  # ten faces say little
    assert all(np.isnan(wilson_interval(0, 0)))


def _detection_fixture() -> tuple[list, dict]:
    """Six photos of faces, found with jittered boxes, some missed, one found twice, and false alarms."""
    rng = np.random.default_rng(0)
    detections, truth = [], {}
    for photo in range(6):
        faces = [tuple(rng.uniform((0, 0, 10, 10), (200, 200, 60, 60))) for _ in range(rng.integers(1, 6))]
        boxes = [
            (x + rng.normal(0, 4), y + rng.normal(0, 4), w * rng.uniform(0.8, 1.2), h) for x, y, w, h in faces
        ]
        boxes = [box for box in boxes if rng.random() < 0.8] + [boxes[0]]  # some missed, one found twice
        boxes += [tuple(rng.uniform((0, 0, 20, 20), (200, 200, 40, 40))) for _ in range(rng.integers(0, 3))]
        truth[photo] = faces
        scores = rng.uniform(0, 1, len(boxes))
        detections += [(photo, box, float(score)) for box, score in zip(boxes, scores, strict=True)]
    return detections, truth


def coco_ap50(detections: list, truth: dict) -> float:
    """pycocotools' COCOeval, the reference implementation of COCO's AP, at IoU 0.5 only."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    faces = [(photo, face) for photo, boxes in truth.items() for face in boxes]
    annotations = [
        {
            "id": k,
            "image_id": photo,
            "bbox": list(face),
            "area": face[2] * face[3],
            "iscrowd": 0,
            "category_id": 1,
        }
        for k, (photo, face) in enumerate(faces, start=1)
    ]
    found = [{"image_id": p, "bbox": list(box), "score": s, "category_id": 1} for p, box, s in detections]
    coco = COCO()
    coco.dataset = {
        "images": [{"id": p} for p in truth],
        "annotations": annotations,
        "categories": [{"id": 1}],
    }
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints its progress
        coco.createIndex()
        evaluation = COCOeval(coco, coco.loadRes(found), "bbox")
        evaluation.params.iouThrs = np.array([0.5])
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return float(evaluation.stats[0])


def test_lesson_ap_reads_the_curve_pycocotools_reads() -> None:
    """COCO's AP@0.5 is the lesson's precision-recall curve read at 101 recall points; VOC's AP (the
    lesson's) is the area under the same curve, so the two agree closely but not exactly."""
    detections, truth = _detection_fixture()
    precision, recall = precision_recall(detections, truth)
    envelope = np.maximum.accumulate(np.concatenate([precision, [0.0]])[::-1])[::-1]
    coco = envelope[np.searchsorted(recall, np.linspace(0, 1, 101))].mean()  # past the last recall: 0
    assert coco == pytest.approx(coco_ap50(detections, truth), abs=1e-9)
    assert 0.1 < average_precision(precision, recall) == pytest.approx(coco, abs=0.02)


def test_average_precision_by_hand() -> None:
    faces = {"a": [(0, 0, 10, 10), (50, 0, 10, 10)], "b": []}
    found = [("a", (0, 0, 10, 10), 0.9), ("a", (1, 0, 10, 10), 0.8), ("b", (0, 0, 9, 9), 0.75)]
    found += [("a", (50, 1, 10, 10), 0.7), ("a", (90, 90, 5, 5), 0.1)]
    precision, recall = precision_recall(found, faces)
    assert recall.tolist() == [0.5, 0.5, 0.5, 1.0, 1.0], (
        "a face is matched once; the second box is a false alarm"
    )
    assert precision.tolist() == pytest.approx([1, 1 / 2, 1 / 3, 1 / 2, 2 / 5])
    assert average_precision(precision, recall) == pytest.approx(0.5 * 1 + 0.5 * 0.5)
    assert average_precision(*precision_recall([], faces)) == 0.0
    assert precision_recall(found, faces, min_iou=0.95)[1][-1] == 0.5, "(50, 1) overlaps its face by IoU 0.82"
