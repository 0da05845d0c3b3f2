"""Finding faces: OpenCV's YuNet (its ONNX file ships in helpers/assets, MIT licence), and the Haar cascade
where OpenCV still ships it (OpenCV 4). Lesson 07 writes `detection_scale` and `detect_faces`."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

import cv2
import numpy as np
import torch
from torchvision.ops import box_area, box_convert, box_iou

from helpers.boxes import clip_box
from helpers.downloads import looks_like_html, sha256_file
from helpers.images import read_image
from helpers.runtime import work_dir

YUNET_ENV = "MASK_YUNET_MODEL"
YUNET_SHA256 = "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4"
PACKAGED_YUNET = Path(__file__).resolve().parent / "assets" / "face_detection_yunet_2023mar.onnx"
YUNET_URL = f"https://github.com/opencv/opencv_zoo/raw/main/models/face_detection_yunet/{PACKAGED_YUNET.name}"
MAX_SIDE, MIN_SIDE = 640, 320  # YuNet finds faces of 10-300 px: big pictures are shrunk, small ones grown
# Photos: a second pass at 800 px finds crowds' small faces, score 0.5 keeps masked faces, boxes under 14 px
# go: chosen on face-mask-scenes' train and validation photos (benchmarks/scenes.py). Video: one pass at
# 480 px, twice as fast as 640 and as good (benchmarks/video_fps.py).
DETECTOR_SETTINGS: dict[str, dict] = {
    "photo": {"max_side": MAX_SIDE, "score_threshold": 0.5, "upscale_to": 800, "min_face": 14},
    "video": {"max_side": 480, "score_threshold": 0.6, "upscale_to": None, "min_face": 0},
    "one pass": {"max_side": MAX_SIDE, "score_threshold": 0.6, "upscale_to": None, "min_face": 0},
}


class DetectorUnavailableError(RuntimeError):
    """A detector cannot run here; the message says why and what to do instead."""


@dataclass(frozen=True)
class Face:
    """One detected face: its box in image pixels (x, y, width, height), clipped to the image."""

    box: tuple[int, int, int, int]
    score: float | None  # the detector's confidence; the Haar cascade gives none


class FaceDetector(Protocol):
    name: str
    description: str

    def detect(self, image: np.ndarray) -> list[Face]:
        """Faces in an RGB uint8 image (H x W x 3), left to right."""
        ...


# Kept identical in notebooks/07_opencv_face_highlighting.ipynb (the lesson writes it).
def detection_scale(width: int, height: int, max_side: int = MAX_SIDE, min_side: int = MIN_SIDE) -> float:
    """YuNet finds faces of about 10-300 px: big pictures are shrunk (faster too), small ones grown."""
    longest = max(width, height)
    return max_side / longest if longest > max_side else max(1.0, min_side / longest)


# Kept identical in notebooks/07_opencv_face_highlighting.ipynb (the lesson writes it).
def detect_faces(
    net: cv2.FaceDetectorYN, image: np.ndarray, max_side: int = MAX_SIDE, min_side: int = MIN_SIDE
) -> list[Face]:
    """Every face YuNet finds in an RGB picture, as boxes in the picture's own pixels, left to right."""
    height, width = image.shape[:2]
    scale = detection_scale(width, height, max_side, min_side)
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
    """Hide OpenCV's own log lines (pages of them for a missing camera): the course says what went wrong."""
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        cv2.utils.logging.setLogLevel(level)


def yunet_model_path(path: str | Path | None = None) -> Path:
    """The YuNet ONNX file: the path given, else MASK_YUNET_MODEL, else the copy shipped in this package if
    its sha256 is right, else a checked download into <work dir>/models (a damaged copy never loads)."""
    given = path or os.environ.get(YUNET_ENV)
    if given:
        path = Path(given).expanduser()
        if not path.is_file() or looks_like_html(path):
            problem = "a folder" if path.is_dir() else "an HTML page" if path.is_file() else "no such file"
            raise DetectorUnavailableError(
                f"{path}: {problem}, expected YuNet's .onnx file (or leave {YUNET_ENV} unset)"
            )
        return path
    for copy in (PACKAGED_YUNET, work_dir() / "models" / PACKAGED_YUNET.name):
        if copy.is_file() and sha256_file(copy) == YUNET_SHA256:
            return copy
    print(f"The packaged YuNet file is missing or damaged: downloading it from {YUNET_URL}")
    copy.parent.mkdir(parents=True, exist_ok=True)
    try:  # torch.hub's download: the sha256 is checked before the file gets its name
        torch.hub.download_url_to_file(YUNET_URL, str(copy), hash_prefix=YUNET_SHA256, progress=False)
    except (OSError, RuntimeError) as exc:
        raise DetectorUnavailableError(
            f"YuNet's packaged file is missing or damaged and {YUNET_URL} could not be fetched ({exc}); "
            f"give a copy of {PACKAGED_YUNET.name} by path or {YUNET_ENV}"
        ) from None
    return copy


