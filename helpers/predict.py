"""Command line prediction: one JSON line per input, for scripts and batch jobs (details: docs/cli.md)."""

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from helpers.constants import FACE_MARGIN
from helpers.faces import DetectorUnavailableError, YuNetDetector
from helpers.images import ImageLoadError, image_files, read_image
from helpers.inference import Prediction, classify_faces, load_mask_model, predict_image


def inputs(paths: list[Path]) -> Iterator[Path]:
    """Files as given; a folder stands for its images (a folder without images stays, to be reported)."""
    for path in paths:
        try:
            yield from image_files(path) if path.is_dir() else [path]
        except ImageLoadError:
            yield path


def answer(prediction: Prediction) -> dict:
    """One answer's JSON: label and probability, and for a face its box and YuNet's score."""
    line = {"label": prediction.label, "probability": round(prediction.probability, 4)}
    if prediction.box is None:
        return line
    return {"box": list(prediction.box)} | line | {"score": round(prediction.detector_score, 4)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.predict", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path, help="image files or folders of images")
    parser.add_argument("--model", required=True, type=Path, help="checkpoint saved by fit() / helpers.train")
    parser.add_argument("--faces", action="store_true", help="also classify every face YuNet finds")
    parser.add_argument("--yunet-model", type=Path, help="YuNet .onnx (default: MASK_YUNET_MODEL or shipped)")
    parser.add_argument("--margin", type=float, default=FACE_MARGIN, help="face crop margin per side, 0-1")
    args = parser.parse_args(argv)
    if not 0 <= args.margin <= 1:
        parser.error(f"argument --margin: {args.margin}: expected a share of the face box from 0 to 1")
    try:
        with contextlib.redirect_stdout(sys.stderr):  # loading messages on stderr: stdout holds only JSON
            model = load_mask_model(args.model, device="cpu")
            detector = YuNetDetector(args.yunet_model) if args.faces else None  # the photo setting
    except (DetectorUnavailableError, ValueError) as exc:  # a CheckpointError is a ValueError
        parser.exit(2, f"error: {exc}\n")
    failed = 0
    for path in inputs(args.paths):
        try:
            image = read_image(path)
            line = {"path": str(path)} | answer(predict_image(image, model, detector=None))  # the whole image
            if detector is not None:
                line["faces"] = [answer(face) for face in classify_faces(image, model, detector, args.margin)]
        except (ValueError, OSError) as exc:  # an ImageLoadError is a ValueError
            why = "a folder with no images" if path.is_dir() else getattr(exc, "reason", str(exc))
            line, failed = {"path": str(path), "error": why}, failed + 1
        print(json.dumps(line), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
