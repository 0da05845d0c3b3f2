"""Frames per second of the face-mask pipeline (detect, classify, draw) on 640x480 frames with 1 and 5 faces.

    python benchmarks/video_fps.py [--model CKPT ...] [--yunet-model PATH] [--frames 60]

Frames are test scenes from helpers.collage.scene: real faces (matplotlib's Grace Hopper photo, unmasked and
with synthetic masks of four colours, cropped loosely) pasted on a background, drifting sideways, so every
run sees the same pixels and the true label of each face is known. For each model, three ways are timed in
the same run:

- baseline: what a typical tutorial does: detect on the full 640x480 frame, then one forward pass per face;
- course:   helpers.video.FrameAnnotator: detect on the frame shrunk to 480 px, all faces in one batch;
- course + OpenCV DNN: the same, with the classifier exported to ONNX and run by cv2.dnn (no torch).

Printed: median ms per stage, frames per second (detect + classify + draw; no video decoding or encoding),
the speed-up against the baseline, how many faces were found and labelled right, and boxes on no face.
Figures are measured, never asserted: a shared machine's timings vary.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from helpers.boxes import crop_face, match_boxes
from helpers.collage import scene
from helpers.demo_data import add_synthetic_mask
from helpers.evaluation import course_model
from helpers.faces import DETECTOR_SETTINGS, MAX_SIDE, DetectorUnavailableError, YuNetDetector
from helpers.inference import MaskModel, load_mask_model
from helpers.runtime import describe_environment, record_result
from helpers.samples import GRACE_HOPPER_FACE, GRACE_HOPPER_MASK_REGION, MASK_COLOURS, grace_hopper
from helpers.video import FrameAnnotator

VIDEO_MAX_SIDE = DETECTOR_SETTINGS["video"]["max_side"]


def portrait_faces() -> list[tuple[np.ndarray, str]]:
    """The portrait unmasked, then with each synthetic mask colour, cropped loosely as in a scene."""
    photo = grace_hopper()
    versions = [(photo, "no_mask")]
    versions += [
        (add_synthetic_mask(photo, GRACE_HOPPER_MASK_REGION, rgb), "mask") for rgb in MASK_COLOURS.values()
    ]
    return [(crop_face(np.asarray(image), GRACE_HOPPER_FACE, 0.45), label) for image, label in versions]


class OneByOne:
    """The baseline classifier: the same model, one forward pass per face."""

    def __init__(self, model: MaskModel) -> None:
        self.model, self.class_names = model, model.class_names

    def probabilities(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        rows = [self.model.probabilities([crop]) for crop in crops]
        return np.concatenate(rows) if rows else self.model.probabilities([])


def measure(annotator: FrameAnnotator, n_faces: int, frames: int) -> dict:
    """Time the annotator on drifting scenes; the first frames are warm-up and not counted."""
    faces = (portrait_faces() * n_faces)[:n_faces]
    right = found = total = extra = 0
    warm_up = 3
    for i in range(frames + warm_up):
        frame, truth = scene(faces, t=(i % 20) / 19)
        annotator(frame)
        if i >= warm_up:
            answers = annotator.answers[-1]
            hits = match_boxes([p.box for p in answers], [face.box for face in truth])
            said = [None if k is None else answers[k] for k in hits]
            extra += len(annotator.answers[-1]) - sum(answer is not None for answer in said)
            for face, answer in zip(truth, said, strict=True):
                total += 1
                found += answer is not None
                right += answer is not None and answer.label == face.label
    per_frame = [sum(times) for times in zip(*(t[warm_up:] for t in annotator.seconds.values()), strict=True)]
    return {
        "fps": 1 / float(np.median(per_frame)),
        "stage_ms": annotator.stage_ms(skip=warm_up),
        "faces_found": f"{found}/{total}",
        "labelled_right": f"{right}/{total}",
        "extra_boxes": extra,
    }


def run(checkpoints: list[Path | None], yunet_model: Path | None, frames: int) -> dict:
    results = {}
    for checkpoint in checkpoints:
        with contextlib.redirect_stdout(sys.stderr):
            model = load_mask_model(checkpoint or course_model().path, device="cpu")
        ways = {"baseline": (OneByOne(model), MAX_SIDE), "course": (model, VIDEO_MAX_SIDE)}
        with tempfile.TemporaryDirectory() as folder:
            try:
                from helpers.export import OnnxMaskModel, export_onnx

                onnx = OnnxMaskModel(export_onnx(model, Path(folder) / "m.onnx"))
                ways["course + OpenCV DNN"] = (onnx, VIDEO_MAX_SIDE)
            except RuntimeError as exc:  # onnx not installed
                print(f"skipping OpenCV DNN: {exc}", file=sys.stderr)
            for n_faces in (1, 5):
                for way, (classifier, max_side) in ways.items():
                    settings = DETECTOR_SETTINGS["video"] | {"max_side": max_side}
                    detector = YuNetDetector(yunet_model, **settings)
                    annotator = FrameAnnotator(classifier, detector)
                    key = (model.name, model.net.backbone, model.image_size, n_faces, way)
                    results[key] = measure(annotator, n_faces, frames)
    return results


def table(results: dict) -> str:
    header = (
        f"{'model':<18} {'px':>4} {'faces':>5}  {'pipeline':<20} {'detect':>7} {'classify':>9} {'draw':>5} "
        f"{'frames/s':>9} {'speed-up':>8}  {'found':>7} {'right':>7} {'extra':>5}"
    )
    lines = [header, "-" * len(header)]
    for (name, backbone, size, n_faces, way), row in results.items():
        base = results[(name, backbone, size, n_faces, "baseline")]["fps"]
        ms = row["stage_ms"]
        lines.append(
            f"{backbone:<18} {size:>4} {n_faces:>5}  {way:<20} {ms['detect']:>7.1f} {ms['classify']:>9.1f} "
            f"{ms['draw']:>5.1f} {row['fps']:>9.1f} {row['fps'] / base:>7.2f}x  {row['faces_found']:>7} "
            f"{row['labelled_right']:>7} {row['extra_boxes']:>5}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", type=Path, nargs="*", help="checkpoints (default: the course's best model)"
    )
    parser.add_argument(
        "--yunet-model", type=Path, help="YuNet .onnx (default: MASK_YUNET_MODEL or the course's own file)"
    )
    parser.add_argument("--frames", type=int, default=60, help="timed frames per case (default 60)")
    args = parser.parse_args(argv)
    try:
        results = run(args.model or [None], args.yunet_model, args.frames)
    except DetectorUnavailableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    hardware = describe_environment()
    print(
        f"640x480 frames, {args.frames} timed per case; {hardware['device']} with {hardware['cpu_threads']} "
        f"threads, torch {hardware['torch']}, OpenCV {hardware['opencv']}, {hardware['platform']}"
    )
    print(table(results))
    record_result(
        "benchmark_video_fps",
        {"hardware": hardware, "results": {" / ".join(map(str, key)): row for key, row in results.items()}},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
