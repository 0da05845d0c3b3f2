"""Faces in real scenes: how many the detector finds, by class and size, and how well they are classified.

    python benchmarks/scenes.py --data ../shared/datasets/face-mask-scenes [--split train+val|test]
        [--model CKPT] [--settings all|course]

On the photos of one split of a scene dataset (images/ + annotations/, split by photo as the course splits),
for each detector setting: recall (annotated faces matched by a detection, box overlap IoU >= 0.3) per class
and face width (< 16, 16-32, >= 32 px), the share of detections that match an annotated face, and milliseconds
per photo. With --model, also the classifier's accuracy per class on the faces found (cropped from the
detection's box, as the app does) and on crops of the true boxes (as training does). The detector learns
nothing from these photos, so its setting is chosen on --split train+val (580 photos); --split test reports
the chosen one. Figures are printed and recorded, never asserted.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from helpers.boxes import crop_face, match_boxes
from helpers.constants import CLASS_NAMES
from helpers.data import DataLayoutError, find_scenes, load_course_data
from helpers.faces import DETECTOR_SETTINGS, YuNetDetector
from helpers.images import load_rgb
from helpers.inference import MaskModel, class_probabilities, load_mask_model
from helpers.metrics import balanced_accuracy
from helpers.runtime import describe_environment, record_result
from helpers.scenes import SIZE_BUCKETS, BoxedFace, list_boxed_faces, size_bucket

# Tried on the validation photos around the course's settings (DETECTOR_SETTINGS): one pass at a larger size,
# lower thresholds, and two passes (the usual one plus the photo grown) with a minimum box.
ONE = {"upscale_to": None, "min_face": 0}
CANDIDATES = {
    "one pass 640 px, score 0.6": dict(min_side=640, max_side=640, score_threshold=0.6) | ONE,
    "one pass 640 px, score 0.5": dict(min_side=640, max_side=640, score_threshold=0.5) | ONE,
    "one pass 800 px, score 0.5": dict(min_side=800, max_side=800, score_threshold=0.5) | ONE,
    "one pass 960 px, score 0.5": dict(min_side=960, max_side=960, score_threshold=0.5) | ONE,
    "one pass 960 px, score 0.45": dict(min_side=960, max_side=960, score_threshold=0.45) | ONE,
    "two passes +800 px, score 0.5, min 12 px": dict(score_threshold=0.5, upscale_to=800, min_face=12),
    "two passes +800 px, score 0.55, min 12 px": dict(score_threshold=0.55, upscale_to=800, min_face=12),
    "two passes +800 px, score 0.5, min 16 px": dict(score_threshold=0.5, upscale_to=800, min_face=16),
    "two passes +800 px, score 0.55, min 14 px": dict(score_threshold=0.55, upscale_to=800, min_face=14),
    "two passes +800 px, score 0.6, min 14 px": dict(score_threshold=0.6, upscale_to=800, min_face=14),
    "two passes +960 px, score 0.55, min 14 px": dict(score_threshold=0.55, upscale_to=960, min_face=14),
    "two passes +960 px, score 0.5, min 14 px": dict(score_threshold=0.5, upscale_to=960, min_face=14),
    "two passes +960 px, score 0.6, min 12 px": dict(score_threshold=0.6, upscale_to=960, min_face=12),
    "two passes +1200 px, score 0.6, min 12 px": dict(score_threshold=0.6, upscale_to=1200, min_face=12),
}


@dataclass
class Tally:
    found: Counter
    total: Counter
    detections: int = 0
    matched_detections: int = 0
    seconds: float = 0.0
    right_found: Counter | None = None
    seen_found: Counter | None = None

    def recall(self, label: str, bucket: str) -> str:
        n = self.total[(label, bucket)]
        return f"{self.found[(label, bucket)] / n:6.1%} of {n:<4}" if n else f"{'-':>6} of 0   "


def scene_photos(data_dir: str, split: str) -> dict[Path, list[BoxedFace]]:
    """The annotated faces of every photo in one split, split by photo exactly as the course splits it."""
    try:
        source = find_scenes(data_dir)
    except DataLayoutError as exc:
        raise SystemExit(f"error: {exc}") from None
    data = load_course_data(source, image_size=32, quick=False)
    faces, _ = list_boxed_faces(*data.layout.scenes)  # type: ignore[misc]
    photos: dict[Path, list[BoxedFace]] = defaultdict(list)
    for face in faces:
        if data.photo_splits.get(face.image) in split.split("+"):
            photos[face.image].append(face)
    return dict(photos)


def classify(model: MaskModel, image: np.ndarray, boxes: list) -> list[str]:
    rows = class_probabilities(model, [crop_face(image, box) for box in boxes])
    return [model.class_names[k] for k in rows.argmax(axis=1)]


def run_setting(
    detector: YuNetDetector, photos: dict[Path, list[BoxedFace]], model: MaskModel | None
) -> Tally:
    tally = Tally(Counter(), Counter(), right_found=Counter(), seen_found=Counter())
    for path, truth in photos.items():
        image = np.asarray(load_rgb(path))
        start = time.perf_counter()
        found = detector.detect(image)
        tally.seconds += time.perf_counter() - start
        matched = match_boxes([f.box for f in found], [t.box for t in truth])
        tally.detections += len(found)
        tally.matched_detections += sum(m is not None for m in matched)
        for face, hit in zip(truth, matched, strict=True):
            key = (face.label, size_bucket(face.box[2]))
            tally.total[key] += 1
            tally.found[key] += hit is not None
        if model is not None:
            pairs = [(t, found[m].box) for t, m in zip(truth, matched, strict=True) if m is not None]
            pairs = [(t, box) for t, box in pairs if t.label in CLASS_NAMES]
            for (face, _), answer in zip(pairs, classify(model, image, [b for _, b in pairs]), strict=True):
                tally.seen_found[face.label] += 1
                tally.right_found[face.label] += answer == face.label
    return tally


def true_box_accuracy(model: MaskModel, photos: dict[Path, list[BoxedFace]]) -> dict[str, dict]:
    """Accuracy per class and size on crops of the annotated boxes, as training cuts them."""
    right, seen = Counter(), Counter()
    for path, truth in photos.items():
        image = np.asarray(load_rgb(path))
        faces = [t for t in truth if t.label in CLASS_NAMES]
        for face, answer in zip(faces, classify(model, image, [t.box for t in faces]), strict=True):
            for bucket in ("all", size_bucket(face.box[2])):
                seen[(face.label, bucket)] += 1
                right[(face.label, bucket)] += answer == face.label
    table = {}
    for bucket in ("all", ">=32", "16-32", "<16"):
        # a two-class confusion matrix: right answers on the diagonal, each class's other faces beside them
        rights = np.array([right[(c, bucket)] for c in CLASS_NAMES])
        wrongs = np.array([seen[(c, bucket)] for c in CLASS_NAMES]) - rights
        matrix = np.diag(rights) + np.diag(wrongs)[:, ::-1]
        balanced = balanced_accuracy(matrix) if matrix.sum() else None
        table[bucket] = {
            **{c: f"{right[(c, bucket)]}/{seen[(c, bucket)]}" for c in CLASS_NAMES},
            "balanced": None if balanced is None else round(balanced, 4),
        }
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="a scene dataset: images/ + annotations/")
    parser.add_argument(
        "--split",
        choices=("train", "val", "train+val", "test"),
        default="train+val",
        help="photos to measure on (the detector learns nothing from them: train+val chooses its setting)",
    )
    parser.add_argument("--model", type=Path, help="a checkpoint: also classify the faces")
    parser.add_argument(
        "--settings",
        choices=("all", "course"),
        default="all",
        help="all candidates, or only the course's photo and video settings",
    )
    args = parser.parse_args(argv)
    photos = scene_photos(args.data, args.split)
    model = load_mask_model(args.model) if args.model else None
    hardware = describe_environment()
    print(f"{len(photos)} photos of the {args.split} split, {sum(map(len, photos.values()))} annotated faces")
    print(f"OpenCV {hardware['opencv']}, {hardware['cpu_threads']} CPU threads, {hardware['device']}")
    settings = {f"course {name}: {kw}": kw for name, kw in DETECTOR_SETTINGS.items()}
    if args.settings == "all":
        settings |= CANDIDATES
    buckets = [name for name, _, _ in SIZE_BUCKETS][::-1]
    labels = ("mask", "no_mask", "incorrect")
    header = " ".join(f"{label[:7] + ' ' + b:>15}" for label in labels for b in buckets)
    results = {}
    for name, kwargs in settings.items():
        tally = run_setting(YuNetDetector(**kwargs), photos, model)
        precision = tally.matched_detections / max(1, tally.detections)
        ms = 1000 * tally.seconds / max(1, len(photos))
        print(f"\n{name}\n  recall  {header}")
        print("          " + " ".join(f"{tally.recall(label, b):>15}" for label in labels for b in buckets))
        line = f"  detections matching a face {precision:.1%} ({tally.detections}); {ms:.1f} ms per photo"
        if model is not None:
            found_acc = {c: f"{tally.right_found[c]}/{tally.seen_found[c]}" for c in CLASS_NAMES}
            line += f"; classifier on found faces {found_acc}"
        print(line)
        results[name] = {
            "recall": {f"{label} {b}": tally.recall(label, b).strip() for label in labels for b in buckets},
            "detections_matching": round(precision, 4),
            "ms_per_photo": round(ms, 1),
        }
    if model is not None:
        table = true_box_accuracy(model, photos)
        print(f"\nClassifier {model.describe()}\n  on true-box crops: {table}")
        results["true_box_accuracy"] = table
    record_result(f"benchmark_scenes_{args.split}", {"photos": len(photos), "settings": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
