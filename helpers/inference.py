"""A trained model on pictures (lessons 06 and 07): `MaskModel`, a checkpoint ready to use; `Prediction`."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from helpers.boxes import crop_face
from helpers.checkpoints import load_checkpoint
from helpers.constants import CLASS_NAMES, FACE_MARGIN, UNSURE_BELOW
from helpers.faces import FaceDetector
from helpers.images import read_image
from helpers.preprocess import eval_batch, to_batch
from helpers.runtime import pick_device


@dataclass
class MaskModel:
    """A trained classifier with its input size and normalisation (from its checkpoint) and its origin."""

    net: nn.Module
    image_size: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    name: str
    weights: str
    data: str
    class_names: tuple[str, ...] = CLASS_NAMES

    def describe(self) -> str:
        facts = f"{self.net.backbone} at {self.image_size} px, weights {self.weights}"
        return f"{self.name}: {facts}; trained on {self.data.removeprefix('Data: ')}"

    def inputs(self, crops: list[np.ndarray]) -> torch.Tensor:
        """Pictures of any size -> the normalised batch the network was trained on (helpers.preprocess)."""
        batch = eval_batch(to_batch(crops, self.image_size), self.mean, self.std)
        return batch.to(next(self.net.parameters()).device)

    def probabilities(self, crops: list[np.ndarray]) -> np.ndarray:
        return class_probabilities(self, crops)


def load_mask_model(checkpoint: str | Path, device: torch.device | str | None = None) -> MaskModel:
    """A checkpoint file -> a MaskModel in eval mode; CheckpointError names the file if it cannot be used."""
    net, info = load_checkpoint(checkpoint, device=device or pick_device())
    norm, data = info["normalization"], (info.get("data") or {}).get("description", "unknown data")
    size, name, classes = int(info["image_size"]), Path(checkpoint).stem, tuple(info["class_names"])
    return MaskModel(net, size, tuple(norm["mean"]), tuple(norm["std"]), name, net.weights, data, classes)


@dataclass(frozen=True)
class Prediction:
    """The model's answer for one face or picture."""

    label: str  # "mask" or "no_mask" ("incorrect" from a three-class model: a mask below the nose)
    probability: float  # of that label
    p_mask: float
    box: tuple[int, int, int, int] | None = None  # (x, y, w, h) of the face, None for the whole picture
    detector_score: float | None = None
    region: str = "whole image"

    @classmethod
    def from_probabilities(cls, row: np.ndarray, classes: tuple[str, ...], **facts: object) -> "Prediction":
        """The most probable of the classes (a checkpoint's class names) for one row of probabilities."""
        k = int(np.argmax(row))  # with two classes: "mask" when P(mask) >= 0.5
        return cls(classes[k], float(row[k]), float(row[classes.index("mask")]), **facts)


# Kept identical in notebooks/06_run_app.ipynb (the lesson writes it).
@torch.inference_mode()
def class_probabilities(model: MaskModel, crops: list[np.ndarray]) -> np.ndarray:
    """Each class's probability (model.class_names) per picture, in one batch, prepared as in training."""
    if not crops:
        return np.zeros((0, len(model.class_names)), dtype=np.float32)
    model.net.eval()
    logits = model.net(model.inputs(crops))  # one score per class and picture
    probabilities = logits.softmax(dim=1)  # scores -> probabilities that add up to 1
    return probabilities.float().cpu().numpy()


# Kept identical in notebooks/06_run_app.ipynb (the lesson writes it).
def predict_image(image: np.ndarray, model: MaskModel, detector: FaceDetector | None) -> Prediction:
    """Mask or no mask for the person in a picture: the largest face found, else the whole picture."""
    image = read_image(image)  # a path, PIL image or array -> RGB uint8, or a clear error
    faces = detector.detect(image) if detector is not None else []
    if not faces:
        why = "no face detector" if detector is None else f"{detector.name} found no face"
        (row,) = class_probabilities(model, [image])
        return Prediction.from_probabilities(row, model.class_names, region=f"whole image ({why})")
    face = max(faces, key=lambda face: face.box[2] * face.box[3])
    (row,) = class_probabilities(model, [crop_face(image, face.box)])
    region = f"largest of {len(faces)} face(s) found by {detector.name}"
    facts = {"box": face.box, "detector_score": face.score, "region": region}
    return Prediction.from_probabilities(row, model.class_names, **facts)


# Kept identical in notebooks/06_run_app.ipynb (the lesson writes it).
def percent(p: float) -> str:
    """A probability as a reader should take it: 0.9994 is "more than 99%", never a certain "100%"."""
    if p > 0.99:
        return "more than 99%"
    if p < 0.01:
        return "less than 1%"
    return f"{p:.0%}"


# Kept identical in notebooks/06_run_app.ipynb (the lesson writes it).
def message(prediction: Prediction) -> str:
    """A friendly, gender-neutral sentence; below 65 % confidence it says the model is unsure."""
    sure = f"{percent(prediction.probability)} sure"
    if prediction.label == "mask":
        text = f"Mask on: the person in this picture is wearing a face mask ({sure})."
    elif prediction.label == "incorrect":
        text = f"Mask worn wrong: the person in this picture wears a mask below the nose ({sure})."
    else:
        text = f"No mask: the person in this picture does not seem to be wearing a face mask ({sure})."
    if prediction.probability < UNSURE_BELOW:
        text += " The model is unsure; a clearer, closer photo of the face would help."
    return text


# Kept identical in notebooks/07_opencv_face_highlighting.ipynb (the lesson writes it).
def classify_faces(
    image: np.ndarray, model: MaskModel, detector: FaceDetector, margin: float = FACE_MARGIN
) -> list[Prediction]:
    """Every face in a picture, cropped with a margin and classified in one batch, left to right."""
    faces = detector.detect(image)
    rows = class_probabilities(model, [crop_face(image, face.box, margin) for face in faces])
    region = f"face ({detector.name})"
    return [
        Prediction.from_probabilities(
            row, model.class_names, box=face.box, detector_score=face.score, region=region
        )
        for face, row in zip(faces, rows, strict=True)
    ]
