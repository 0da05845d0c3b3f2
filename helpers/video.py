"""Faces in moving pictures: lesson 08's frame loop, a FrameAnnotator timing each stage, complete files."""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from typing import NamedTuple

import cv2
import numpy as np

from helpers.boxes import crop_face
from helpers.drawing import draw_predictions
from helpers.faces import FaceDetector
from helpers.inference import MaskModel, Prediction


def open_video(path: str | Path) -> tuple[cv2.VideoCapture, float, tuple[int, int]]:
    """cv2.VideoCapture with the video's frames per second and (width, height), or a ValueError naming it."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: {'a folder' if path.is_dir() else 'no such file'}, expected a video file")
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise ValueError(f"{path}: OpenCV cannot read it as a video (expected e.g. .mp4 or .avi)")
    size = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    return capture, capture.get(cv2.CAP_PROP_FPS) or 25.0, size


# Kept identical in notebooks/08_video_and_webcam.ipynb (the lesson writes it).
def annotate_video(source: str | Path, output: str | Path, annotate_frame: Callable) -> None:
    """Read every frame with OpenCV, annotate it, and write it to a new video of the same size and speed."""
    capture, fps, size = open_video(source)  # cv2.VideoCapture, or a clear error for a missing or broken file
    writer = cv2.VideoWriter(str(output), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    ok, bgr = capture.read()  # OpenCV gives frames in BGR order; ok is False after the last one
    while ok:
        annotated = annotate_frame(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        writer.write(cv2.cvtColor(annotated, cv2.COLOR_RGB2BGR))
        ok, bgr = capture.read()
    capture.release()
    writer.release()


@dataclass
class FrameAnnotator:
    """annotate_frame for annotate_video that keeps each frame's answers and each stage's seconds."""

    model: MaskModel  # or anything with its class_names and probabilities(crops), such as OnnxMaskModel
    detector: FaceDetector
    seconds: dict[str, list] = field(default_factory=lambda: {"detect": [], "classify": [], "draw": []})
    answers: list[list[Prediction]] = field(default_factory=list)

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        ticks = [perf_counter()]
        faces = self.detector.detect(frame)
        ticks.append(perf_counter())
        rows = self.model.probabilities([crop_face(frame, face.box) for face in faces])
        facts = [{"box": face.box, "detector_score": face.score, "region": "face"} for face in faces]
        said = zip(rows, facts, strict=True)
        self.answers.append([Prediction.from_probabilities(r, self.model.class_names, **f) for r, f in said])
        ticks.append(perf_counter())
        annotated = draw_predictions(frame, self.answers[-1])
        ticks.append(perf_counter())
        for stage, took in zip(self.seconds, np.diff(ticks), strict=True):
            self.seconds[stage].append(float(took))
        return annotated

    def stage_ms(self, skip: int = 2) -> dict[str, float]:
        """Median milliseconds per frame for each stage, after `skip` warm-up frames (allocation, kernels)."""
        return {stage: 1000 * float(np.median(t[skip:] or t)) for stage, t in self.seconds.items()}


class VideoReport(NamedTuple):
    output: Path
    frames: int
    stage_ms: dict[str, float]  # FrameAnnotator.stage_ms: their sum is the time a frame takes, after warm-up
    labels: dict[str, int]  # faces per class of the model, over all frames


def write_video(source: str | Path, output: str | Path, annotator: FrameAnnotator) -> VideoReport:
    """annotate_video into <name>.part.mp4, renamed when complete: an earlier output stays until then."""
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    part = output.with_name(f"{output.stem}.part{output.suffix}")
    try:
        annotate_video(source, part, annotator)
        if not annotator.answers or not part.is_file() or part.stat().st_size == 0:
            raise ValueError(f"{source}: no frames could be read, or OpenCV cannot write {output} (use .mp4)")
        part.replace(output)
    finally:
        part.unlink(missing_ok=True)
    said = Counter(p.label for frame in annotator.answers for p in frame)
    labels = {name: said[name] for name in annotator.model.class_names}
    return VideoReport(output, len(annotator.answers), annotator.stage_ms(), labels)
