"""ONNX export run by OpenCV DNN (equal to torch on the CPU, any batch size, with the model's own classes),
and lesson 08's Grad-CAM (written in its cells) lighting up where the evidence is."""

from __future__ import annotations

import ast
import json
from collections import OrderedDict
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from torch import nn

from helpers.constants import ALL_CLASS_NAMES, IMAGENET_MEAN, IMAGENET_STD
from helpers.export import Deployable, OnnxMaskModel, export_onnx, write_onnx
from helpers.inference import MaskModel, load_mask_model
from helpers.models import build_model
from helpers.preprocess import eval_batch
from tests.test_lesson_code import code_cells

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
GRAD_CAM_NOTEBOOKS = [NOTEBOOKS / "08_video_and_webcam.ipynb", NOTEBOOKS / "solutions" / "08_solutions.ipynb"]
GRAD_CAM = {"grad_cam", "last_conv_layer", "upsample", "overlay", "lower_face_share"}


@pytest.fixture(scope="module")
def model(tiny_checkpoint: Path) -> MaskModel:
    return load_mask_model(tiny_checkpoint, device="cpu")


def test_onnx_in_opencv_equals_torch(tmp_path: Path, model: MaskModel) -> None:
    path = export_onnx(model, tmp_path / "model.onnx")
    facts = json.loads(Path(f"{path}.json").read_text())
    assert facts["image_size"] == 32 and facts["class_names"] == ["mask", "no_mask"]
    onnx_model = OnnxMaskModel(path)
    rng = np.random.default_rng(0)
    crops = [rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8) for h, w in ((40, 30), (32, 32), (90, 70))]
    np.testing.assert_allclose(onnx_model.probabilities(crops), model.probabilities(crops), atol=1e-4)
    assert onnx_model.probabilities([]).shape == (0, 2) and onnx_model.class_names == model.class_names


def test_the_file_takes_any_batch_by_name(tmp_path: Path) -> None:
    import onnx

    net = build_model("cnn", pretrained=False, channels=(4, 8)).eval()
    write_onnx(Deployable(net, IMAGENET_MEAN, IMAGENET_STD).eval(), 32, tmp_path / "m.onnx")
    graph = onnx.load(tmp_path / "m.onnx").graph
    assert [i.name for i in graph.input] == ["image"] and [o.name for o in graph.output] == ["probabilities"]
    assert graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch", "the batch size is left free"
    pixels = torch.randint(0, 256, (5, 3, 32, 32), dtype=torch.uint8)
    runner = cv2.dnn.readNetFromONNX(str(tmp_path / "m.onnx"))
    runner.setInput(pixels.numpy().astype(np.float32))
    with torch.inference_mode():
        expected = net(eval_batch(pixels)).softmax(dim=1)  # the course's own preprocessing, then softmax
        np.testing.assert_allclose(Deployable(net, IMAGENET_MEAN, IMAGENET_STD)(pixels), expected, atol=1e-5)
    np.testing.assert_allclose(runner.forward(), expected.numpy(), atol=1e-5)


def test_the_sidecar_names_the_models_own_classes(tmp_path: Path) -> None:
    net = build_model("cnn", pretrained=False, channels=(4, 8), classes=3).eval()
    model = MaskModel(net, 32, IMAGENET_MEAN, IMAGENET_STD, "three", net.weights, "noise", net.class_names)
    onnx_model = OnnxMaskModel(export_onnx(model, tmp_path / "three.onnx"))
    assert onnx_model.facts["class_names"] == list(ALL_CLASS_NAMES)
    crops = [np.full((40, 30, 3), value, dtype=np.uint8) for value in (0, 200)]
    probabilities = onnx_model.probabilities(crops)
    assert probabilities.shape == (2, 3) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    np.testing.assert_allclose(probabilities, model.probabilities(crops), atol=1e-5)


def test_export_errors_are_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="nothing.onnx: expected an exported model"):
        OnnxMaskModel(tmp_path / "nothing.onnx")
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"<!DOCTYPE html>")
    Path(f"{broken}.json").write_text(
        json.dumps({"image_size": 32, "checkpoint": "x", "class_names": ["mask", "no_mask"]})
    )
    with pytest.raises(ValueError, match="broken.onnx: OpenCV cannot read it"):
        OnnxMaskModel(broken)


def _wanted(node: ast.stmt) -> bool:
    """Grad-CAM's definitions and the notebook's imports, but not of helpers (they are tested elsewhere)."""
    if isinstance(node, ast.Import | ast.ImportFrom):
        return not (getattr(node, "module", None) or "").startswith("helpers")
    return getattr(node, "name", None) in GRAD_CAM


def lesson_functions(notebook: Path) -> dict[str, object]:
    """Grad-CAM as a notebook writes it in its cells (it lives only there), with the imports it needs."""
    namespace: dict[str, object] = {}
    for source in code_cells(notebook):
        kept = [node for node in ast.parse(source).body if _wanted(node)]
        exec(compile(ast.Module(kept, type_ignores=[]), notebook.name, "exec"), namespace)
    assert GRAD_CAM <= namespace.keys(), f"{notebook.name} no longer defines {GRAD_CAM - namespace.keys()}"
    return namespace


def _brightness_model() -> nn.Sequential:
    """Class 0's score is the picture's mean brightness, class 1's its negative: the evidence for class 0 is
    exactly where the picture is bright, and there is none for class 1."""
    conv = nn.Conv2d(3, 1, kernel_size=1, bias=False)
    features = nn.Sequential(conv, nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    head = nn.Linear(1, 2, bias=False)
    with torch.no_grad():
        conv.weight.fill_(1 / 3)
        head.weight.copy_(torch.tensor([[1.0], [-1.0]]))
    return nn.Sequential(OrderedDict(features=features, head=head)).eval()


@pytest.mark.parametrize("notebook", GRAD_CAM_NOTEBOOKS, ids=lambda p: p.name)
def test_grad_cam_lights_up_where_the_evidence_is(notebook: Path) -> None:
    lesson = lesson_functions(notebook)
    grad_cam, layer, net = lesson["grad_cam"], lesson["last_conv_layer"], _brightness_model()
    net.features.requires_grad_(False)  # a frozen backbone, as in lesson 03's models
    batch = torch.zeros(2, 3, 32, 32)
    batch[0, :, 20:30, 4:14] = 1.0  # a bright patch low in the picture
    batch[1, :, 2:10, 18:30] = 1.0  # and one high up
    heat = grad_cam(net, layer(net), batch, torch.tensor([0, 0]))
    assert heat.shape == (2, 32, 32) and float(heat.max()) == pytest.approx(1.0)
    share = lesson["lower_face_share"](heat.numpy())
    assert share[0] > 0.99 and share[1] < 0.01, "the heat sits on the bright patch, nowhere else"
    assert float(heat[0, 20:30, 4:14].min()) == pytest.approx(1.0) and float(heat[0, :20].max()) == 0.0
    against = grad_cam(net, layer(net), batch, torch.tensor([1, 1]))
    assert float(against.abs().max()) == 0.0, "no evidence for class 1: brightness only lowers its score"
    assert all(p.grad is None for p in net.parameters()), "explaining changes no weight"
    tinted = lesson["overlay"](np.zeros((64, 64, 3), dtype=np.uint8), lesson["upsample"](heat, 64)[0])
    assert tinted.shape == (64, 64, 3) and tinted.dtype == np.uint8
    assert tinted[40:60, 8:28, 0].min() > 0 and tinted[:32, :, 0].max() == 0, "red where the heat is"
