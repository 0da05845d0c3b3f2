"""Faces in real scenes, measured as the field measures detectors: average precision at IoU 0.5 per class.

    python benchmarks/scenes.py --data ../shared/datasets/face-mask-scenes [--split train+val|val|test]
        [--model CKPT] [--settings all|course] [--fit-boxes]

On the photos of one split of a scene dataset (images/ + annotations/, split by photo as the course splits),
for each detector setting: recall at IoU >= 0.3 and 0.5 per class and face width (< 16, 16-32, >= 32 px), the
class-agnostic face AP@0.5 (every annotated face a "face"), and milliseconds per photo. With --model, the
photo pipeline (detect, crop with the app's margin, classify) becomes a detector: every box is a detection of
each class, with confidence = detector score ** power * class probability, and every annotated face counts,
mask_weared_incorrect too (a two-class model's boxes on such faces are false alarms). It prints PASCAL VOC
AP@0.5 per class (lesson 09's average_precision cell, run from the notebook) and their mean (mAP), COCO's
mAP@[.5:.95] from pycocotools, and, on --split val, the AP of each power tried. --fit-boxes prints BOX_FIT
fitted on the train photos (medians over matched faces). The detector learns nothing from train or val
photos, so settings are chosen on --split train+val and the power on val (the classifier picked its epoch on
val faces); --split test reports the chosen ones. Figures are printed and recorded, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

from helpers.boxes import crop_face, match_boxes
from helpers.data import DataLayoutError, find_scenes, load_course_data
from helpers.faces import DETECTOR_SETTINGS, SCORE_POWER, YuNetDetector
from helpers.images import load_rgb
from helpers.inference import MaskModel, class_probabilities, load_mask_model
from helpers.metrics import precision_recall
from helpers.runtime import describe_environment, record_result
from helpers.scenes import BoxedFace, list_boxed_faces, size_bucket

EVALUATION = DETECTOR_SETTINGS["evaluation"]  # the photo setting with every box down to score 0.3
CANDIDATES = {  # around it: the passes' sizes, the threshold, the box fit
    "one pass at 320-640 px, score 0.3": EVALUATION | {"upscale_to": None},
    "one pass at 1280 px, score 0.3": EVALUATION | {"upscale_to": None, "max_side": 1280, "min_side": 1280},
    "+ a pass at 960 px, score 0.3": EVALUATION | {"upscale_to": 960},
    "+ a pass at 1600 px, score 0.3": EVALUATION | {"upscale_to": 1600},
    "+ a pass at 1280 px, score 0.4": EVALUATION | {"score_threshold": 0.4},
    "+ a pass at 1280 px, score 0.3, YuNet's boxes": EVALUATION | {"fit_boxes": False},
}
POWERS = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0)
LESSON_09 = Path(__file__).resolve().parent.parent / "notebooks" / "09_real_scenes.ipynb"


def lesson_average_precision() -> Callable[[np.ndarray, np.ndarray], float]:
    """Lesson 09's average_precision (PASCAL VOC's all-point AP: the course writes it only there)."""
    cells = ["".join(cell["source"]) for cell in json.loads(LESSON_09.read_text())["cells"]]
    names = {"np": np}
    exec(next(source for source in cells if source.startswith("def average_precision(")), names)
    return names["average_precision"]


average_precision = lesson_average_precision()


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


def detect_all(detector: YuNetDetector, photos: dict, model: MaskModel | None) -> tuple[dict, float, float]:
    """{photo: [(box, score, class probabilities)]}, and milliseconds per photo to detect and to classify."""
    found, detecting, classifying = {}, 0.0, 0.0
    for path in photos:
        image = np.asarray(load_rgb(path))
        start = time.perf_counter()
        faces = detector.detect(image)
        detecting += time.perf_counter() - start
        rows = [None] * len(faces)
        if model is not None and faces:
            start = time.perf_counter()
            rows = list(class_probabilities(model, [crop_face(image, face.box) for face in faces]))
            classifying += time.perf_counter() - start
        found[path] = [(face.box, face.score or 0.0, row) for face, row in zip(faces, rows, strict=True)]
    return found, 1000 * detecting / len(photos), 1000 * classifying / len(photos)


def recall_table(found: dict, photos: dict, min_iou: float) -> dict[str, str]:
    hit, total = Counter(), Counter()
    for path, truth in photos.items():
        matched = match_boxes([box for box, _, _ in found[path]], [t.box for t in truth], min_iou)
        for face, index in zip(truth, matched, strict=True):
            for key in (face.label, f"{face.label} {size_bucket(face.box[2])}"):
                total[key] += 1
                hit[key] += index is not None
    return {key: f"{hit[key] / total[key]:.1%} of {total[key]}" for key in sorted(total)}


def face_ap(found: dict, photos: dict) -> float:
    detections = [(path, box, score) for path, rows in found.items() for box, score, _ in rows]
    return average_precision(
        *precision_recall(detections, {p: [t.box for t in f] for p, f in photos.items()})
    )


def class_ap(found: dict, photos: dict, classes: tuple[str, ...], power: float) -> dict[str, float]:
    """VOC AP@0.5 per class: every box a detection of each class, confidence score ** power * probability."""
    ap = {}
    for k, name in enumerate(classes):
        detections = [
            (p, box, score**power * row[k]) for p, rows in found.items() for box, score, row in rows
        ]
        truth = {path: [t.box for t in faces if t.label == name] for path, faces in photos.items()}
        ap[name] = average_precision(*precision_recall(detections, truth))
    return ap


def coco_map(found: dict, photos: dict, classes: tuple[str, ...], power: float) -> dict[str, float]:
    """COCO's mAP@[.5:.95] and mAP@0.5 over the model's classes, from pycocotools (COCO's reference code).
    Faces of a class the model lacks are a class of their own: boxes on them are false alarms (class_ap)."""
    from pycocotools.coco import COCO  # a benchmark need, not the course's
    from pycocotools.cocoeval import COCOeval

    ids = {path: k for k, path in enumerate(photos, start=1)}
    category = {name: k for k, name in enumerate(classes, start=1)}
    truth = [
        (ids[p], t.box, category.get(t.label, len(classes) + 1)) for p, faces in photos.items() for t in faces
    ]
    annotations = [
        {"id": k, "image_id": i, "bbox": list(box), "area": box[2] * box[3], "iscrowd": 0, "category_id": c}
        for k, (i, box, c) in enumerate(truth, start=1)
    ]
    detections = [
        {"image_id": ids[p], "bbox": list(box), "score": float(score**power * row[k]), "category_id": k + 1}
        for p, rows in found.items()
        for box, score, row in rows
        for k in range(len(classes))
    ]
    coco = COCO()
    categories = [{"id": k} for k in range(1, len(classes) + 2)]
    coco.dataset = {
        "images": [{"id": i} for i in ids.values()],
        "annotations": annotations,
        "categories": categories,
    }
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints its progress
        coco.createIndex()
        evaluation = COCOeval(coco, coco.loadRes(detections), "bbox")
        evaluation.params.catIds = list(category.values())  # the model's classes
        evaluation.params.maxDets = [1, 10, 1000]  # crowds: a photo may hold hundreds of detections
        evaluation.evaluate()
        evaluation.accumulate()
    # precision by IoU threshold, recall point and class; for every face size and the most detections
    precision = evaluation.eval["precision"][:, :, :, 0, -1]
    return {
        "coco_map_50_95": round(float(precision.mean()), 4),
        "coco_map_50": round(float(precision[0].mean()), 4),
    }


def fit_boxes(photos: dict) -> tuple[float, ...]:
    """BOX_FIT from matched pairs (IoU >= 0.3) of YuNet's photo boxes and the annotated ones: medians of the
    centre shifts (in box widths and heights) and of the width and height scales."""
    detector = YuNetDetector(**EVALUATION | {"fit_boxes": False})
    pairs = []
    for path, truth in photos.items():
        boxes = [face.box for face in detector.detect(np.asarray(load_rgb(path)))]
        for t, index in zip(truth, match_boxes(boxes, [f.box for f in truth]), strict=True):
            if index is not None:
                x, y, w, h = boxes[index]
                tx, ty, tw, th = t.box
                pairs.append(((tx + tw / 2 - x - w / 2) / w, (ty + th / 2 - y - h / 2) / h, tw / w, th / h))
    fit = tuple(round(float(v), 3) for v in np.median(np.array(pairs), axis=0))
    print(f"BOX_FIT = {fit}  # from {len(pairs)} matched faces of {len(photos)} photos")
    return fit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="a scene dataset: images/ + annotations/")
    parser.add_argument("--split", choices=("train", "val", "train+val", "test"), default="train+val")
    parser.add_argument("--model", type=Path, help="a checkpoint: the photo pipeline's AP per class")
    parser.add_argument("--settings", choices=("all", "course"), default="all")
    parser.add_argument("--fit-boxes", action="store_true", help="print BOX_FIT fitted on the train photos")
    args = parser.parse_args(argv)
    if args.fit_boxes:
        fit_boxes(scene_photos(args.data, "train"))
        return 0
    photos = scene_photos(args.data, args.split)
    model = load_mask_model(args.model) if args.model else None
    hardware = describe_environment()
    print(f"{len(photos)} photos of the {args.split} split, {sum(map(len, photos.values()))} annotated faces")
    print(f"OpenCV {hardware['opencv']}, torch {hardware['torch']}, {hardware['cpu_threads']} CPU threads")
    settings = {f"course {name}": kwargs for name, kwargs in DETECTOR_SETTINGS.items()}
    settings |= CANDIDATES if args.settings == "all" else {}
    results = {}
    for name, kwargs in settings.items():
        found, detect_ms, classify_ms = detect_all(YuNetDetector(**kwargs), photos, model)
        row = {
            "setting": kwargs,
            "detect_ms": round(detect_ms, 1),
            "face_ap50": round(face_ap(found, photos), 4),
        }
        row |= {f"recall_iou{iou}": recall_table(found, photos, iou) for iou in (0.3, 0.5)}
        print(
            f"\n{name}: {kwargs}\n  face AP@0.5 {row['face_ap50']:.3f}; detection {detect_ms:.1f} ms a photo"
        )
        for iou in (0.3, 0.5):
            print(
                f"  recall IoU>={iou}: " + ", ".join(f"{k} {v}" for k, v in row[f"recall_iou{iou}"].items())
            )
        if model is not None:
            classes = model.class_names
            ap = class_ap(found, photos, classes, SCORE_POWER)
            row |= {
                "ap50": {k: round(v, 4) for k, v in ap.items()},
                "map50": round(float(np.mean(list(ap.values()))), 4),
            }
            row |= {"classify_ms": round(classify_ms, 1)} | coco_map(found, photos, classes, SCORE_POWER)
            print(
                f"  {model.describe()}: AP@0.5 "
                + ", ".join(f"{k} {v:.3f}" for k, v in ap.items())
                + f"; mAP {row['map50']:.3f}; COCO mAP@[.5:.95] {row['coco_map_50_95']:.3f}, @0.5 "
                f"{row['coco_map_50']:.3f}; classifying {classify_ms:.1f} ms a photo"
            )
            if args.split == "val":
                powers = {p: class_ap(found, photos, classes, p) for p in POWERS}
                row["ap50_by_power"] = {
                    p: {k: round(v, 4) for k, v in by_class.items()} for p, by_class in powers.items()
                }
                print(
                    "  mAP by power: "
                    + ", ".join(f"{p:g}: {np.mean(list(a.values())):.3f}" for p, a in powers.items())
                )
        results[name] = row
    record_result(f"benchmark_scenes_{args.split}", {"photos": len(photos), "settings": results} | hardware)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
