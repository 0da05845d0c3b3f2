"""A trained classifier as one ONNX file that OpenCV's DNN module runs without PyTorch.

Lesson 08 writes `Deployable` (RGB pixels 0-255 in, probabilities out: normalisation and softmax travel inside
the file and cannot be forgotten by the app that uses it) and `write_onnx` (the `torch.onnx.export` call), and
this module keeps identical copies (a test checks). `export_onnx` is the lesson's steps packaged for the
benchmarks and apps, with a JSON file beside the model that records its classes, input size and origin;
`OnnxMaskModel` reads both back.
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


# Kept identical in notebooks/08_video_and_webcam.ipynb (the lesson writes it).
class Deployable(nn.Module):
    """Pixels as a camera gives them in (RGB, 0-255), probabilities out: the normalisation the network was
    trained with and the softmax travel inside the graph, so an app cannot forget them or get them wrong."""

    def __init__(self, model: nn.Module, mean: Sequence[float], std: Sequence[float]) -> None:
        super().__init__()
        self.model = model
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        scaled = images / 255  # eval_batch's arithmetic: to 0-1, minus the mean, over the std
        return self.model((scaled - self.mean) / self.std).softmax(dim=1)


# Kept identical in notebooks/08_video_and_webcam.ipynb (the lesson writes it).
def write_onnx(wrapper: nn.Module, image_size: int, path: str | Path) -> None:
    """The wrapper as one ONNX file, traced on one example image; the batch axis stays free, so an app can
    send any number of faces, and the input and output have names an app uses to feed it and read it."""
    example = torch.zeros(1, 3, image_size, image_size)  # only its shape matters: the trace records the ops
    with warnings.catch_warnings():  # its notices that it is not the default: we chose it (dynamo=False)
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            wrapper, (example,), path,  # the module, its example input as a tuple, the file
            input_names=["image"], output_names=["probabilities"],
            dynamic_axes={"image": {0: "batch"}, "probabilities": {0: "batch"}},  # axis 0 of each is free
            opset_version=17,  # the version of ONNX's operator set: one that OpenCV's DNN module reads
            dynamo=False,  # the TorchScript exporter needs only onnx; the default (dynamo) needs onnxscript
        )


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def export_onnx(model: MaskModel, path: str | Path) -> Path:
    """Lesson 08's steps packaged: Deployable around a CPU copy of the network, write_onnx, and the facts an
    app needs in <path>.json (the model's own classes, its input size); written beside, then renamed."""
    if importlib.util.find_spec("onnx") is None:
        raise RuntimeError("exporting to ONNX needs the onnx package: pip install onnx")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wrapper = Deployable(copy.deepcopy(model.net).cpu().float(), model.mean, model.std).eval()
    part = path.with_name(path.name + ".part")
    write_onnx(wrapper, model.image_size, part)
    facts = {
        "class_names": list(getattr(model, "class_names", CLASS_NAMES)),
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
