"""Live mask detection from a webcam, for your own machine (not for notebooks in a browser or CI).

    python -m helpers.webcam [--camera 0] [--model CHECKPOINT] [--detector yunet|haar]

Press q (or Esc) in the window to quit. Without a camera, or with an OpenCV build that cannot open windows
(opencv-python-headless, a server without a display), it prints one "error: ..." line and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2

from helpers.checkpoints import CheckpointError
from helpers.faces import DETECTORS, DetectorUnavailableError, make_detector, quiet_opencv
from helpers.inference import load_mask_model
from helpers.video import FrameAnnotator

WINDOW = "Face-mask detection (q to quit)"
QUIT_KEYS = {ord("q"), ord("Q"), 27}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m helpers.webcam", description=__doc__.splitlines()[0])
    parser.add_argument("--camera", type=int, default=0, help="camera index (0 is the first camera)")
    parser.add_argument("--model", type=Path, help="checkpoint (default: the course's best model)")
    parser.add_argument("--detector", choices=list(DETECTORS), default="yunet")
    parser.add_argument(
        "--yunet-model", type=Path, help="YuNet .onnx file (default: MASK_YUNET_MODEL or the shipped file)"
    )
    return parser.parse_args(argv)


def best_checkpoint() -> Path:
    """The course's best checkpoint for the data in use; an app never trains one by itself."""
    from helpers.evaluation import find_checkpoints

    search = find_checkpoints()
    best = search.best()
    if best is None:
        raise CheckpointError(
            f"no trained model for this data yet ({search}); run lessons 02-05 or python -m helpers.train"
        )
    return best.path


def open_camera(index: int) -> cv2.VideoCapture:
    with quiet_opencv(silent=True):
        camera = cv2.VideoCapture(index)
    if not camera.isOpened():
        camera.release()
        raise OSError(
            f"no camera at index {index}: none is connected, another program is using it, or this machine "
            "(a server, a browser-based notebook) has no camera. Try another --camera, or a video file "
            "(lesson 08, helpers.video.annotate_video)."
        )
    return camera


def run(camera: cv2.VideoCapture, annotator: FrameAnnotator) -> int:
    frames, start = 0, time.perf_counter()
    while True:
        ok, frame = camera.read()
        if not ok:
            raise OSError("the camera stopped sending frames")
        annotated = annotator(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        frames += 1
        fps = frames / (time.perf_counter() - start)
        shown = cv2.cvtColor(annotated, cv2.COLOR_RGB2BGR)
        cv2.putText(shown, f"{fps:.0f} fps", (10, 25), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 2)
        cv2.imshow(WINDOW, shown)
        if cv2.waitKey(1) & 0xFF in QUIT_KEYS:
            return frames


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    camera = None
    try:
        camera = open_camera(args.camera)
        model = load_mask_model(args.model or best_checkpoint())
        detector = make_detector(args.detector, args.yunet_model, use="video")
        print(f"Model: {model.describe()}\nDetector: {detector.description}\nPress q in the window to quit.")
        frames = run(camera, FrameAnnotator(model, detector))
        print(f"{frames} frames")
    except cv2.error as exc:
        print(
            f"error: OpenCV cannot open a window here (headless build or no display): {exc}", file=sys.stderr
        )
        return 2
    except (OSError, CheckpointError, DetectorUnavailableError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    finally:
        if camera is not None:
            camera.release()
        if hasattr(cv2, "destroyAllWindows"):
            try:
                cv2.destroyAllWindows()
            except cv2.error:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
