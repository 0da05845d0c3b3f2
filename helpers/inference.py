"""Using a trained model: one image or a folder (run_app), and every face in a picture (classify_faces).

A model trained on face crops must be shown face crops: with a face detector, each face is cut out with a
margin like the training images have, all faces of a picture go through the model in one batch, and the
answer says which region was looked at. Without a detector the whole image is classified, and that is said.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image

from helpers.data import CLASS_NAMES
from helpers.faces import Face, FaceDetector, default_detector
from helpers.images import ImageLoadError, is_junk, load_rgb
from helpers.models import MaskClassifier
from helpers.runtime import display_path, pick_device
from helpers.samples import expand_box
from helpers.training import load_checkpoint, predict_probabilities

# Share of the face box added on each side before cropping: face-mask datasets frame faces with some
# forehead, chin and cheek around them, while YuNet's box is tight (brows to chin).
FACE_MARGIN = 0.2
UNSURE_BELOW = 0.65  # answers less confident than this are worded as a guess
LABEL_TEXT = {"mask": "mask", "no_mask": "no mask"}
LABEL_RGB = {"mask": (0, 160, 60), "no_mask": (220, 40, 40)}  # boxes: green for mask, red for no mask
AUTO = "auto"


@dataclass
class MaskModel:
    """A trained classifier with what prediction needs: its input size, device and where it came from."""

    model: MaskClassifier
    image_size: int
    name: str
    weights: str
    data: str

    def describe(self) -> str:
        data = self.data.removeprefix("Data: ")
        facts = f"{self.model.backbone} at {self.image_size} px, weights {self.weights}"
        return f"{self.name}: {facts}; trained on {data}"

    def p_mask(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """P(mask) for RGB uint8 crops of any size, as one batch: one forward pass per frame."""
        if not crops:
            return np.zeros(0, dtype=np.float32)
        batch = crops_to_batch(crops, self.image_size)
        probabilities = predict_probabilities(self.model, batch, self.image_size)
        return probabilities[:, CLASS_NAMES.index("mask")].numpy()


def resize_crops(crops: Sequence[np.ndarray], size: int) -> np.ndarray:
    """RGB uint8 crops of any size -> uint8 N x size x size x 3, squashed to a square."""
    return np.stack(
        [
            cv2.resize(
                crop,
                (size, size),
                interpolation=cv2.INTER_AREA if min(crop.shape[:2]) > size else cv2.INTER_LINEAR,
            )
            for crop in crops
        ]
    )


def crops_to_batch(crops: Sequence[np.ndarray], size: int) -> torch.Tensor:
    """The same as a uint8 tensor N x 3 x size x size, the layout the training cache uses."""
    return torch.from_numpy(resize_crops(crops, size)).permute(0, 3, 1, 2).contiguous()


def load_mask_model(
    checkpoint: str | Path | None = None, device: torch.device | str | None = None
) -> MaskModel:
    """A checkpoint file, or (None) the course's best model for the data in use, trained now if none."""
    if checkpoint is None:
        from helpers.evaluation import course_model

        checkpoint = course_model().path
    model, info = load_checkpoint(checkpoint, device=device or pick_device())
    data = (info.get("data") or {}).get("description", "unknown data")
    return MaskModel(model, int(info["image_size"]), Path(checkpoint).stem, model.weights, data)


# ----------------------------------------------------------------------------------------------- inputs
def read_image(source: str | Path | np.ndarray | Image.Image) -> np.ndarray:
    """A path, PIL image or array -> RGB uint8 H x W x 3; a clear error naming the file or value if not."""
    if isinstance(source, Image.Image):
        return np.asarray(source.convert("RGB"))
    if isinstance(source, np.ndarray):
        return _array_to_rgb(source)
    if isinstance(source, str | Path):
        return np.asarray(load_rgb(source))
    raise TypeError(f"expected an image path, a PIL image or a numpy array, got {type(source).__name__}")


