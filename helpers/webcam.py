"""Live mask detection from a webcam on your own machine (not in a browser notebook or CI); q or Esc quits."""

import argparse
import contextlib
import sys
import time
from pathlib import Path

import cv2

from helpers.checkpoints import CheckpointError, best_checkpoint_file
from helpers.faces import DetectorUnavailableError, make_detector, quiet_opencv
from helpers.inference import load_mask_model
from helpers.runtime import work_dir
from helpers.video import FrameAnnotator

WINDOW, QUIT_KEYS = "Face-mask detection (q to quit)", {ord("q"), ord("Q"), 27}
NO_WINDOW = "OpenCV cannot open a window here (headless build or no display): "


def open_camera(index: int) -> cv2.VideoCapture:
    """The camera, or an OSError saying why there is none (OpenCV itself logs pages, then gives nothing)."""
    with quiet_opencv():
        camera = cv2.VideoCapture(index)
    if not camera.isOpened():
        camera.release()
        why = "none is connected, another program uses it, or this machine (a server, a browser) has none"
        raise OSError(f"no camera at index {index}: {why}. Try another --camera or a video file (lesson 08).")
    return camera


def run(camera: cv2.VideoCapture, annotator: FrameAnnotator) -> int:
    """Frames from the camera, annotated, shown with the frame rate until a quit key; the frame count."""
    frames, start = 0, time.perf_counter()
    while True:
        ok, frame = camera.read()
        if not ok:
            raise OSError("the camera stopped sending frames")
        shown = cv2.cvtColor(annotator(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)), cv2.COLOR_RGB2BGR)
        frames += 1
        fps = f"{frames / (time.perf_counter() - start):.0f} fps"
        cv2.putText(shown, fps, (10, 25), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 2)
        cv2.imshow(WINDOW, shown)
        if cv2.waitKey(1) & 0xFF in QUIT_KEYS:
            return frames


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.webcam", description=__doc__.splitlines()[0])
    parser.add_argument("--camera", type=int, default=0, help="camera index (0 is the first camera)")
    parser.add_argument("--model", type=Path, help="checkpoint (default: the best in <work dir>/checkpoints)")
    parser.add_argument("--yunet-model", type=Path, help="YuNet .onnx file (default: the shipped file)")
    args, camera, folder = parser.parse_args(argv), None, work_dir() / "checkpoints"
    if args.camera < 0:  # OpenCV crashes on a negative index
        parser.error(f"argument --camera: {args.camera}: expected a camera index, 0 or more (0 is the first)")
    try:
        camera = open_camera(args.camera)
        checkpoint = args.model or best_checkpoint_file(folder)  # an app never trains a model by itself
        if checkpoint is None:
            raise CheckpointError(f"no trained model in {folder}: train one (lessons 02-05, helpers.train)")
        model = load_mask_model(checkpoint)
        detector = make_detector(args.yunet_model, use="video")
        print(f"Model: {model.describe()}\nDetector: {detector.description}\nPress q in the window to quit.")
        print(f"{run(camera, FrameAnnotator(model, detector))} frames")
    except (cv2.error, OSError, CheckpointError, DetectorUnavailableError, ValueError) as exc:
        parser.exit(2, f"error: {NO_WINDOW * isinstance(exc, cv2.error)}{exc}\n")
    except KeyboardInterrupt:
        pass
    finally:
        with contextlib.suppress(cv2.error, AttributeError):  # camera None: no camera, so no window either
            camera.release()
            cv2.destroyAllWindows()
    return 0


if __name__ == "__main__":
    sys.exit(main())
