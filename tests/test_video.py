"""Video: a demo clip made offline, annotated frame by frame; webcam and video errors that say what to do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers.faces import Face
from helpers.inference import MaskModel, Prediction, load_mask_model
from helpers.video import FrameAnnotator, annotate_video, make_demo_clip, matches, open_video, scene


class SceneDetector:
    """Finds exactly the faces pasted into the scene (the pipeline without a detector model)."""

    name = "scene"
    description = "scene truth"

    def __init__(self, n_faces: int) -> None:
        self.n_faces = n_faces

    def detect(self, image: np.ndarray) -> list[Face]:
        return [Face(face.box, 1.0) for face in scene(self.n_faces)[1]]


@pytest.fixture(scope="module")
def model(tiny_checkpoint: Path) -> MaskModel:
    return load_mask_model(tiny_checkpoint, device="cpu")


def test_scene_places_faces_inside_the_frame() -> None:
    frame, truth = scene(5)
    assert frame.shape == (480, 640, 3) and frame.dtype == np.uint8
    assert [face.label for face in truth] == ["no_mask", "mask", "mask", "mask", "mask"]
    for face in truth:
        x, y, w, h = face.box
        assert 0 <= x and x + w <= 640 and 0 <= y and y + h <= 480
    found = [Prediction.from_p_mask(0.9, box=truth[1].box)]
    assert [p for _, p in matches(found, truth)] == [None, found[0], None, None, None]


def test_annotate_a_demo_clip(tmp_path: Path, model: MaskModel) -> None:
    clip = make_demo_clip(tmp_path / "clip.mp4", n_faces=2, seconds=1, fps=5)
    out = tmp_path / "out" / "annotated.mp4"
    out.parent.mkdir()
    out.write_bytes(b"an earlier result")
    report = annotate_video(clip, out, FrameAnnotator(model, SceneDetector(2)))
    assert report.frames == 5 and report.size == (640, 480) and report.faces_per_frame == 2
    assert sum(report.labels.values()) == 10 and set(report.stage_ms) == {"detect", "classify", "draw"}
    assert report.fps > 0 and "frames/s end to end" in str(report)
    assert out.stat().st_size > 1000 and not list(out.parent.glob("*.part*"))
    assert open_video(out).get(7) == 5  # cv2.CAP_PROP_FRAME_COUNT: the annotated copy has every frame


def test_bad_videos_are_named(tmp_path: Path, model: MaskModel) -> None:
    with pytest.raises(ValueError, match="missing.mp4: no such file"):
        open_video(tmp_path / "missing.mp4")
    with pytest.raises(ValueError, match="a folder"):
        open_video(tmp_path)
    fake = tmp_path / "fake.mp4"
    fake.write_text("not a video")
    out = tmp_path / "out.mp4"
    with pytest.raises(ValueError, match="fake.mp4: OpenCV cannot read it as a video"):
        annotate_video(fake, out, FrameAnnotator(model, SceneDetector(1)))
    assert not out.exists()


def test_webcam_without_camera_is_one_error_line(tiny_checkpoint: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "helpers.webcam", "--camera", "97", "--model", str(tiny_checkpoint)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "error: no camera at index 97" in done.stderr


def test_interrupted_run_keeps_the_earlier_output(tmp_path: Path, model: MaskModel) -> None:
    class Failing(SceneDetector):
        def detect(self, image: np.ndarray) -> list[Face]:
            raise KeyboardInterrupt

    clip = make_demo_clip(tmp_path / "clip.mp4", n_faces=1, seconds=1, fps=5)
    out = tmp_path / "annotated.mp4"
    out.write_bytes(b"an earlier result")
    with pytest.raises(KeyboardInterrupt):
        annotate_video(clip, out, FrameAnnotator(model, Failing(1)))
    assert out.read_bytes() == b"an earlier result" and not list(tmp_path.glob("*.part*"))