@dataclass
class YuNetDetector:
    """OpenCV's YuNet (a small CNN that also finds masked faces), set for photos: upscale_to is a second pass
    at that longer side for small faces (merged with the first), and boxes under min_face px go."""

    model_path: str | Path | None = None
    score_threshold: float = 0.5
    max_side: int = MAX_SIDE
    min_side: int = MIN_SIDE
    upscale_to: int | None = 800
    min_face: int = 14
    name: ClassVar[str] = "YuNet"

    def __post_init__(self) -> None:
        path = self.model_path = yunet_model_path(self.model_path)
        self.description = f"YuNet ({path.name})"
        try:
            with quiet_opencv():
                self.net = cv2.FaceDetectorYN.create(str(path), "", (320, 320), self.score_threshold)
        except cv2.error as exc:
            why = f"OpenCV cannot load it as a YuNet model ({str(exc).strip()[-120:]})"
            raise DetectorUnavailableError(f"{path}: {why}") from None

    def detect(self, image: np.ndarray) -> list[Face]:
        image = read_image(image)  # a clear error for anything but a picture
        faces = detect_faces(self.net, image, self.max_side, self.min_side)
        first_side = max(image.shape[:2]) * detection_scale(image.shape[1], image.shape[0], self.max_side)
        if self.upscale_to and first_side < 0.9 * self.upscale_to:
            faces = merge_faces(faces + detect_faces(self.net, image, self.upscale_to, self.upscale_to))
        return [face for face in faces if face.box[2] >= self.min_face]


def merge_faces(faces: list[Face], max_overlap: float = 0.3, max_inside: float = 0.6) -> list[Face]:
    """One box per face from several passes: best score first; a box overlapping a kept one (IoU above
    max_overlap, or max_inside of the smaller box: an upscaled pass may box a big face's mask) goes."""
    faces = sorted(faces, key=lambda face: -(face.score or 0.0))
    boxes = box_convert(torch.tensor([f.box for f in faces], dtype=torch.float64).view(-1, 4), "xywh", "xyxy")
    iou, area = box_iou(boxes, boxes), box_area(boxes)[:, None]
    shared = iou * (area + area.T) / (1 + iou)  # IoU = shared / (a + b - shared), solved for shared
    clash = (iou > max_overlap) | (shared > max_inside * torch.minimum(area, area.T))
    kept: list[int] = []
    for i in range(len(faces)):
        kept += [] if clash[i, kept].any() else [i]
    return sorted((faces[i] for i in kept), key=lambda face: face.box[0])


class HaarDetector:
    """The classic Viola-Jones cascade (2001): fast, but it looks for a nose and mouth a mask hides."""

    name = "Haar cascade"

    def __init__(self, max_side: int = MAX_SIDE) -> None:
        folder = Path(getattr(getattr(cv2, "data", None), "haarcascades", "/nowhere"))
        path = folder / "haarcascade_frontalface_default.xml"
        if not (hasattr(cv2, "CascadeClassifier") and path.is_file()):
            why = "OpenCV 5 removed CascadeClassifier and the haarcascade_*.xml files from its main package"
            fix = "pip install 'opencv-python<5'"
            raise DetectorUnavailableError(f"OpenCV {cv2.__version__} ships no Haar cascade ({why}): {fix}")
        self.cascade, self.max_side = cv2.CascadeClassifier(str(path)), max_side
        self.description = f"Haar cascade {path.name} (OpenCV {cv2.__version__})"

    def detect(self, image: np.ndarray) -> list[Face]:
        image = read_image(image)
        scale = detection_scale(image.shape[1], image.shape[0], self.max_side)
        gray = cv2.equalizeHist(cv2.cvtColor(cv2.resize(image, None, fx=scale, fy=scale), cv2.COLOR_RGB2GRAY))
        rows = self.cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(20, 20))
        boxes = [clip_box(np.asarray(row, float) / scale, image.shape[1], image.shape[0]) for row in rows]
        return sorted((Face(box, None) for box in boxes if box is not None), key=lambda face: face.box[0])


DETECTORS = {"yunet": YuNetDetector, "haar": HaarDetector}


def make_detector(
    name: str = "yunet", yunet_model: str | Path | None = None, use: str = "photo", **changes: object
) -> FaceDetector:
    """A detector by name (a DETECTORS key) with the settings for a use (a DETECTOR_SETTINGS key), changed
    by keyword; DetectorUnavailableError says why one cannot run."""
    for what, value, allowed in (("detector", name, DETECTORS), ("use", use, DETECTOR_SETTINGS)):
        if value not in allowed:
            raise ValueError(f"{what} {value!r}: expected one of {', '.join(allowed)}")
    settings = DETECTOR_SETTINGS[use] | changes
    return YuNetDetector(yunet_model, **settings) if name == "yunet" else HaarDetector(settings["max_side"])
