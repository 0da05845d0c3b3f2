"""A trained classifier as one ONNX file that OpenCV's DNN module runs without PyTorch.

The exported graph takes what a camera gives: RGB pixels 0-255 as floats, N x 3 x S x S, and returns the
class probabilities, so normalisation and softmax travel inside the file and cannot be forgotten by the app
that uses it. A small JSON file beside it records the classes, the input size and the weights' origin.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from helpers.constants import CLASS_NAMES
from helpers.inference import MaskModel
from helpers.preprocess import to_batch

OPSET = 17


class Deployable(nn.Module):
    """RGB 0-255 in, probabilities out: helpers.preprocess.eval_batch's arithmetic (scale to 0-1, subtract
    the mean, divide by the standard deviation), then the network, then softmax, all inside the graph."""

    def __init__(self, model: nn.Module, mean: Sequence[float], std: Sequence[float]) -> None:
        super().__init__()
        self.model = model
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.model((images * (1.0 / 255.0) - self.mean) / self.std).softmax(dim=1)


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def export_onnx(model: MaskModel, path: str | Path) -> Path:
    """Write model as ONNX (batch size free) plus its facts in <path>.json; written beside, then renamed."""
    if importlib.util.find_spec("onnx") is None:
        raise RuntimeError("exporting to ONNX needs the onnx package: pip install onnx")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wrapper = Deployable(copy.deepcopy(model.net).cpu().float(), model.mean, model.std).eval()
    example = torch.zeros(1, 3, model.image_size, model.image_size)
    part = path.with_name(path.name + ".part")
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore"
        )  # the TorchScript exporter's deprecation notice; it needs no onnxscript
        torch.onnx.export(
            wrapper,
            (example,),
            str(part),
            dynamo=False,
            input_names=["image"],
            output_names=["probabilities"],
            dynamic_axes={"image": {0: "batch"}, "probabilities": {0: "batch"}},
            opset_version=OPSET,
        )
    facts = {
        "class_names": list(CLASS_NAMES),
        "image_size": model.image_size,
        "input": f"RGB pixels 0-255 as float32, N x 3 x {model.image_size} x {model.image_size}",
        "output": "probabilities, N x classes",
        "backbone": model.net.backbone,
        "weights": model.weights,
        "checkpoint": model.name,
        "data": model.data,
    }
    sidecar_path(path).write_text(json.dumps(facts, indent=2))
    os.replace(part, path)
    return path


class OnnxMaskModel:
    """The exported model run by cv2.dnn: the same p_mask() as MaskModel, so FrameAnnotator takes either."""

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        if not path.is_file() or not sidecar_path(path).is_file():
            raise ValueError(
                f"{path}: expected an exported model and its {sidecar_path(path).name} beside it"
            )
        self.path = path
        self.facts = json.loads(sidecar_path(path).read_text())
        self.image_size = int(self.facts["image_size"])
        self.name = f"{self.facts['checkpoint']} (ONNX, OpenCV DNN)"
        try:
            self.net = cv2.dnn.readNetFromONNX(str(path))
        except cv2.error as exc:
            raise ValueError(f"{path}: OpenCV cannot read it as ONNX ({str(exc).strip()[-120:]})") from None

    def probabilities(self, batch: np.ndarray) -> np.ndarray:
        """uint8 or float N x 3 x S x S RGB -> N x classes."""
        self.net.setInput(np.ascontiguousarray(batch, dtype=np.float32))
        return self.net.forward()

    def p_mask(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        if not crops:
            return np.zeros(0, dtype=np.float32)
        batch = to_batch(crops, self.image_size).numpy()  # the course's one resize, as in training
        return self.probabilities(batch)[:, self.facts["class_names"].index("mask")]
