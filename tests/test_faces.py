"""Faces: YuNet's file checked like any model file, boxes that stay in the image, and lesson 07's cascade."""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from helpers.boxes import clip_box
from helpers.demo_data import add_synthetic_mask
from helpers.faces import (
    BOX_FIT,
    DETECTOR_SETTINGS,
    PACKAGED_YUNET,
    YUNET_ENV,
    YUNET_SHA256,
    DetectorUnavailableError,
    Face,
    YuNetDetector,
    detection_scale,
    fit_box,
    yunet_model_path,
)
from helpers.samples import GRACE_HOPPER_FACE, GRACE_HOPPER_MASK_REGION, grace_hopper
from tests.test_lesson_code import code_cells

FAKE_MODEL = b"\x08\x07pretend onnx bytes" * 100
HTML = b"<!DOCTYPE html><html><body>GitHub: page not found</body></html>"
LESSON_07 = Path(__file__).resolve().parent.parent / "notebooks" / "07_opencv_face_highlighting.ipynb"


def _near(box: tuple[int, int, int, int], expected: tuple[int, int, int, int], tolerance: int = 25) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(box[:2], expected[:2], strict=True))


def test_boxes_are_clipped_at_image_borders() -> None:
    assert clip_box((-10, -5, 50, 40), 100, 80) == (0, 0, 40, 35)
    assert clip_box((90, 70, 30, 30), 100, 80) == (90, 70, 10, 10)
    assert clip_box((120, 10, 20, 20), 100, 80) is None  # wholly outside