def _array_to_rgb(array: np.ndarray) -> np.ndarray:
    """Arrays are read as RGB (as PIL and matplotlib give them); convert OpenCV's BGR with cvtColor first."""
    shape = f"array of shape {array.shape} and dtype {array.dtype}"
    if array.ndim == 2:
        array = array[:, :, None].repeat(3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4) or array.size == 0:
        raise ValueError(f"{shape}: expected an image, H x W (grey), H x W x 3 (RGB) or H x W x 4 (RGBA)")
    if array.dtype != np.uint8:
        if not np.issubdtype(array.dtype, np.floating) or not np.isfinite(array).all():
            raise ValueError(f"{shape}: expected uint8 0-255, or floats 0-1")
        if array.min() < 0 or array.max() > 1:
            raise ValueError(
                f"{shape}: float images must be scaled 0-1 (got {array.min():.3g} to {array.max():.3g})"
            )
        array = np.round(array * 255).astype(np.uint8)
    return np.ascontiguousarray(array[:, :, :3])


IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


def image_files(folder: str | Path) -> list[Path]:
    """The images in a folder (not its subfolders), by name; junk like .DS_Store is left out."""
    folder = Path(folder)
    files = sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not is_junk(p)
    )
    if not files:
        raise ImageLoadError(
            folder, f"a folder with no images (expected files ending {', '.join(sorted(IMAGE_SUFFIXES))})"
        )
    return files


# ----------------------------------------------------------------------------------------------- predicting
@dataclass(frozen=True)
class Prediction:
    """The model's answer for one face or image."""

    label: str  # "mask" or "no_mask"
    probability: float  # of that label
    p_mask: float
    box: tuple[int, int, int, int] | None = None  # (x, y, w, h) of the face, None for the whole image
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


def face_crops(image: np.ndarray, faces: Sequence[Face], margin: float = FACE_MARGIN) -> list[np.ndarray]:
    height, width = image.shape[:2]
    crops = []
    for face in faces:
        x0, y0, x1, y1 = expand_box(face.box, margin, width, height)
        crops.append(image[y0:y1, x0:x1])
    return crops


def classify_detected(
    image: np.ndarray,
    faces: Sequence[Face],
    model: MaskModel,
    detector_name: str,
    margin: float = FACE_MARGIN,
) -> list[Prediction]:
    """The faces a detector found, classified in one batch (one forward pass however many faces)."""
    p_mask = model.p_mask(face_crops(image, faces, margin))
    return [
        Prediction.from_p_mask(
            p, box=face.box, detector_score=face.score, region=f"face found by {detector_name}"
        )
        for face, p in zip(faces, p_mask, strict=True)
    ]


def classify_faces(
    image: str | Path | np.ndarray | Image.Image,
    model: MaskModel,
    detector: FaceDetector,
    margin: float = FACE_MARGIN,
) -> list[Prediction]:
    """Every face the detector finds in a picture, with its label; left to right."""
    image = read_image(image)
    return classify_detected(image, detector.detect(image), model, detector.name, margin)


@functools.lru_cache(maxsize=1)
def default_model() -> MaskModel:
    """The course's best model, loaded once per session."""
    return load_mask_model()


@functools.lru_cache(maxsize=1)
def _auto_detector() -> FaceDetector | None:
    """The best detector this machine has, looked for once per session (no download retried per image)."""
    return default_detector(verbose=False)


def _detector(detector: FaceDetector | str | None) -> FaceDetector | None:
    return _auto_detector() if detector == AUTO else detector  # type: ignore[return-value]


def predict_image(
    source: str | Path | np.ndarray | Image.Image,
    model: MaskModel | None = None,
    detector: FaceDetector | str | None = AUTO,
    margin: float = FACE_MARGIN,
) -> Prediction:
    """Mask or no mask for the person in a picture: the largest face found, else the whole image.

    detector="auto" uses YuNet (or Haar) when available; None always classifies the whole image.
    """
    image = read_image(source)
    model = model or default_model()
    found = _detector(detector)
    faces = found.detect(image) if found is not None else []
    if faces:
        largest = max(faces, key=lambda face: face.box[2] * face.box[3])
        (p,) = model.p_mask(face_crops(image, [largest], margin))
        region = f"largest of {len(faces)} face(s) found by {found.name}"
        return Prediction.from_p_mask(p, box=largest.box, detector_score=largest.score, region=region)
    (p,) = model.p_mask([image])
    why = f"{found.name} found no face" if found is not None else "no face detector"
    return Prediction.from_p_mask(p, region=f"whole image ({why})")


def message(prediction: Prediction) -> str:
    """A friendly, gender-neutral sentence for a person reading the result."""
    sure = f"{prediction.probability:.0%} sure"
    if prediction.label == "mask":
        text = f"Mask on: the person in this picture is wearing a face mask ({sure})."
    else:
        text = f"No mask: the person in this picture does not seem to be wearing a face mask ({sure})."
    if prediction.probability < UNSURE_BELOW:
        text += " The model is unsure; a clearer, closer photo of the face would help."
    return text


