"""Command line prediction: one JSON object per input, for scripts and batch jobs.

    python -m helpers.predict --model checkpoints/mobilenet_v2.pt [--faces] photo.jpg more/ ...

Each line is {"path", "label", "probability"} for the whole image, plus with --faces
"faces": [{"box": [x, y, w, h], "label", "probability", "score"}] for every face found (left to right).
An input that fails prints {"path", "error"} and the others still run; the exit status is then 1. A model or
detector that cannot be used prints one "error: ..." line on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from helpers.checkpoints import CheckpointError
from helpers.constants import FACE_MARGIN
from helpers.faces import DETECTORS, DetectorUnavailableError, FaceDetector, make_detector
from helpers.images import ImageLoadError, image_files, read_image
from helpers.inference import MaskModel, classify_faces, load_mask_model, predict_image, with_all_classes


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m helpers.predict", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path, help="image files or folders of images")
    parser.add_argument(
        "--model", required=True, type=Path, help="a checkpoint saved by fit() / helpers.train"
    )
    parser.add_argument(
        "--faces",
        action="store_true",
        help="also find every face (YuNet's photo setting: small faces too) and classify each",
    )
    parser.add_argument("--detector", choices=list(DETECTORS), default="yunet", help="face detector (yunet)")
    parser.add_argument(
        "--yunet-model", type=Path, help="YuNet .onnx file (default: MASK_YUNET_MODEL or the shipped file)"
    )
    parser.add_argument(
        "--margin", type=float, default=FACE_MARGIN, help="face crop margin (share of the box)"
    )
    return parser.parse_args(argv)


def inputs(paths: list[Path]) -> Iterator[Path]:
    """Files as given; a folder stands for its images (a folder without images stays, to be reported)."""
    for path in paths:
        if path.is_dir():
            try:
                yield from image_files(path)
            except ImageLoadError:
                yield path
        else:
            yield path


def predict_one(path: Path, model: MaskModel, detector: FaceDetector | None, margin: float) -> dict:
    image = read_image(path)
    (whole,) = with_all_classes(model, image, [predict_image(image, model, detector=None)])
    line = {"path": str(path), "label": whole.label, "probability": round(whole.probability, 4)}
    if detector is not None:
        line["faces"] = [
            {
                "box": list(face.box or ()),
                "label": face.label,
                "probability": round(face.probability, 4),
                "score": None if face.detector_score is None else round(face.detector_score, 4),
            }
            for face in with_all_classes(model, image, classify_faces(image, model, detector, margin), margin)
        ]
    return line


def _reason(path: Path, exc: Exception) -> str:
    if path.is_dir():
        return "a folder with no images"
    return exc.reason if isinstance(exc, ImageLoadError) else str(exc)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        with contextlib.redirect_stdout(
            sys.stderr
        ):  # loading messages on stderr: stdout holds only JSON lines
            model = load_mask_model(args.model, device="cpu")
            detector = make_detector(args.detector, args.yunet_model) if args.faces else None
    except (CheckpointError, DetectorUnavailableError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    failed = 0
    for path in inputs(args.paths):
        try:
            line = predict_one(path, model, detector, args.margin)
        except (ImageLoadError, ValueError, OSError) as exc:
            line = {"path": str(path), "error": _reason(path, exc)}
            failed += 1
        print(json.dumps(line), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
