"""A classifier as one ONNX file that OpenCV runs without PyTorch: lesson 08's export, packaged for apps."""

import copy
import json
import warnings
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from helpers.inference import MaskModel
from helpers.preprocess import to_batch


# Kept identical in notebooks/08_video_and_webcam.ipynb (the lesson writes it).
class Deployable(nn.Module):
    """Pixels in as a camera gives them (RGB, 0-255), probabilities out: the preprocessing is in the graph."""

    def __init__(self, model: nn.Module, mean: Sequence[float], std: Sequence[float]) -> None:
        super().__init__()
        self.model = model
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.model((images / 255 - self.mean) / self.std).softmax(dim=1)  # eval_batch's arithmetic


# Kept identical in notebooks/08_video_and_webcam.ipynb (the lesson writes it).
def write_onnx(wrapper: nn.Module, image_size: int, path: str | Path) -> None:
    """The wrapper as one ONNX file, traced on one example image, with named ends and a free batch axis."""
    example = torch.zeros(1, 3, image_size, image_size)  # only its shape matters: the trace records the ops
    with warnings.catch_warnings(action="ignore", category=DeprecationWarning):  # "not the default": we know
        torch.onnx.export(
            wrapper, (example,), path,  # the module, its example input as a tuple, the file
            input_names=["image"], output_names=["probabilities"],
            dynamic_axes={"image": {0: "batch"}, "probabilities": {0: "batch"}},  # axis 0 of each is free
            opset_version=17,  # the version of ONNX's operator set: one that OpenCV's DNN module reads
            dynamo=False,  # the TorchScript exporter needs only onnx; the default (dynamo) needs onnxscript
        )


def export_onnx(model: MaskModel, path: str | Path) -> Path:
    """Lesson 08's export of a CPU copy, and <path>.json with what an app needs; no half file if it fails."""
    path, size = Path(path), model.image_size
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    write_onnx(Deployable(copy.deepcopy(model.net).cpu().float(), model.mean, model.std).eval(), size, part)
    facts = {"class_names": list(model.class_names), "image_size": size, "model": model.describe()}
    facts["input"] = f"RGB pixels 0-255 as float32, N x 3 x {size} x {size}; out: probabilities, N x classes"
    Path(f"{path}.json").write_text(json.dumps(facts, indent=2))
    part.replace(path)
    return path


class OnnxMaskModel:
    """The exported model run by cv2.dnn, with MaskModel's class_names and probabilities(crops)."""

    def __init__(self, path: str | Path) -> None:
        path, sidecar = Path(path), Path(f"{path}.json")
        if not path.is_file() or not sidecar.is_file():
            raise ValueError(f"{path}: expected an exported model and its {sidecar.name} beside it")
        self.facts = json.loads(sidecar.read_text())
        self.image_size, self.class_names = int(self.facts["image_size"]), tuple(self.facts["class_names"])
        try:
            self.net = cv2.dnn.readNetFromONNX(str(path))
        except cv2.error as exc:
            raise ValueError(f"{path}: OpenCV cannot read it as ONNX ({str(exc).strip()[-120:]})") from None

    def probabilities(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """Pictures of any size -> N x classes, resized as in training (the course's one resize)."""
        if not crops:
            return np.zeros((0, len(self.class_names)), dtype=np.float32)
        self.net.setInput(to_batch(list(crops), self.image_size).numpy().astype(np.float32))
        return self.net.forward()
