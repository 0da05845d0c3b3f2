"""Finding faces with OpenCV's YuNet, whose ONNX file ships in helpers/assets (MIT licence)."""

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

import cv2
import numpy as np
import torch
from torchvision.ops import box_convert, nms

from helpers.boxes import clip_box
from helpers.downloads import looks_like_html, sha256_file
from helpers.images import read_image
from helpers.runtime import work_dir

YUNET_ENV = "MASK_YUNET_MODEL"
YUNET_SHA256 = "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4"
PACKAGED_YUNET = Path(__file__).resolve().parent / "assets" / "face_detection_yunet_2023mar.onnx"
YUNET_URL = f"https://github.com/opencv/opencv_zoo/raw/main/models/face_detection_yunet/{PACKAGED_YUNET.name}"
MAX_SIDE, MIN_SIDE = 640, 320  # YuNet finds faces of 10-300 px: big pictures are shrunk, small ones grown
# From benchmarks/scenes.py (evaluation: boxes to 0.3 for AP) and video_fps.py (480 px: 2x as fast, as good)
DETECTOR_SETTINGS: dict[str, dict] = {
    "photo": {"max_side": MAX_SIDE, "score_threshold": 0.5, "upscale_to": 1280, "fit_boxes": True},
    "evaluation": {"max_side": MAX_SIDE, "score_threshold": 0.3, "upscale_to": 1280, "fit_boxes": True},
    "video": {"max_side": 480, "score_threshold": 0.6, "upscale_to": None, "fit_boxes": True},
    "one pass": {"max_side": MAX_SIDE, "score_threshold": 0.6, "upscale_to": None, "fit_boxes": False},
}
# YuNet's boxes to annotators' (lower, less tall): medians on train photos (benchmarks/scenes.py --fit-boxes)
BOX_FIT = (0.027, 0.125, 1.048, 0.913)
# A photo answer's confidence: detector score ** SCORE_POWER * class probability (benchmarks/scenes.py).
SCORE_POWER = 3


class DetectorUnavailableError(RuntimeError):
    """A detector cannot run here; the message says why and what to do instead."""


@dataclass(frozen=True)
class Face:
    """One detected face: its box in image pixels (x, y, width, height), clipped to the image."""

    box: tuple[int, int, int, int]
    score: float | None  # the detector's confidence; None draws no score (lesson 9's annotated boxes)


class FaceDetector(Protocol):
    name: str
    description: str

    def detect(self, image: np.ndarray) -> list[Face]:
        """Faces in an RGB uint8 image (H x W x 3), left to right."""


# Kept identical in notebooks/07_opencv_face_highlighting.ipynb (the lesson writes it).
def detection_scale(width: int, height: int, max_side: int = MAX_SIDE, min_side: int = MIN_SIDE) -> float:
    """YuNet finds faces of about 10-300 px: big pictures are shrunk (faster too), small ones grown."""
    longest = max(width, height)
    return max_side / longest if longest > max_side else max(1.0, min_side / longest)


# Kept identical in notebooks/07_opencv_face_highlighting.ipynb (the lesson writes it).
def detect_faces(net: cv2.FaceDetectorYN, image: np.ndarray, scale: float) -> list[Face]:
    """Every face YuNet finds in an RGB picture resized by `scale`, boxed in its own pixels, left to right."""
    height, width = image.shape[:2]
    size = (round(width * scale), round(height * scale))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    net.setInputSize(size)  # YuNet must know the size of the picture it gets
    _, rows = net.detect(cv2.cvtColor(small, cv2.COLOR_RGB2BGR))  # OpenCV works in BGR order
    rows = rows if rows is not None else np.zeros((0, 15), np.float32)  # None: no face at all
    boxes = [clip_box(row[:4] / scale, width, height) for row in rows]  # back to the picture's pixels
    faces = [Face(box, float(row[14])) for box, row in zip(boxes, rows, strict=True) if box is not None]
    return sorted(faces, key=lambda face: face.box[0])


@contextlib.contextmanager
def quiet_opencv() -> Iterator[None]:
    """Hide OpenCV's log lines (pages of them for a missing camera): the course says what went wrong."""
    level = cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # returns the level it replaces
    try:
        yield
    finally:
        cv2.utils.logging.setLogLevel(level)


