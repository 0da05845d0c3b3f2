"""Using a trained model on pictures: one face, one photo, a folder, every face in a scene.

Lesson 06 writes `crop_face`, `mask_probabilities`, `predict_image`, `percent`, `message` and `run_app`;
lesson 07 writes `classify_faces`. This module keeps identical copies (tests/test_lesson_code.py) for the
later lessons and the CLIs.
The plumbing around them: `MaskModel` (a checkpoint loaded with the preprocessing it was trained with) and
`Prediction` (one answer). Predicting never trains: a model comes from a checkpoint file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

from helpers.boxes import crop_face
from helpers.checkpoints import load_checkpoint
from helpers.constants import CLASS_NAMES, FACE_MARGIN, LABEL_TEXT, UNSURE_BELOW
from helpers.faces import FaceDetector
from helpers.images import read_image, read_images
from helpers.preprocess import eval_batch, to_batch
from helpers.runtime import pick_device


@dataclass
class MaskModel:
    """A trained classifier with what prediction needs: its input size and normalisation (read back from
    its checkpoint), its device, and where it came from."""

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

    def p_mask(self, crops: list[np.ndarray]) -> np.ndarray:
        return mask_probabilities(self, crops)


def load_mask_model(checkpoint: str | Path, device: torch.device | str | None = None) -> MaskModel:
    """A checkpoint file -> a MaskModel in eval mode; CheckpointError names the file if it cannot be used."""
    net, info = load_checkpoint(checkpoint, device=device or pick_device())
    norm = info["normalization"]
    data = (info.get("data") or {}).get("description", "unknown data")
    return MaskModel(
        net,
        int(info["image_size"]),
        tuple(norm["mean"]),
        tuple(norm["std"]),
        Path(checkpoint).stem,
        net.weights,
        data,
        tuple(info["class_names"]),
    )


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
    def from_p_mask(cls, p_mask: float, **facts: object) -> Prediction:
        p_mask = float(p_mask)  # numpy float32 in, plain floats out: 1 - p is then the same everywhere
        label = "mask" if p_mask >= 0.5 else "no_mask"
        return cls(label, p_mask if label == "mask" else 1 - p_mask, p_mask, **facts)

    def as_json(self) -> dict:
        facts = asdict(self)
        facts["box"] = list(self.box) if self.box else None
        return {key: round(value, 4) if isinstance(value, float) else value for key, value in facts.items()}


# ----------------------------------------------------------------------------------------------- lesson 06
# Kept identical in notebooks/06_run_app.ipynb (the lesson writes it).
@torch.inference_mode()
def mask_probabilities(model: MaskModel, crops: list[np.ndarray]) -> np.ndarray:
    """P(mask) for pictures of any size, in one batch, resized and normalised exactly as in training."""
    if not crops:
        return np.zeros(0, dtype=np.float32)
    model.net.eval()
    logits = model.net(model.inputs(crops))  # two scores per picture
    probabilities = logits.softmax(dim=1)  # scores -> probabilities that add up to 1
    return probabilities[:, CLASS_NAMES.index("mask")].float().cpu().numpy()


# Kept identical in notebooks/06_run_app.ipynb (the lesson writes it).
def predict_image(image: np.ndarray, model: MaskModel, detector: FaceDetector | None) -> Prediction:
    """Mask or no mask for the person in a picture: the largest face found, else the whole picture."""
    image = read_image(image)  # a path, PIL image or array -> RGB uint8, or a clear error
    faces = detector.detect(image) if detector is not None else []
    if not faces:
        why = "no face detector" if detector is None else f"{detector.name} found no face"
        (p_mask,) = mask_probabilities(model, [image])
        return Prediction.from_p_mask(p_mask, region=f"whole image ({why})")
    face = max(faces, key=lambda face: face.box[2] * face.box[3])
    (p_mask,) = mask_probabilities(model, [crop_face(image, face.box)])
    region = f"largest of {len(faces)} face(s) found by {detector.name}"
    return Prediction.from_p_mask(p_mask, box=face.box, detector_score=face.score, region=region)


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
    else:
        text = f"No mask: the person in this picture does not seem to be wearing a face mask ({sure})."
    if prediction.probability < UNSURE_BELOW:
        text += " The model is unsure; a clearer, closer photo of the face would help."
    return text


# Kept identical in notebooks/06_run_app.ipynb (the lesson writes it).
def run_app(img_path: str | Path, model: MaskModel, detector: FaceDetector | None) -> list[Prediction]:
    """Say whether the person in a photo wears a mask, and show it; a folder does every image in it."""
    answers, shown = [], []
    for name, image in read_images(img_path):  # one file, or every readable image in a folder
        prediction = predict_image(image, model, detector)
        print(f"{name}: {message(prediction)} [{prediction.region}]")
        answers.append(prediction)
        shown.append((image, prediction, name))
    show_predictions(shown)  # matplotlib, not cv2.imshow: it works in notebooks, on Kaggle and in CI
    return answers


# ----------------------------------------------------------------------------------------------- lesson 07
# Kept identical in notebooks/07_opencv_face_highlighting.ipynb (the lesson writes it).
def classify_faces(
    image: np.ndarray, model: MaskModel, detector: FaceDetector, margin: float = FACE_MARGIN
) -> list[Prediction]:
    """Every face in a picture, cropped with a margin and classified in one batch, left to right."""
    faces = detector.detect(image)
    p_mask = mask_probabilities(model, [crop_face(image, face.box, margin) for face in faces])
    return [
        Prediction.from_p_mask(p, box=face.box, detector_score=face.score, region=f"face ({detector.name})")
        for face, p in zip(faces, p_mask, strict=True)
    ]


# ----------------------------------------------------------------------------------------------- 3 classes
@torch.inference_mode()
def class_probabilities(model: MaskModel, crops: list[np.ndarray]) -> np.ndarray:
    """Every class's probability (N x classes): what a three-class model needs beyond P(mask)."""
    if not crops:
        return np.zeros((0, len(model.class_names)), dtype=np.float32)
    model.net.eval()
    return model.net(model.inputs(crops)).softmax(dim=1).float().cpu().numpy()


def with_all_classes(
    model: MaskModel, image: np.ndarray, predictions: list[Prediction], margin: float = FACE_MARGIN
) -> list[Prediction]:
    """A three-class model's answers (mask, no mask, or mask worn wrong) for predictions made with P(mask);
    a two-class model's are returned as they are."""
    if len(model.class_names) == len(CLASS_NAMES) or not predictions:
        return predictions
    crops = [crop_face(image, p.box, margin) if p.box else image for p in predictions]
    answers = []
    for prediction, row in zip(predictions, class_probabilities(model, crops), strict=True):
        k = int(row.argmax())
        answers.append(replace(prediction, label=model.class_names[k], probability=float(row[k])))
    return answers


# ----------------------------------------------------------------------------------------------- showing
def show_predictions(items: list[tuple[np.ndarray, Prediction, str]], columns: int = 4) -> None:
    """Annotated pictures in one figure, each titled with its name and answer."""
    import matplotlib.pyplot as plt

    from helpers.drawing import draw_predictions
    from helpers.plots import show_images

    if not items:
        return
    images = [draw_predictions(image, [prediction]) for image, prediction, _ in items]
    titles = [f"{name[:28]}\n{LABEL_TEXT[p.label]} ({percent(p.probability)})" for _, p, name in items]
    size = 5.0 if len(items) == 1 else 3.0
    show_images(images, titles, columns=min(columns, len(items)), size=size)
    plt.show()
