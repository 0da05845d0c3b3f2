"""ONNX export run by OpenCV DNN (equal to torch), and Grad-CAM heat maps."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers.export import OnnxMaskModel, export_onnx, sidecar_path
from helpers.gradcam import grad_cam, lower_face_share, overlay
from helpers.inference import MaskModel, crops_to_batch, load_mask_model
from helpers.models import build_model, freeze_features


@pytest.fixture(scope="module")
def model(tiny_checkpoint: Path) -> MaskModel:
    return load_mask_model(tiny_checkpoint, device="cpu")


def test_onnx_in_opencv_equals_torch(tmp_path: Path, model: MaskModel) -> None:
    path = export_onnx(model, tmp_path / "model.onnx")
    facts = json.loads(sidecar_path(path).read_text())
    assert facts["image_size"] == 32 and facts["class_names"] == ["mask", "no_mask"]
    onnx_model = OnnxMaskModel(path)
    rng = np.random.default_rng(0)
    crops = [rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8) for h, w in ((40, 30), (32, 32), (90, 70))]
    np.testing.assert_allclose(onnx_model.p_mask(crops), model.p_mask(crops), atol=1e-4)
    assert onnx_model.p_mask([]).shape == (0,)


def test_export_errors_are_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="nothing.onnx: expected an exported model"):
        OnnxMaskModel(tmp_path / "nothing.onnx")
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"<!DOCTYPE html>")
    sidecar_path(broken).write_text(json.dumps({"image_size": 32, "checkpoint": "x"}))
    with pytest.raises(ValueError, match="broken.onnx: OpenCV cannot read it"):
        OnnxMaskModel(broken)


def test_grad_cam_on_a_frozen_backbone() -> None:
    network = build_model("mobilenet_v2", pretrained=False)
    freeze_features(network)
    images = torch.randint(0, 256, (2, 3, 64, 64), dtype=torch.uint8)
    heat, probabilities = grad_cam(network, images, 64, target="mask")
    assert heat.shape == (2, 64, 64) and heat.min() >= 0 and heat.max() <= 1 + 1e-6
    assert probabilities.shape == (2, 2) and all(p.grad is None for p in network.parameters())
    share = lower_face_share(heat)
    assert ((0 <= share) & (share <= 1)).all()
    tinted = overlay(images[0].permute(1, 2, 0).numpy(), heat[0])
    assert tinted.shape == (64, 64, 3) and tinted.dtype == np.uint8


def test_grad_cam_explains_the_predicted_class(model: MaskModel) -> None:
    batch = crops_to_batch([np.full((40, 40, 3), 128, dtype=np.uint8)], model.image_size)
    heat, probabilities = grad_cam(model.model, batch, model.image_size)
    assert heat.shape == (1, 32, 32) and probabilities.shape == (1, 2)