def test_yunet_ships_with_the_package_and_needs_no_download(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(YUNET_ENV, raising=False)
    assert PACKAGED_YUNET.stat().st_size == 232_589
    assert hashlib.sha256(PACKAGED_YUNET.read_bytes()).hexdigest() == YUNET_SHA256
    assert yunet_model_path() == PACKAGED_YUNET
    licence = (PACKAGED_YUNET.parent / "LICENSE-YuNet.txt").read_text()
    assert "MIT License" in licence and "Shiqi Yu" in licence and YUNET_SHA256 in licence
    assert YuNetDetector().description == f"YuNet ({PACKAGED_YUNET.name})"


def test_detection_scale_brings_sizes_into_yunets_range() -> None:
    assert detection_scale(1280, 960) == 0.5
    assert detection_scale(160, 120) == 2.0
    assert detection_scale(480, 360) == 1.0


def test_given_path_missing_or_not_a_model_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(YUNET_ENV, str(tmp_path / "missing.onnx"))
    with pytest.raises(DetectorUnavailableError, match=f"missing.onnx: no such file.*{YUNET_ENV}"):
        yunet_model_path()
    with pytest.raises(DetectorUnavailableError, match="a folder"):
        yunet_model_path(tmp_path)
    (tmp_path / "page.onnx").write_bytes(HTML)
    with pytest.raises(DetectorUnavailableError, match="page.onnx: an HTML page"):
        YuNetDetector(tmp_path / "page.onnx")
    for name, content in (("yunet.onnx", FAKE_MODEL), ("empty.onnx", b"")):
        (tmp_path / name).write_bytes(content)
        with pytest.raises(DetectorUnavailableError, match=f"{name}: OpenCV cannot load it"):
            YuNetDetector(tmp_path / name)


def test_yunet_finds_the_face_masked_or_not(yunet_file: Path) -> None:
    detector = YuNetDetector(yunet_file, fit_boxes=False)  # YuNet's own boxes
    photo = grace_hopper()
    for image in (photo, add_synthetic_mask(photo, GRACE_HOPPER_MASK_REGION, (25, 25, 28))):
        faces = detector.detect(np.asarray(image))
        assert len(faces) == 1 and _near(faces[0].box, GRACE_HOPPER_FACE) and faces[0].score > 0.6
    small = np.asarray(photo.resize((128, 150)))  # grown to YuNet's range, boxes back in this image's pixels
    (face,) = detector.detect(small)
    assert _near(face.box, tuple(v // 4 for v in GRACE_HOPPER_FACE), tolerance=8)


def test_lessons_haar_cascade_misses_the_masked_face(capsys: pytest.CaptureFixture[str]) -> None:
    """Lesson 07's own cell: under OpenCV 4 (CI runs this file with it too) it finds the bare face only;
    under OpenCV 5, which removed the cascade, it says so once."""
    (source,) = [cell for cell in code_cells(LESSON_07) if cell.startswith("def haar_faces(")]
    names = {"cv2": cv2, "np": np, "Path": Path, "detection_scale": detection_scale}
    exec(source, names)
    photo = grace_hopper()
    masked = add_synthetic_mask(photo, GRACE_HOPPER_MASK_REGION, (25, 25, 28))
    found = names["haar_faces"]({"no mask": np.asarray(photo), "masked": np.asarray(masked)})
    if cv2.__version__.startswith("4."):
        assert found == {"no mask": 1, "masked": 0}
    else:
        assert found is None and len(capsys.readouterr().out.splitlines()) == 1


def test_bad_image_for_detector_is_named(yunet_file: Path) -> None:
    with pytest.raises(ValueError, match="expected uint8 0-255"):
        YuNetDetector(yunet_file).detect(np.zeros((10, 10, 3), dtype=np.int64))


class PassesNet:
    """Stands in for YuNet: the faces (in the picture's pixels) it finds at each input size, as its rows."""

    def __init__(self, faces_at: dict[tuple[int, int], list[Face]], scale_at: dict[tuple[int, int], float]):
        self.faces_at = faces_at
        self.scale_at = scale_at  # the picture's scale at each input size
        self.size = (0, 0)

    def setInputSize(self, size: tuple[int, int]) -> None:
        self.size = size

    def detect(self, image: np.ndarray) -> tuple[int, np.ndarray | None]:
        assert image.shape[1::-1] == self.size, "the picture has the size YuNet was told"
        scale, faces = self.scale_at[self.size], self.faces_at.get(self.size, [])
        rows = [[*(v * scale for v in face.box), *[0.0] * 10, face.score] for face in faces]
        return 1, np.array(rows, dtype=np.float32) if rows else None


def test_two_passes_keep_one_box_per_face(yunet_file: Path) -> None:
    big, neighbour = Face((100, 100, 80, 80), 0.875), Face((150, 130, 40, 40), 0.75)  # crowds overlap
    duplicate = Face((104, 98, 80, 84), 0.625)  # the big face again, from the second pass
    left, right = Face((10, 20, 40, 40), 0.5), Face((300, 20, 40, 40), 0.375)
    weak, strong = Face((200, 200, 10, 10), 0.25), Face((203, 200, 10, 10), 0.5)  # IoU 0.54: one face
    first, second = (400, 300), (1280, 960)  # 400 px is in YuNet's range; then grown to 1280 px
    detector = YuNetDetector(yunet_file, fit_boxes=False)
    detector.net = PassesNet(  # type: ignore[assignment]
        {first: [big, neighbour, right, weak], second: [duplicate, left, strong]}, {first: 1.0, second: 3.2}
    )
    found = detector.detect(np.zeros((300, 400, 3), dtype=np.uint8))
    assert found == [left, big, neighbour, strong, right], "left to right; the best-scored box of each face"
    detector.net = PassesNet({}, {first: 1.0, second: 3.2})  # type: ignore[assignment]
    assert detector.detect(np.zeros((300, 400, 3), dtype=np.uint8)) == [], "no face in either pass"


@pytest.fixture(scope="module")
def grace_hopper_pixels() -> np.ndarray:
    from matplotlib import cbook

    path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    return np.asarray(Image.open(path).convert("RGB"))


def test_photo_setting_finds_one_face_large_and_small(
    yunet_file: Path, grace_hopper_pixels: np.ndarray
) -> None:
    detector = YuNetDetector(yunet_file)
    (face,) = detector.detect(grace_hopper_pixels)
    x, y, w, h = face.box
    assert 150 < x + w / 2 < 350 and 100 < y + h / 2 < 350 and w > 100
    small = np.asarray(Image.fromarray(grace_hopper_pixels).resize((160, 188)))
    (small_face,) = detector.detect(small)
    assert 30 < small_face.box[2] < 80
    (raw,) = YuNetDetector(yunet_file, fit_boxes=False).detect(grace_hopper_pixels)
    assert fit_box(raw.box, *grace_hopper_pixels.shape[1::-1]) == face.box
    assert face.box[1] > raw.box[1] and face.box[3] < raw.box[3], "annotators box lower and less tall"


def test_fit_box_moves_and_scales_by_box_fit() -> None:
    right, down, wide, tall = BOX_FIT
    x, y, w, h = fit_box((100, 100, 100, 100), 1000, 1000)
    assert (x + w / 2, y + h / 2) == pytest.approx((150 + 100 * right, 150 + 100 * down), abs=1)
    assert (w, h) == pytest.approx((100 * wide, 100 * tall), abs=1)
    x, y, w, h = fit_box((0, 0, 100, 100), 50, 50)
    assert x == 0 and x + w == 50 and y + h == 50, "cut to the picture"
    assert fit_box((60, 60, 10, 10), 50, 50) is None, "nothing left inside"


def test_detector_passes_and_settings(yunet_file: Path) -> None:
    photo = YuNetDetector(yunet_file)
    assert (photo.max_side, photo.upscale_to, photo.score_threshold, photo.fit_boxes) == (
        640,
        1280,
        0.5,
        True,
    )
    assert YuNetDetector(yunet_file, **DETECTOR_SETTINGS["photo"]) == photo, "the defaults: the photo setting"
    evaluation = YuNetDetector(yunet_file, **DETECTOR_SETTINGS["evaluation"])
    assert evaluation.score_threshold < photo.score_threshold
    video = YuNetDetector(yunet_file, **DETECTOR_SETTINGS["video"])
    assert video.upscale_to is None and video.max_side == 480
    assert YuNetDetector(yunet_file, **DETECTOR_SETTINGS["one pass"]).fit_boxes is False
