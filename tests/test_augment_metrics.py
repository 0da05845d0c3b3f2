"""Batch augmentation on the device, its match with lesson 01's transforms, and the test-set metrics."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers.augment import augment_batch, eval_batch, hue_matrices
from helpers.data import eval_transform
from helpers.metrics import ClassificationReport, confusion_matrix


def _images(n: int = 6, size: int = 40) -> torch.Tensor:
    return torch.randint(
        0, 256, (n, 3, size, size), dtype=torch.uint8, generator=torch.Generator().manual_seed(1)
    )


def test_augment_shape_and_seed() -> None:
    images = _images()
    a = augment_batch(images, 32, torch.Generator().manual_seed(0))
    b = augment_batch(images, 32, torch.Generator().manual_seed(0))
    c = augment_batch(images, 32, torch.Generator().manual_seed(1))
    assert a.shape == (6, 3, 32, 32) and a.dtype == torch.float32
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_eval_batch_matches_lesson_01_transform() -> None:
    images = _images(size=32)
    ours = eval_batch(images, 32)
    theirs = torch.stack([eval_transform(32)(image) for image in images])
    assert torch.allclose(ours, theirs, atol=1e-5)


def test_hue_rotation_keeps_grey_grey() -> None:
    matrices = hue_matrices(torch.tensor([0.0, 0.1]))
    assert torch.allclose(matrices[0], torch.eye(3), atol=1e-6)
    grey = torch.tensor([0.5, 0.5, 0.5])
    assert torch.allclose(matrices[1] @ grey, grey, atol=1e-6)


def test_confusion_matrix_and_report() -> None:
    labels = np.array([0, 0, 0, 1, 1])
    predicted = np.array([0, 0, 1, 1, 1])
    assert confusion_matrix(labels, predicted, 2).tolist() == [[2, 1], [0, 2]]
    report = ClassificationReport.from_predictions(labels, predicted, ("mask", "no_mask"))
    rows = report.per_class()
    assert report.accuracy == pytest.approx(0.8)
    assert rows["mask"]["precision"] == 1.0 and rows["mask"]["recall"] == pytest.approx(2 / 3)
    assert rows["no_mask"]["precision"] == pytest.approx(2 / 3) and rows["no_mask"]["support"] == 2
    assert "accuracy 80.00% on 5 images" in str(report)
