"""Faces in moving pictures: lesson 08's frame loop, timing, and test scenes whose true boxes are known.

Lesson 08 writes `annotate_video` (cv2.VideoCapture -> annotate -> cv2.VideoWriter) and this module keeps an
identical copy (tests/test_lesson_code.py). The rest is plumbing: `FrameAnnotator` (detect, classify every
face of a frame in one batch, draw, and time each stage), `write_video` (the loop writing to <name>.part.mp4,
renamed when complete) and `scene` / `make_clip`, which paste faces of known label at known places.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
from PIL import Image

from helpers.boxes import crop_face
from helpers.constants import CLASS_NAMES, FACE_MARGIN
from helpers.drawing import draw_predictions
from helpers.faces import FaceDetector
from helpers.images import read_image
from helpers.inference import MaskModel, Prediction
from helpers.runtime import display_path

if TYPE_CHECKING:  # for type hints only: predicting must not import the data scanner
    from helpers.data import SplitData

STAGES = ("detect", "classify", "draw")
FOURCC = "mp4v"  # MPEG-4 in .mp4: written by every opencv-python wheel without extra codecs
WARMUP_FRAMES = 2  # the first frames allocate memory and pick kernels: left out of the timings


def open_video(path: str | Path) -> cv2.VideoCapture:
    """cv2.VideoCapture, or a ValueError naming the file and what was expected."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: {'a folder' if path.is_dir() else 'no such file'}, expected a video file")
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise ValueError(f"{path}: OpenCV cannot read it as a video (expected e.g. .mp4 or .avi)")
    return capture


def frame_size(capture: cv2.VideoCapture) -> tuple[int, int]:
    return int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))


