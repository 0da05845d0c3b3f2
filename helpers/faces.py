"""Finding faces: OpenCV's YuNet (the default), and the Haar cascade where OpenCV still ships it.

Lesson 07 writes `detection_scale` and `detect_faces` (the cv2.FaceDetectorYN calls) and this module keeps
identical copies (tests/test_lesson_code.py). The rest is plumbing: YuNet's ONNX file ships inside this
package (helpers/assets, MIT licence, notice beside it), so faces are found offline with no download; another
release can be given by path or MASK_YUNET_MODEL, or downloaded with its checksum checked. OpenCV 5 dropped
CascadeClassifier and the haarcascade_*.xml files, so Haar runs only on OpenCV 4.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from helpers.boxes import clip_box
from helpers.downloads import (
    ChecksumError,
    DownloadError,
    download,
    looks_like_html,
    sha256_file,
    verify_file,
)
from helpers.runtime import display_path, work_dir

YUNET_ENV = "MASK_YUNET_MODEL"
YUNET_FILE = "face_detection_yunet_2023mar.onnx"
YUNET_URL = f"https://github.com/opencv/opencv_zoo/raw/main/models/face_detection_yunet/{YUNET_FILE}"
YUNET_SHA256 = "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4"
PACKAGED_YUNET = Path(__file__).resolve().parent / "assets" / YUNET_FILE
# Zoo releases we know; another file given by path is used, with a note that it is not one of them.
KNOWN_YUNET = {
    YUNET_SHA256: "YuNet 2023mar",
    "ebafce4e3c118d6554634be5c27ab333b4c047a9a8c3faf1d7cf93101c22f0f0": "YuNet 2026may",
}
HAAR_FILE = "haarcascade_frontalface_default.xml"
# YuNet finds faces of roughly 10-300 px: big pictures are shrunk to MAX_SIDE (faster too), small ones grown.
MAX_SIDE = 640
MIN_SIDE = 320
# Frames: detection at 480 px takes about half the time of 640. At 320 px, faces under ~40 px (in the frame)
# sometimes get a second box on the mask alone; at 480 px none did in benchmarks/video_fps.py's scenes.
VIDEO_MAX_SIDE = 480
# Photos: a second pass with the photo grown to UPSCALE_TO px finds the small faces of crowd photos; score 0.5
# keeps masked faces YuNet is less sure of; boxes narrower than MIN_FACE px (too small to tell a mask from a
# shadow, and mostly unannotated background faces) are dropped. Chosen on the face-mask-scenes train and
# validation photos (the detector learns nothing from them) with benchmarks/scenes.py: recall by class and
# size, the share of boxes on annotated faces, ms per photo; its test photos only report the choice.
PHOTO_SCORE, UPSCALE_TO, MIN_FACE = 0.5, 800, 14
ONE_PASS = {"upscale_to": None, "min_face": 0}
# Video frames keep one pass at VIDEO_MAX_SIDE: the frame rate matters more than the smallest faces.
DETECTOR_SETTINGS: dict[str, dict] = {
    "photo": {"min_side": MIN_SIDE, "max_side": MAX_SIDE, "score_threshold": PHOTO_SCORE}
    | {"upscale_to": UPSCALE_TO, "min_face": MIN_FACE},
    "video": {"min_side": MIN_SIDE, "max_side": VIDEO_MAX_SIDE, "score_threshold": 0.6} | ONE_PASS,
    "one pass": {"min_side": MIN_SIDE, "max_side": MAX_SIDE, "score_threshold": 0.6} | ONE_PASS,  # untuned
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


# ----------------------------------------------------------------------------------------------- lesson 07
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


# ----------------------------------------------------------------------------------------------- YuNet
def check_image(image: np.ndarray) -> None:
    if not (
        isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    ):
        got = (
            f"{image.dtype} array of shape {image.shape}"
            if isinstance(image, np.ndarray)
            else type(image).__name__
        )
        raise ValueError(f"expected an RGB uint8 image of shape (H, W, 3), got {got}")


@contextlib.contextmanager
def quiet_opencv(silent: bool = False) -> Iterator[None]:
    """Hide OpenCV's own log lines (YuNet's loader warns about the DNN target; a missing camera logs a page
    of backend errors): the course reports problems itself, in one clear line."""
    logging = getattr(getattr(cv2, "utils", None), "logging", None)
    if logging is None:
        yield
        return
    level = logging.getLogLevel()
    logging.setLogLevel(logging.LOG_LEVEL_SILENT if silent else logging.LOG_LEVEL_ERROR)
    try:
        yield
    finally:
        logging.setLogLevel(level)


_HOW_TO = (
    f"The course ships {YUNET_FILE} in helpers/assets/ (reinstall the course if it is missing); another "
    "release from the OpenCV model zoo (github.com/opencv/opencv_zoo, models/face_detection_yunet/) can be "
    f"given by path or with {YUNET_ENV}=path/to/it."
)


def _checked_model_file(path: Path, origin: str) -> Path:
    if not path.is_file():
        what = "a folder" if path.is_dir() else "no such file"
        raise DetectorUnavailableError(f"{path} ({origin}): {what}, expected the YuNet .onnx file. {_HOW_TO}")
    if path.stat().st_size == 0 or looks_like_html(path):
        kind = "an empty file" if path.stat().st_size == 0 else "an HTML page, not an ONNX model"
        raise DetectorUnavailableError(f"{path} ({origin}): {kind}. {_HOW_TO}")
    return path


def yunet_model_path(
    path: str | Path | None = None,
    download_missing: bool = True,
    url: str = YUNET_URL,
    sha256: str = YUNET_SHA256,
    progress: bool = True,
) -> Path:
    """The YuNet ONNX file: the path given, else MASK_YUNET_MODEL, else the copy shipped in this package
    (checked by sha256), else a checked download into <work dir>/models. DetectorUnavailableError says
    what to do if none works."""
    given, origin = (path, "the path given") if path else (os.environ.get(YUNET_ENV), YUNET_ENV)
    if given:
        return _checked_model_file(Path(given).expanduser(), origin)
    if PACKAGED_YUNET.is_file():
        try:
            verify_file(PACKAGED_YUNET, YUNET_SHA256)
            return PACKAGED_YUNET
        except ChecksumError as exc:
            print(f"The packaged YuNet file is damaged ({exc}); trying a download.")
    cached = work_dir() / "models" / YUNET_FILE
    if not download_missing and not cached.is_file():
        raise DetectorUnavailableError(
            f"no YuNet model at {display_path(cached)} and downloading is off. {_HOW_TO}"
        )
    try:
        return download(url, cached, sha256, progress=progress)
    except DownloadError as exc:
        raise DetectorUnavailableError(f"YuNet face detector unavailable: {exc} {_HOW_TO}") from None


def describe_yunet_file(path: Path) -> str:
    """Which release a YuNet file is, by its checksum, for results to say which detector they used."""
    return KNOWN_YUNET.get(sha256_file(path), f"YuNet from {path.name} (not a release this course knows)")


class YuNetDetector:
    """OpenCV's YuNet face detector (cv2.FaceDetectorYN): a small CNN that also finds masked faces.

    The defaults are the photo setting (DETECTOR_SETTINGS["photo"]); video uses DETECTOR_SETTINGS["video"].
    upscale_to: a second pass on the photo grown (or shrunk) to this longer side, for small faces; flip: a
    pass on the mirror image; their boxes are merged (merge_faces). min_face: narrower boxes are dropped.
    """

    name = "YuNet"

    def __init__(
        self,
        model_path: str | Path | None = None,
        score_threshold: float = PHOTO_SCORE,
        max_side: int = MAX_SIDE,
        min_side: int = MIN_SIDE,
        download_missing: bool = True,
        flip: bool = False,
        upscale_to: int | None = UPSCALE_TO,
        min_face: int = MIN_FACE,
    ) -> None:
        if not hasattr(cv2, "FaceDetectorYN"):
            raise DetectorUnavailableError(
                f"OpenCV {cv2.__version__} has no FaceDetectorYN (4.5.4 or later has)."
            )
        self.model_path = yunet_model_path(model_path, download_missing)
        self.max_side, self.min_side = max_side, min(min_side, max_side)
        self.score_threshold, self.flip = score_threshold, flip
        self.upscale_to, self.min_face = upscale_to, min_face
        try:
            with quiet_opencv():
                self.net = cv2.FaceDetectorYN.create(
                    str(self.model_path), "", (MIN_SIDE, MIN_SIDE), score_threshold
                )
        except cv2.error as exc:
            raise DetectorUnavailableError(
                f"{self.model_path}: OpenCV cannot load it as a YuNet model "
                f"({str(exc).strip()[-120:]}). {_HOW_TO}"
            ) from None
        self.description = describe_yunet_file(self.model_path)

    def sides(self, width: int, height: int) -> list[tuple[int, int]]:
        """(min_side, max_side) of each pass: the usual one, and the upscaled one where it differs enough."""
        passes = [(self.min_side, self.max_side)]
        longest = max(width, height)
        if self.upscale_to and longest * detection_scale(width, height, self.max_side, self.min_side) < (
            0.9 * self.upscale_to
        ):
            passes.append((self.upscale_to, self.upscale_to))
        return passes

    def detect(self, image: np.ndarray) -> list[Face]:
        check_image(image)
        height, width = image.shape[:2]
        faces = []
        for min_side, max_side in self.sides(width, height):
            faces += detect_faces(self.net, image, max_side, min_side)
            if self.flip:
                mirrored = detect_faces(self.net, np.ascontiguousarray(image[:, ::-1]), max_side, min_side)
                faces += [Face((width - x - w, y, w, h), f.score) for f in mirrored for x, y, w, h in [f.box]]
        if len(faces) > 1 and (self.flip or self.upscale_to):
            faces = merge_faces(faces)
        return [face for face in faces if face.box[2] >= self.min_face]


def merge_faces(faces: list[Face], max_overlap: float = 0.3, max_inside: float = 0.6) -> list[Face]:
    """One box per face when several passes found it: boxes are taken by score, and one that overlaps a
    taken box (IoU > max_overlap) or lies mostly inside it or around it (> max_inside of the smaller box) is
    dropped: faces do not nest, but an upscaled pass sometimes boxes the mask or eyes of a large face."""
    kept: list[Face] = []
    for face in sorted(faces, key=lambda f: -(f.score or 0.0)):
        x, y, w, h = face.box
        clear = True
        for other in kept:
            ox, oy, ow, oh = other.box
            shared = max(0, min(x + w, ox + ow) - max(x, ox)) * max(0, min(y + h, oy + oh) - max(y, oy))
            if shared > max_overlap * (w * h + ow * oh - shared) or shared > max_inside * min(w * h, ow * oh):
                clear = False
                break
        if clear:
            kept.append(face)
    return sorted(kept, key=lambda face: face.box[0])


# ----------------------------------------------------------------------------------------------- Haar
def haar_cascade_file() -> Path | None:
    """The frontal-face cascade shipped with this OpenCV build, or None (OpenCV 5 main wheels ship none)."""
    folder = getattr(getattr(cv2, "data", None), "haarcascades", None)
    if not folder or not hasattr(cv2, "CascadeClassifier"):
        return None
    path = Path(folder) / HAAR_FILE
    return path if path.is_file() else None


class HaarDetector:
    """The classic Viola-Jones cascade (2001): fast, but it looks for a nose and mouth a mask hides."""

    name = "Haar cascade"

    def __init__(self, min_neighbors: int = 5, max_side: int = MAX_SIDE, min_side: int = MIN_SIDE) -> None:
        path = haar_cascade_file()
        if path is None:
            raise DetectorUnavailableError(
                f"OpenCV {cv2.__version__} ships no Haar cascade (OpenCV 5 removed CascadeClassifier and the "
                "haarcascade_*.xml files from its main package); pip install 'opencv-python<5' to try it."
            )
        self._cascade = cv2.CascadeClassifier(str(path))
        self.description = f"Haar cascade {HAAR_FILE} (OpenCV {cv2.__version__})"
        self.min_neighbors, self.max_side, self.min_side = min_neighbors, max_side, min(min_side, max_side)

    def detect(self, image: np.ndarray) -> list[Face]:
        check_image(image)
        height, width = image.shape[:2]
        scale = detection_scale(width, height, self.max_side, self.min_side)
        size = (round(width * scale), round(height * scale))
        gray = cv2.equalizeHist(cv2.cvtColor(cv2.resize(image, size), cv2.COLOR_RGB2GRAY))
        rows = self._cascade.detectMultiScale(
            gray, scaleFactor=1.1, minNeighbors=self.min_neighbors, minSize=(20, 20)
        )
        boxes = [clip_box(np.asarray(row, float) / scale, width, height) for row in rows]
        return sorted((Face(box, None) for box in boxes if box is not None), key=lambda face: face.box[0])


# ----------------------------------------------------------------------------------------------- choosing
DETECTORS = {"yunet": YuNetDetector, "haar": HaarDetector}


def make_detector(
    name: str = "yunet", yunet_model: str | Path | None = None, use: str = "photo", **changes: object
) -> FaceDetector:
    """A detector by name ("yunet" or "haar") with the settings for a use ("photo" or "video", see
    DETECTOR_SETTINGS), changed by keyword; DetectorUnavailableError says why one cannot run."""
    if name not in DETECTORS:
        raise ValueError(f"detector {name!r}: expected one of {', '.join(DETECTORS)}")
    if use not in DETECTOR_SETTINGS:
        raise ValueError(f"use {use!r}: expected one of {', '.join(DETECTOR_SETTINGS)}")
    settings = DETECTOR_SETTINGS[use] | changes
    if name == "yunet":
        return YuNetDetector(yunet_model, **settings)  # type: ignore[arg-type]
    return HaarDetector(max_side=settings["max_side"], min_side=settings["min_side"])  # type: ignore[arg-type]


def available_detectors(
    yunet_model: str | Path | None = None,
) -> tuple[dict[str, FaceDetector], dict[str, str]]:
    """Every detector that runs here, and for the others the reason: for side-by-side comparisons."""
    ready, missing = {}, {}
    for name in DETECTORS:
        try:
            ready[name] = make_detector(name, yunet_model)
        except DetectorUnavailableError as exc:
            missing[name] = str(exc)
    return ready, missing


def default_detector(yunet_model: str | Path | None = None, verbose: bool = True) -> FaceDetector | None:
    """YuNet; else the Haar cascade; else None, meaning "classify the whole image". Each fallback is said."""
    say = print if verbose else (lambda *args: None)
    try:
        detector: FaceDetector = YuNetDetector(yunet_model)
    except DetectorUnavailableError as exc:
        say(exc)
        try:
            detector = HaarDetector()
        except DetectorUnavailableError as haar_exc:
            say(haar_exc)
            say(
                "No face detector available: each image is classified as a whole "
                "(fine for face photos, not for scenes)."
            )
            return None
        say("Falling back to the Haar cascade: it misses many masked faces; YuNet is better.")
    say(f"Face detector: {detector.description}")
    return detector
