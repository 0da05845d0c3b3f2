"""Faces in moving pictures: annotate a video file frame by frame, time each stage, and make test scenes.

The per-frame work is FrameAnnotator: detect faces, classify all crops of the frame in one batch, draw. The
webcam entry point (helpers.webcam) and the speed benchmark (benchmarks/video_fps.py) use the same object, so
the frames per second a learner reads are the ones the app gets.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from helpers.demo_data import add_synthetic_mask
from helpers.faces import FaceDetector
from helpers.inference import FACE_MARGIN, MaskModel, Prediction, annotate, classify_detected
from helpers.runtime import display_path
from helpers.samples import GRACE_HOPPER_FACE, GRACE_HOPPER_MASK_REGION, MASK_COLOURS, face_crop, grace_hopper

STAGES = ("detect", "classify", "draw")
FOURCC = "mp4v"  # MPEG-4 in .mp4: written by every opencv-python wheel without extra codecs


@dataclass
class FrameAnnotator:
    """Detect, classify (one batch per frame) and draw; keeps the seconds each stage took, per frame."""

    model: MaskModel
    detector: FaceDetector | None  # None: no detector here, each frame is classified whole (and labelled so)
    margin: float = FACE_MARGIN
    seconds: dict[str, list[float]] = field(default_factory=lambda: {stage: [] for stage in STAGES})

    def __call__(self, frame: np.ndarray) -> tuple[np.ndarray, list[Prediction]]:
        """An RGB frame -> (annotated copy, one prediction per face)."""
        start = time.perf_counter()
        faces = self.detector.detect(frame) if self.detector is not None else []
        detected = time.perf_counter()
        if self.detector is not None:
            predictions = classify_detected(frame, faces, self.model, self.detector.name, self.margin)
        else:
            predictions = [
                Prediction.from_p_mask(self.model.p_mask([frame])[0], region="whole frame (no detector)")
            ]
        classified = time.perf_counter()
        annotated = annotate(frame, predictions)
        drawn = time.perf_counter()
        for stage, seconds in zip(
            STAGES, (detected - start, classified - detected, drawn - classified), strict=True
        ):
            self.seconds[stage].append(seconds)
        return annotated, predictions

    def stage_ms(self, skip: int = 0) -> dict[str, float]:
        """Median milliseconds per frame for each stage (skip the first frames: warm-up)."""
        return {
            stage: 1000 * float(np.median(times[skip:] or times)) for stage, times in self.seconds.items()
        }


@dataclass(frozen=True)
class VideoReport:
    source: Path
    output: Path
    frames: int
    size: tuple[int, int]
    seconds: float
    faces_per_frame: float
    stage_ms: dict[str, float]
    labels: dict[str, int]  # faces per label, over all frames

    @property
    def fps(self) -> float:
        """End-to-end frames per second: decode, detect, classify, draw and encode."""
        return self.frames / self.seconds if self.seconds else float("nan")

    def __str__(self) -> str:
        stages = ", ".join(f"{stage} {ms:.1f} ms" for stage, ms in self.stage_ms.items())
        return (
            f"{self.frames} frames of {self.size[0]}x{self.size[1]} in {self.seconds:.1f} s: "
            f"{self.fps:.1f} frames/s end to end; per frame (median) {stages}; "
            f"{self.faces_per_frame:.1f} faces per frame {self.labels}\n"
            f"annotated video: {display_path(self.output)}"
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


def open_video(path: str | Path) -> cv2.VideoCapture:
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: {'a folder' if path.is_dir() else 'no such file'}, expected a video file")
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise ValueError(f"{path}: OpenCV cannot read it as a video (expected e.g. .mp4 or .avi)")
    return capture


def annotate_video(
    source: str | Path, output: str | Path, annotator: FrameAnnotator, max_frames: int | None = None
) -> VideoReport:
    """Write an annotated copy of a video; it appears only once complete (an earlier one stays till then)."""
    source, output = Path(source), Path(output)
    capture = open_video(source)
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    size = (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    output.parent.mkdir(parents=True, exist_ok=True)
    part = output.with_name(f"{output.stem}.part{output.suffix}")
    writer = cv2.VideoWriter(str(part), cv2.VideoWriter_fourcc(*FOURCC), fps, size)
    if not writer.isOpened():
        capture.release()
        raise ValueError(
            f"{output}: OpenCV cannot write a {FOURCC} video there (use a .mp4 name in a writable folder)"
        )
    frames, faces, labels = 0, 0, {"mask": 0, "no_mask": 0}
    start = time.perf_counter()
    finished = False
    try:
        while max_frames is None or frames < max_frames:
            ok, frame = capture.read()
            if not ok:
                break
            annotated, predictions = annotator(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            writer.write(cv2.cvtColor(annotated, cv2.COLOR_RGB2BGR))
            frames += 1
            faces += len(predictions)
            for prediction in predictions:
                labels[prediction.label] += 1
        finished = True
    finally:
        capture.release()
        writer.release()
        if not finished:
            part.unlink(missing_ok=True)  # an interrupted run leaves no half video behind
    seconds = time.perf_counter() - start
    if frames == 0:
        part.unlink(missing_ok=True)
        raise ValueError(f"{source}: no frames could be read")
    os.replace(part, output)
    return VideoReport(
        source,
        output,
        frames,
        size,
        seconds,
        faces / frames,
        annotator.stage_ms(skip=min(2, frames - 1)),
        labels,
    )


# ----------------------------------------------------------------------------------------------- test scenes
@functools.lru_cache(maxsize=4)
def demo_faces(size: int = 120) -> tuple[tuple[Image.Image, str], ...]:
    """Grace Hopper's face, unmasked and with each synthetic mask colour, cropped loosely, size px wide.

    Cached: every frame of a clip or benchmark pastes the same faces."""
    photo = grace_hopper()
    versions = [(photo, "no_mask")] + [
        (add_synthetic_mask(photo, GRACE_HOPPER_MASK_REGION, rgb), "mask") for rgb in MASK_COLOURS.values()
    ]
    faces = []
    for image, label in versions:
        crop = face_crop(image, GRACE_HOPPER_FACE, margin=0.45)
        faces.append(
            (crop.resize((size, round(size * crop.height / crop.width)), Image.Resampling.LANCZOS), label)
        )
    return tuple(faces)


def _background(width: int, height: int, seed: int) -> np.ndarray:
    """A smooth two-colour gradient with a little noise: a wall, not a blank test card."""
    rng = np.random.default_rng(seed)
    top, bottom = rng.integers(60, 200, size=(2, 3))
    ramp = np.linspace(0, 1, height)[:, None, None]
    image = top * (1 - ramp) + bottom * ramp + rng.normal(0, 6, size=(height, 1, 3))
    return np.clip(np.broadcast_to(image, (height, width, 3)), 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class SceneFace:
    box: tuple[int, int, int, int]  # where the face picture was pasted (x, y, w, h)
    label: str


def scene(
    n_faces: int, size: tuple[int, int] = (640, 480), t: float = 0.0, face_px: int = 120, seed: int = 0
) -> tuple[np.ndarray, list[SceneFace]]:
    """An RGB frame with n_faces real faces (masked and not) on a grid, drifting sideways as t goes 0 -> 1,
    and where each face is with its true label."""
    width, height = size
    frame = Image.fromarray(_background(width, height, seed))
    faces = demo_faces(face_px)
    columns = min(n_faces, max(1, width // (face_px + 10)))
    rows = -(-n_faces // columns)
    truth = []
    for i in range(n_faces):
        face, label = faces[i % len(faces)]
        row, column = divmod(i, columns)
        cell_w, cell_h = width / columns, height / rows
        drift = (t - 0.5) * max(0.0, cell_w - face.width) * 0.8
        x = round(column * cell_w + (cell_w - face.width) / 2 + drift)
        y = round(row * cell_h + (cell_h - face.height) / 2)
        frame.paste(face, (x, y))
        truth.append(SceneFace((x, y, face.width, face.height), label))
    return np.asarray(frame), truth


def matches(
    predictions: list[Prediction], truth: list[SceneFace]
) -> list[tuple[SceneFace, Prediction | None]]:
    """Each true face with the prediction whose box centre lies inside it (None if the detector missed it)."""
    pairs = []
    for face in truth:
        x, y, w, h = face.box
        inside = [
            p
            for p in predictions
            if p.box is not None
            and x <= p.box[0] + p.box[2] / 2 <= x + w
            and y <= p.box[1] + p.box[3] / 2 <= y + h
        ]
        pairs.append((face, inside[0] if inside else None))
    return pairs


def make_demo_clip(path: str | Path, n_faces: int = 2, seconds: float = 2.0, fps: int = 10) -> Path:
    """A short .mp4 of drifting faces, so the video lesson and CI need no camera and no downloaded video."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = [scene(n_faces, t=i / max(1, seconds * fps - 1))[0] for i in range(round(seconds * fps))]
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*FOURCC), fps, (width, height))
    if not writer.isOpened():
        raise ValueError(f"{path}: OpenCV cannot write a {FOURCC} video there")
    try:
        for frame in frames:
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    return path