# Kept identical in notebooks/08_video_and_webcam.ipynb (the lesson writes it).
def annotate_video(source: str | Path, output: str | Path, annotate_frame: Callable) -> None:
    """Read every frame with OpenCV, annotate it, and write it to a new video of the same size and speed."""
    capture = open_video(source)  # cv2.VideoCapture, with a clear error for a missing or broken file
    fps, size = capture.get(cv2.CAP_PROP_FPS) or 25.0, frame_size(capture)
    writer = cv2.VideoWriter(str(output), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    while True:
        ok, bgr = capture.read()  # OpenCV gives frames in BGR order
        if not ok:
            break  # the end of the video
        annotated = annotate_frame(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        writer.write(cv2.cvtColor(annotated, cv2.COLOR_RGB2BGR))
    capture.release()
    writer.release()


@dataclass
class FrameAnnotator:
    """annotate_frame for lesson 08's loop: detect, classify all faces of the frame in one batch, draw.
    Keeps each frame's answers and the seconds each stage took."""

    model: MaskModel
    detector: FaceDetector
    classify: Callable[[list[np.ndarray]], np.ndarray] | None = None  # default: model.p_mask (PyTorch)
    margin: float = FACE_MARGIN
    seconds: dict[str, list[float]] = field(default_factory=lambda: {stage: [] for stage in STAGES})
    answers: list[list[Prediction]] = field(default_factory=list)
    size: tuple[int, int] = (0, 0)  # width, height of the last frame

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        self.size = (frame.shape[1], frame.shape[0])
        start = time.perf_counter()
        faces = self.detector.detect(frame)
        detected = time.perf_counter()
        classify = self.classify or self.model.p_mask
        p_mask = classify([crop_face(frame, face.box, self.margin) for face in faces])
        predictions = [
            Prediction.from_p_mask(p, box=face.box, detector_score=face.score, region="face")
            for face, p in zip(faces, p_mask, strict=True)
        ]
        classified = time.perf_counter()
        annotated = draw_predictions(frame, predictions)
        drawn = time.perf_counter()
        for stage, seconds in zip(
            STAGES, (detected - start, classified - detected, drawn - classified), strict=True
        ):
            self.seconds[stage].append(seconds)
        self.answers.append(predictions)
        return annotated

    def stage_ms(self, skip: int = WARMUP_FRAMES) -> dict[str, float]:
        """Median milliseconds per frame for each stage, after the first `skip` (warm-up) frames."""
        return {
            stage: 1000 * float(np.median(times[skip:] or times))
            for stage, times in self.seconds.items()
        }

    def frames_per_second(self) -> float:
        """Frames per second of detect + classify + draw after warm-up (no video decoding or encoding)."""
        totals = np.sum([times[WARMUP_FRAMES:] for times in self.seconds.values()], axis=0)
        return float(len(totals) / totals.sum()) if len(totals) and totals.sum() else float("nan")


@dataclass(frozen=True)
class VideoReport:
    output: Path
    frames: int
    size: tuple[int, int]
    seconds: float  # the whole run: decoding, the pipeline and encoding
    frames_per_second: float  # the pipeline alone, after warm-up
    stage_ms: dict[str, float]
    labels: dict[str, int]  # faces per label, over all frames

    @property
    def faces_per_frame(self) -> float:
        return sum(self.labels.values()) / max(1, self.frames)

    def __str__(self) -> str:
        stages = ", ".join(f"{stage} {ms:.1f} ms" for stage, ms in self.stage_ms.items())
        return (
            f"{self.frames} frames of {self.size[0]}x{self.size[1]}: {self.frames_per_second:.1f} frames/s "
            f"after warm-up (median per frame: {stages}); {self.seconds:.1f} s in all with decoding and "
            f"encoding; {self.faces_per_frame:.1f} faces per frame {self.labels}\n"
            f"annotated video: {display_path(self.output)}"
        )


def write_video(source: str | Path, output: str | Path, annotator: FrameAnnotator) -> VideoReport:
    """Lesson 08's annotate_video into <name>.part.mp4, renamed when complete: an interrupted or failed
    run leaves no half video, and an earlier output stays until the new one is ready."""
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    part = output.with_name(f"{output.stem}.part{output.suffix}")
    start = time.perf_counter()
    try:
        annotate_video(source, part, annotator)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    if not annotator.answers or not part.is_file() or part.stat().st_size == 0:
        part.unlink(missing_ok=True)
        raise ValueError(f"{source}: no frames could be read, or OpenCV could not write {output} (use .mp4)")
    os.replace(part, output)
    labels = {
        name: sum(p.label == name for frame in annotator.answers for p in frame) for name in CLASS_NAMES
    }
    return VideoReport(
        output,
        len(annotator.answers),
        annotator.size,
        time.perf_counter() - start,
        annotator.frames_per_second(),
        annotator.stage_ms(),
        labels,
    )


def read_frames(path: str | Path, indices: Sequence[int]) -> list[np.ndarray]:
    """Some frames of a video as RGB arrays, to show in a notebook."""
    capture = open_video(path)
    frames = []
    try:
        for index in indices:
            capture.set(cv2.CAP_PROP_POS_FRAMES, index)
            ok, frame = capture.read()
            if ok:
                frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    finally:
        capture.release()
    return frames


# ----------------------------------------------------------------------------------------------- test scenes
@dataclass(frozen=True)
class SceneFace:
    box: tuple[int, int, int, int]  # where the face picture was pasted (x, y, w, h)
    label: str


def _background(width: int, height: int, seed: int) -> np.ndarray:
    """A smooth two-colour gradient with a little noise: a wall, not a blank test card."""
    rng = np.random.default_rng(seed)
    top, bottom = rng.integers(60, 200, size=(2, 3))
    ramp = np.linspace(0, 1, height)[:, None, None]
    image = top * (1 - ramp) + bottom * ramp + rng.normal(0, 4, size=(height, width, 3))
    return np.clip(image, 0, 255).astype(np.uint8)


def _resized(face: np.ndarray, width: int) -> np.ndarray:
    picture = Image.fromarray(face)
    return np.asarray(
        picture.resize((width, round(width * picture.height / picture.width)), Image.Resampling.LANCZOS)
    )


def scene(
    faces: Sequence[tuple[np.ndarray, str]],
    size: tuple[int, int] = (640, 480),
    t: float = 0.5,
    face_px: int = 120,
    seed: int = 0,
) -> tuple[np.ndarray, list[SceneFace]]:
    """An RGB picture with the faces (RGB arrays with their labels) on a grid, drifting sideways as t goes
    0 -> 1, and where each face is, with its true label."""
    if not faces:
        raise ValueError("a scene needs at least one face; the detector found none of the faces it was shown")
    width, height = size
    frame = _background(width, height, seed).copy()
    columns = min(len(faces), max(1, width // (face_px + 10)))
    rows = -(-len(faces) // columns)
    cell_w, cell_h = width / columns, height / rows
    truth = []
    for i, (face, label) in enumerate(faces):
        picture = _resized(face, face_px)
        row, column = divmod(i, columns)
        drift = (t - 0.5) * max(0.0, cell_w - face_px) * 0.8
        x = round(column * cell_w + (cell_w - face_px) / 2 + drift)
        y = round(row * cell_h + (cell_h - picture.shape[0]) / 2)
        frame[y : y + picture.shape[0], x : x + face_px] = picture
        truth.append(SceneFace((x, y, face_px, picture.shape[0]), label))
    return frame, truth


def matches(predictions: Sequence, truth: Sequence[SceneFace]) -> list:
    """For each true face, the prediction (or detected Face) whose box centre lies inside it; None if the
    detector missed it."""
    found = []
    for face in truth:
        x, y, w, h = face.box
        inside = [
            p
            for p in predictions
            if p.box is not None
            and x <= p.box[0] + p.box[2] / 2 <= x + w
            and y <= p.box[1] + p.box[3] / 2 <= y + h
        ]
        found.append(inside[0] if inside else None)
    return found


def scene_faces(
    split: SplitData,
    detector: FaceDetector,
    per_class: int = 3,
    face_px: int = 120,
    limit: int = 40,
    times: Sequence[float] = (0.5,),
) -> tuple[list[tuple[np.ndarray, str]], dict[str, str]]:
    """Faces of a split, per_class of each label in file order, that the detector finds in the scene they make
    at every time in times (a face it misses is swapped for the next one), and per label how many were tried.
    A detector trained on photos finds few of the demo data's drawn masked faces; a scene should test the
    classifier."""
    queue = {name: [] for name in CLASS_NAMES}
    for path, label in zip(split.paths, split.labels.tolist(), strict=True):
        if len(queue[CLASS_NAMES[label]]) < limit:
            queue[CLASS_NAMES[label]].append(path)
    chosen: dict[str, list[np.ndarray]] = {name: [] for name in CLASS_NAMES}
    tried = dict.fromkeys(CLASS_NAMES, 0)
    while True:  # every round swaps out at least one face or ends: the queues are finite
        for name in CLASS_NAMES:  # top up each label from its queue
            while len(chosen[name]) < per_class and tried[name] < len(queue[name]):
                chosen[name].append(read_image(queue[name][tried[name]]))
                tried[name] += 1
        faces = _alternating(chosen)
        missed = set()
        for t in times if faces else ():
            frame, truth = scene(faces, t=t, face_px=face_px)
            missed |= {i for i, hit in enumerate(matches(detector.detect(frame), truth)) if hit is None}
        if not missed:
            found = {name: f"{len(chosen[name])} found of {tried[name]} tried" for name in CLASS_NAMES}
            return faces, found
        for i in missed:
            face, name = faces[i]
            chosen[name] = [f for f in chosen[name] if f is not face]


def _alternating(chosen: dict[str, list[np.ndarray]]) -> list[tuple[np.ndarray, str]]:
    rounds = zip_longest(*([(face, name) for face in chosen[name]] for name in CLASS_NAMES))
    return [pair for pairs in rounds for pair in pairs if pair is not None]


def make_clip(
    path: str | Path, faces: Sequence[tuple[np.ndarray, str]], seconds: float = 2.0, fps: int = 10
) -> tuple[Path, list[str]]:
    """A short .mp4 of the faces drifting across a background, so the video lesson needs no camera
    and no downloaded video; returns the path and the true labels, left to right."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = round(seconds * fps)
    frames = [scene(faces, t=i / max(1, count - 1))[0] for i in range(count)]
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*FOURCC), fps, (width, height))
    if not writer.isOpened():
        raise ValueError(f"{path}: OpenCV cannot write a {FOURCC} video there")
    try:
        for frame in frames:
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    return path, [label for _, label in faces]
