"""Video: lesson 08's frame loop on a clip made offline, timed after warm-up; errors that say what to do;
the webcam loop and read_frames as lesson 08 writes them in its cells."""

from __future__ import annotations

import ast
from pathlib import Path

import cv2
import numpy as np
import pytest

from helpers.boxes import crop_face, match_boxes
from helpers.collage import make_clip, scene, scene_faces
from helpers.faces import Face
from helpers.inference import MaskModel, load_mask_model
from helpers.samples import GRACE_HOPPER_FACE, grace_hopper
from helpers.video import FrameAnnotator, open_video, write_video
from tests.test_lesson_code import code_cells

LESSON_08 = Path(__file__).resolve().parent.parent / "notebooks" / "08_video_and_webcam.ipynb"
WEBCAM = ("open_camera", "QUIT_KEYS", "TITLE", "show", "close_window", "webcam")

FACES = [
    (crop_face(np.asarray(grace_hopper()), GRACE_HOPPER_FACE, 0.45), label) for label in ("mask", "no_mask")
]


def lesson_08(*names: str) -> dict[str, object]:
    """The named definitions of lesson 08's cells (they live only there), with the notebook's imports."""

    def wanted(node: ast.stmt) -> bool:
        if isinstance(node, ast.Assign):
            return any(getattr(target, "id", None) in names for target in node.targets)
        return isinstance(node, ast.Import | ast.ImportFrom) or getattr(node, "name", None) in names

    namespace: dict[str, object] = {}
    for source in code_cells(LESSON_08):
        kept = [node for node in ast.parse(source).body if wanted(node)]
        exec(compile(ast.Module(kept, type_ignores=[]), LESSON_08.name, "exec"), namespace)
    assert set(names) <= namespace.keys(), f"lesson 08 no longer defines {set(names) - namespace.keys()}"
    return namespace


class SceneDetector:
    """Finds exactly the faces pasted into the scene at time t (the pipeline without a detector model)."""

    name = "scene"
    description = "scene truth"

    def __init__(self, faces: list[tuple[np.ndarray, str]]) -> None:
        self.faces, self.frame = faces, 0

    def detect(self, image: np.ndarray) -> list[Face]:
        truth = scene(self.faces, t=self.frame / 4)[1]
        self.frame += 1
        return [Face(face.box, 1.0) for face in truth]


@pytest.fixture(scope="module")
def model(tiny_checkpoint: Path) -> MaskModel:
    return load_mask_model(tiny_checkpoint, device="cpu")


def test_scene_places_faces_inside_the_frame() -> None:
    frame, truth = scene(FACES * 3)
    assert frame.shape == (480, 640, 3) and frame.dtype == np.uint8
    assert [face.label for face in truth] == ["mask", "no_mask"] * 3
    for face in truth:
        x, y, w, h = face.box
        assert 0 <= x and x + w <= 640 and 0 <= y and y + h <= 480
    assert match_boxes([truth[1].box], [face.box for face in truth]) == [None, 0, None, None, None, None]


def test_annotate_a_clip_and_time_it_after_warm_up(tmp_path: Path, model: MaskModel) -> None:
    clip, truth = make_clip(tmp_path / "clip.mp4", FACES, seconds=1, fps=5)
    assert truth == ["mask", "no_mask"]
    out = tmp_path / "out" / "annotated.mp4"
    out.parent.mkdir()
    out.write_bytes(b"an earlier result")
    annotator = FrameAnnotator(model, SceneDetector(FACES))
    report = write_video(clip, out, annotator)
    assert report.frames == 5 and report.output == out and sum(report.labels.values()) == 10  # 2 a frame
    assert set(report.stage_ms) == {"detect", "classify", "draw"} and min(report.stage_ms.values()) > 0
    assert len(annotator.seconds["detect"]) == 5, (
        "every frame timed; the first two are left out of the figures"
    )
    assert out.stat().st_size > 1000 and not list(out.parent.glob("*.part*"))
    capture, fps, size = open_video(out)
    assert capture.get(7) == 5 and fps == 5 and size == (640, 480)  # 7: CAP_PROP_FRAME_COUNT, every frame
    frames = lesson_08("read_frames")["read_frames"](out, [0, 4, 99])  # frame 99 does not exist
    assert len(frames) == 2 and frames[0].shape == (480, 640, 3) and frames[0].dtype == np.uint8