def yunet_model_path(path: str | Path | None = None) -> Path:
    """YuNet's file: the path given, MASK_YUNET_MODEL, or the packaged copy or a download (sha256 checked)."""
    if given := path or os.environ.get(YUNET_ENV):
        path = Path(given).expanduser()
        if not path.is_file() or looks_like_html(path):
            problem = "a folder" if path.is_dir() else "an HTML page" if path.is_file() else "no such file"
            raise DetectorUnavailableError(f"{path}: {problem}; expected YuNet's .onnx, or {YUNET_ENV} unset")
        return path
    for copy in (PACKAGED_YUNET, work_dir() / "models" / PACKAGED_YUNET.name):
        if copy.is_file() and sha256_file(copy) == YUNET_SHA256:
            return copy
    print(f"The packaged YuNet file is missing or damaged: downloading it from {YUNET_URL}")
    copy.parent.mkdir(parents=True, exist_ok=True)
    try:  # torch.hub's download: the sha256 is checked before the file gets its name
        torch.hub.download_url_to_file(YUNET_URL, str(copy), hash_prefix=YUNET_SHA256, progress=False)
    except (OSError, RuntimeError) as exc:
        why = f"YuNet's packaged file is missing or damaged and {YUNET_URL} could not be fetched ({exc})"
        fix = f"give a copy of {PACKAGED_YUNET.name} by path or {YUNET_ENV}"
        raise DetectorUnavailableError(f"{why}; {fix}") from None
    return copy


@dataclass
class YuNetDetector:
    """YuNet for photos: a second pass (upscale_to px) finds small faces; fit_boxes moves boxes by BOX_FIT."""

    model_path: str | Path | None = None
    score_threshold: float = 0.5
    max_side: int = MAX_SIDE
    min_side: int = MIN_SIDE
    upscale_to: int | None = 1280
    fit_boxes: bool = True
    name: ClassVar[str] = "YuNet"

    @quiet_opencv()  # OpenCV 5 logs a warning as the model loads
    def __post_init__(self) -> None:
        path = self.model_path = yunet_model_path(self.model_path)
        self.description = f"YuNet ({path.name})"
        try:
            self.net = cv2.FaceDetectorYN.create(str(path), "", (320, 320), self.score_threshold)
        except cv2.error as exc:
            why = f"OpenCV cannot load it as a YuNet model ({str(exc).strip()[-120:]})"
            raise DetectorUnavailableError(f"{path}: {why}") from None

    def detect(self, image: np.ndarray) -> list[Face]:
        image = read_image(image)  # a clear error for anything but a picture
        height, width = image.shape[:2]
        first = detection_scale(width, height, self.max_side, self.min_side)
        faces = detect_faces(self.net, image, first)
        longest = max(width, height)
        second = min(self.upscale_to or 0, 4 * longest)  # grown more, specks of a portrait look like faces
        if longest * first < 0.9 * second:  # NMS: of boxes overlapping by IoU > 0.45, the best-scored stays
            faces += detect_faces(self.net, image, second / longest)
            boxes = torch.tensor([f.box for f in faces], dtype=torch.float32).view(-1, 4)
            kept = nms(box_convert(boxes, "xywh", "xyxy"), torch.tensor([f.score for f in faces]), 0.45)
            faces = sorted((faces[i] for i in kept.tolist()), key=lambda face: face.box[0])
        if self.fit_boxes:  # a box moved out of the picture goes
            faces = [Face(box, f.score) for f in faces if (box := fit_box(f.box, width, height)) is not None]
        return faces


def fit_box(box: tuple[int, int, int, int], width: int, height: int) -> tuple[int, int, int, int] | None:
    """A YuNet box moved and scaled by BOX_FIT to where annotators put it, cut to the picture."""
    x, y, w, h = box
    right, down, wide, tall = BOX_FIT  # centre shift (in box sizes), width and height scale
    centre_x, centre_y = x + w / 2 + right * w, y + h / 2 + down * h
    return clip_box((centre_x - wide * w / 2, centre_y - tall * h / 2, wide * w, tall * h), width, height)