# ----------------------------------------------------------------------------------------------- drawing
def annotate(image: np.ndarray, predictions: Sequence[Prediction]) -> np.ndarray:
    """A copy with a box and "mask 97%" / "no mask 88%" per face, green for mask, red for no mask (the words
    carry the answer too, for readers who do not see red and green apart)."""
    out = read_image(image).copy()
    scale = max(out.shape[:2]) / 640
    thickness = max(1, round(2 * scale))
    for prediction in predictions:
        colour = LABEL_RGB[prediction.label]
        text = f"{LABEL_TEXT[prediction.label]} {prediction.probability:.0%}"
        if prediction.box is None:  # a whole-image answer: a banner in the corner says so
            _label(out, f"whole image: {text}", (0, 0), colour, scale)
            continue
        x, y, w, h = prediction.box
        cv2.rectangle(out, (x, y), (x + w - 1, y + h - 1), colour, thickness)
        _label(out, text, (x, y), colour, scale)
    return out


def _label(
    image: np.ndarray, text: str, corner: tuple[int, int], colour: tuple[int, int, int], scale: float
) -> None:
    """Text on a filled bar above the box (inside it when the box touches the top edge)."""
    font, font_scale, weight = cv2.FONT_HERSHEY_SIMPLEX, max(0.4, 0.6 * scale), max(1, round(1.5 * scale))
    (text_w, text_h), baseline = cv2.getTextSize(text, font, font_scale, weight)
    x, y = corner
    top = y - text_h - baseline - 4 if y - text_h - baseline - 4 >= 0 else y
    cv2.rectangle(image, (x, top), (x + text_w + 4, top + text_h + baseline + 4), colour, cv2.FILLED)
    cv2.putText(
        image, text, (x + 2, top + text_h + 2), font, font_scale, (255, 255, 255), weight, cv2.LINE_AA
    )


def show_prediction(image: np.ndarray, prediction: Prediction, title: str = "") -> None:
    """matplotlib, not cv2.imshow: it works in headless notebooks, Kaggle and CI."""
    show_predictions([(image, prediction, title)], columns=1, size=5.0)


def show_predictions(
    items: Sequence[tuple[np.ndarray, Prediction, str]], title: str = "", columns: int = 4, size: float = 3.0
) -> None:
    """Annotated images in one figure (a folder's worth), each titled with its name and answer."""
    import matplotlib.pyplot as plt

    from helpers.plots import show_images

    images = [annotate(image, [prediction]) for image, prediction, _ in items]
    titles = [
        f"{name[:28]}\n{LABEL_TEXT[prediction.label]} ({prediction.probability:.0%})".strip()
        for _, prediction, name in items
    ]
    show_images(images, titles, columns=columns, title=title, size=size)
    plt.show()


# ----------------------------------------------------------------------------------------------- the app
@dataclass(frozen=True)
class AppResult:
    path: Path
    prediction: Prediction | None
    error: str | None = None


def run_app(
    img_path: str | Path,
    model: MaskModel | None = None,
    detector: FaceDetector | str | None = AUTO,
    show: bool = True,
) -> list[AppResult]:
    """Say whether the person in a photo wears a mask, and show the photo; a folder does each image in it.

    A missing path or a folder without images raises ImageLoadError naming it; in a folder, an unreadable
    image is reported on its line and the others still run.
    """
    path = Path(img_path)
    if not path.exists():
        raise ImageLoadError(path, "no such file or folder")
    files = image_files(path) if path.is_dir() else [path]
    model = model or default_model()
    results, shown = [], []
    for file in files:
        try:
            image = read_image(file)
        except ImageLoadError as exc:
            if not path.is_dir():
                raise
            print(f"{display_path(file)}: skipped, {exc.reason}")
            results.append(AppResult(file, None, exc.reason))
            continue
        prediction = predict_image(image, model, detector)
        print(f"{display_path(file)}: {message(prediction)} [{prediction.region}]")
        if show and not path.is_dir():
            show_prediction(image, prediction, file.name)
        shown.append((image, prediction, file.name))
        results.append(AppResult(file, prediction))
    if show and path.is_dir() and shown:
        show_predictions(shown, title=display_path(path))
    return results