def test_bad_videos_are_named(tmp_path: Path, model: MaskModel) -> None:
    with pytest.raises(ValueError, match="missing.mp4: no such file"):
        open_video(tmp_path / "missing.mp4")
    with pytest.raises(ValueError, match="a folder"):
        open_video(tmp_path)
    fake = tmp_path / "fake.mp4"
    fake.write_text("not a video")
    out = tmp_path / "out.mp4"
    with pytest.raises(ValueError, match="fake.mp4: OpenCV cannot read it as a video"):
        write_video(fake, out, FrameAnnotator(model, SceneDetector(FACES)))
    assert not out.exists() and not list(tmp_path.glob("*.part*"))


def test_lesson_webcam_names_a_missing_camera_and_frees_one_that_stops(
    model: MaskModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    lesson = lesson_08(*WEBCAM)
    with pytest.raises(OSError, match="no camera at index 97"):
        lesson["open_camera"](97)
    with pytest.raises(ValueError, match="camera index -1: expected 0 or more"):
        lesson["open_camera"](-1)

    class Stopping:  # a camera unplugged before its first frame
        released = False

        def read(self) -> tuple[bool, None]:
            return False, None

        def release(self) -> None:
            self.released = True

    camera, closed = Stopping(), []
    monkeypatch.setattr(cv2, "destroyAllWindows", lambda: closed.append(True))
    monkeypatch.setattr(cv2, "waitKey", lambda ms: -1)
    with pytest.raises(OSError, match="the camera stopped sending frames"):
        lesson["webcam"](FrameAnnotator(model, SceneDetector(FACES)), camera)
    assert camera.released and closed, "the camera is freed and the window closed however the loop ends"


def test_lesson_webcam_stops_when_its_window_is_closed(
    model: MaskModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Camera:
        def read(self) -> tuple[bool, np.ndarray]:
            return True, scene(FACES)[0][:, :, ::-1].copy()

        def release(self) -> None:
            pass

    lesson = lesson_08(*WEBCAM)
    monkeypatch.setattr(cv2, "imshow", lambda name, image: None)
    monkeypatch.setattr(cv2, "waitKey", lambda ms: -1)  # no key pressed
    monkeypatch.setattr(cv2, "getWindowProperty", lambda name, prop: 0.0)  # the close button was clicked
    monkeypatch.setattr(cv2, "destroyAllWindows", lambda: None)
    assert lesson["webcam"](FrameAnnotator(model, SceneDetector(FACES)), Camera()) == 1


def test_interrupted_run_keeps_the_earlier_output(tmp_path: Path, model: MaskModel) -> None:
    class Failing(SceneDetector):
        def detect(self, image: np.ndarray) -> list[Face]:
            raise KeyboardInterrupt

    clip, _ = make_clip(tmp_path / "clip.mp4", FACES[:1], seconds=1, fps=5)
    out = tmp_path / "annotated.mp4"
    out.write_bytes(b"an earlier result")
    with pytest.raises(KeyboardInterrupt):
        write_video(clip, out, FrameAnnotator(model, Failing(FACES[:1])))
    assert out.read_bytes() == b"an earlier result" and not list(tmp_path.glob("*.part*"))


def test_scene_faces_swap_out_what_the_detector_misses(tmp_path: Path) -> None:
    """Faces are taken in file order; one the detector misses (here: the red one) is replaced by the next."""
    from PIL import Image

    colours = [(200, 30, 30), (30, 200, 30), (30, 30, 200), (200, 200, 30)]  # red, green, blue: mask
    paths = []
    for i, rgb in enumerate(colours):
        paths.append(tmp_path / f"{i}.png")
        Image.new("RGB", (40, 40), rgb).save(paths[-1])

    class ColourDetector:
        """Finds each pasted square by its colour, except the red one."""

        name, description = "colour", "colour"

        def detect(self, image: np.ndarray) -> list[Face]:
            faces = []
            for rgb in colours[1:]:
                ys, xs = np.nonzero((image == rgb).all(axis=2))
                if len(xs):
                    box = (
                        int(xs.min()),
                        int(ys.min()),
                        int(xs.max() - xs.min() + 1),
                        int(ys.max() - ys.min() + 1),
                    )
                    faces.append(Face(box, 1.0))
            return faces

    faces, tried = scene_faces(
        ColourDetector(), paths, ["mask"] * 3 + ["no_mask"], per_class=1, times=(0.0, 0.5, 1.0)
    )
    assert [tuple(face[0, 0]) for face, _ in faces] == [colours[1], colours[3]], "green replaced red"
    assert [label for _, label in faces] == ["mask", "no_mask"]
    assert tried == {"mask": "1 found of 2 tried", "no_mask": "1 found of 1 tried"}
    with pytest.raises(ValueError, match="at least one face"):
        scene([])
