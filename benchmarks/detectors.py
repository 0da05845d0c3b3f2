"""Which faces each detector finds: YuNet against the Haar cascade, on masked and unmasked faces.

    python benchmarks/detectors.py [--data DIR] [--images 100] [--yunet-model PATH]

The Haar cascade is lesson 07's own cell (haar_faces, read from the notebook): it needs OpenCV 4, so run this
in an environment with `pip install "opencv-python<5"` to compare. Counts, per detector available here, the
images where at least one face was found:

- matplotlib's Grace Hopper portrait, unmasked and with synthetic masks of four colours;
- the first --images images (by name) of each class folder of a flat dataset (with_mask/, without_mask/), if
  --data or MASK_DATA_DIR names one. Those images are face crops: the face fills the frame.

Also times each detector per image. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from helpers.data import DataLayoutError, find_data, find_layout, list_files
from helpers.demo_data import add_synthetic_mask
from helpers.faces import DetectorUnavailableError, YuNetDetector, detection_scale
from helpers.images import ImageLoadError, load_rgb
from helpers.runtime import describe_environment, record_result
from helpers.samples import GRACE_HOPPER_MASK_REGION, MASK_COLOURS, grace_hopper

LESSON_07 = Path(__file__).resolve().parent.parent / "notebooks" / "07_opencv_face_highlighting.ipynb"


def lesson_haar_faces() -> Callable[[dict[str, np.ndarray]], dict[str, int] | None]:
    """Lesson 07's haar_faces (the course writes the cascade only there), run with the names its cell uses."""
    cells = ["".join(cell["source"]) for cell in json.loads(LESSON_07.read_text())["cells"]]
    names = {"cv2": cv2, "np": np, "Path": Path, "detection_scale": detection_scale}
    exec(next(source for source in cells if source.startswith("def haar_faces(")), names)
    return names["haar_faces"]


def portrait_set() -> dict[str, list[np.ndarray]]:
    photo = grace_hopper()
    masked = [
        np.asarray(add_synthetic_mask(photo, GRACE_HOPPER_MASK_REGION, c)) for c in MASK_COLOURS.values()
    ]
    return {"portrait, no mask": [np.asarray(photo)], f"portrait, {len(masked)} mask colours": masked}


def dataset_set(data: str | None, per_class: int) -> dict[str, list[np.ndarray]]:
    try:
        source = find_data(data)
    except DataLayoutError as exc:
        print(f"no dataset: {exc}", file=sys.stderr)
        return {}
    if source.synthetic:
        return {}
    entries, _ = list_files(find_layout(source.root))
    sets: dict[str, list[np.ndarray]] = {}
    for label in ("mask", "no_mask"):
        paths = sorted(e.path for e in entries if e.label == label)[:per_class]
        images = []
        for path in paths:
            try:
                images.append(np.asarray(load_rgb(path)))
            except ImageLoadError:
                continue
        sets[f"{source.root.name} {label}"] = images
    return sets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="a flat dataset (default: MASK_DATA_DIR; none: portraits only)")
    parser.add_argument("--images", type=int, default=100, help="images per class from the dataset")
    parser.add_argument(
        "--yunet-model", type=Path, help="YuNet .onnx (default: MASK_YUNET_MODEL, else the packaged file)"
    )
    args = parser.parse_args(argv)
    try:
        yunet = YuNetDetector(args.yunet_model)
    except DetectorUnavailableError as exc:
        parser.exit(2, f"error: {exc}\n")
    haar = lesson_haar_faces()
    detectors = {"yunet": lambda images: [len(yunet.detect(image)) for image in images]}
    missing = {}
    if haar({}) is None:  # this OpenCV has no cascade: haar_faces printed why
        missing["haar"] = f"OpenCV {cv2.__version__} ships no Haar cascade"
    else:
        detectors["haar"] = lambda images: list(haar(dict(enumerate(images))).values())
    sets = portrait_set() | dataset_set(args.data, args.images)
    hardware = describe_environment()
    print(f"OpenCV {hardware['opencv']}, {hardware['cpu_threads']} CPU threads, {hardware['platform']}")
    print(f"yunet: {yunet.description}" + ", haar: lesson 07's haar_faces" * ("haar" in detectors))
    print(f"{'images':<34} {'count':>5}  " + "  ".join(f"{name:>34}" for name in detectors))
    results: dict[str, dict[str, str]] = {}
    for set_name, images in sets.items():
        row = []
        for name, count_faces in detectors.items():
            start = time.perf_counter()
            found = sum(count > 0 for count in count_faces(images))
            ms = 1000 * (time.perf_counter() - start) / max(1, len(images))
            results.setdefault(name, {})[set_name] = f"{found}/{len(images)}"
            row.append(f"{found:>4}/{len(images):<4} found ({ms:5.1f} ms/img)")
        print(f"{set_name:<34} {len(images):>5}  " + "  ".join(f"{cell:>34}" for cell in row))
    record_result("benchmark_detectors", {"hardware": hardware, "found": results, "missing": missing})
    return 0


if __name__ == "__main__":
    sys.exit(main())
