"""Face detectors: one interface, YuNet's file checked like any model file, boxes that stay in the image."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from helpers import faces
from helpers.boxes import clip_box
from helpers.demo_data import add_synthetic_mask
from helpers.faces import (
    PACKAGED_YUNET,
    YUNET_ENV,
    YUNET_SHA256,
    DetectorUnavailableError,
    HaarDetector,
    YuNetDetector,
    default_detector,
    detection_scale,
    haar_cascade_file,
    make_detector,
    yunet_model_path,
)
from helpers.runtime import work_dir
from helpers.samples import GRACE_HOPPER_FACE, GRACE_HOPPER_MASK_REGION, grace_hopper

FAKE_MODEL = b"\x08\x07pretend onnx bytes" * 100
HTML = b"<!DOCTYPE html><html><body>GitHub: page not found</body></html>"


def _near(box: tuple[int, int, int, int], expected: tuple[int, int, int, int], tolerance: int = 25) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(box[:2], expected[:2], strict=True))


def test_boxes_are_clipped_at_image_borders() -> None:
    assert clip_box((-10, -5, 50, 40), 100, 80) == (0, 0, 40, 35)
    assert clip_box((90, 70, 30, 30), 100, 80) == (90, 70, 10, 10)
    assert clip_box((120, 10, 20, 20), 100, 80) is None  # wholly outside


@pytest.fixture
def no_packaged_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """As if the package had lost its YuNet file: the checked download is the way left."""
    monkeypatch.delenv(YUNET_ENV, raising=False)
    monkeypatch.setattr(faces, "PACKAGED_YUNET", tmp_path / "not-shipped.onnx")


def test_yunet_ships_with_the_package_and_needs_no_download(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(YUNET_ENV, raising=False)
    assert PACKAGED_YUNET.stat().st_size == 232_589
    assert hashlib.sha256(PACKAGED_YUNET.read_bytes()).hexdigest() == YUNET_SHA256
    assert yunet_model_path(download_missing=False) == PACKAGED_YUNET
    licence = (PACKAGED_YUNET.parent / "LICENSE-YuNet.txt").read_text()
    assert "MIT License" in licence and "Shiqi Yu" in licence and YUNET_SHA256 in licence
    assert YuNetDetector().description == "YuNet 2023mar"


def test_detection_scale_brings_sizes_into_yunets_range() -> None:
    assert detection_scale(1280, 960) == 0.5
    assert detection_scale(160, 120) == 2.0
    assert detection_scale(480, 360) == 1.0


def test_unknown_detector_is_named() -> None:
    with pytest.raises(ValueError, match="'dlib'.*yunet, haar"):
        make_detector("dlib")


def test_given_path_missing_or_html_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(YUNET_ENV, str(tmp_path / "missing.onnx"))
    with pytest.raises(DetectorUnavailableError, match=f"missing.onnx \\({YUNET_ENV}\\): no such file"):
        yunet_model_path()
    page = tmp_path / "face_detection_yunet_2023mar.onnx"
    page.write_bytes(HTML)
    with pytest.raises(DetectorUnavailableError, match="HTML page"):
        yunet_model_path(page)
    with pytest.raises(DetectorUnavailableError, match="a folder"):
        yunet_model_path(tmp_path)


@pytest.mark.usefixtures("no_packaged_file")
def test_download_is_cached_and_checked(http_server: tuple[str, Path]) -> None:
    url, www = http_server
    (www / "yunet.onnx").write_bytes(FAKE_MODEL)
    sha = hashlib.sha256(FAKE_MODEL).hexdigest()
    path = yunet_model_path(url=f"{url}/yunet.onnx", sha256=sha, progress=False)
    assert path.read_bytes() == FAKE_MODEL and path.parent.name == "models"
    (www / "yunet.onnx").unlink()  # the cached, checked copy is used from now on
    assert yunet_model_path(url=f"{url}/yunet.onnx", sha256=sha, progress=False) == path


@pytest.mark.usefixtures("no_packaged_file")
def test_html_page_from_the_hub_is_rejected_and_deleted(http_server: tuple[str, Path]) -> None:
    url, www = http_server
    (www / "yunet.onnx").write_bytes(HTML)
    with pytest.raises(DetectorUnavailableError, match="HTML page") as info:
        yunet_model_path(
            url=f"{url}/yunet.onnx", sha256=hashlib.sha256(FAKE_MODEL).hexdigest(), progress=False
        )
    assert YUNET_ENV in str(info.value)
    assert not list((work_dir() / "models").glob("*.onnx*")), "neither the page nor a .part file is kept"


@pytest.mark.usefixtures("no_packaged_file")
def test_offline_without_model_says_what_to_do() -> None:
    with pytest.raises(DetectorUnavailableError, match=f"could not download.*{YUNET_ENV}"):
        yunet_model_path(url="http://127.0.0.1:9/yunet.onnx", progress=False)
    with pytest.raises(DetectorUnavailableError, match="downloading is off"):
        yunet_model_path(download_missing=False)


def test_not_an_onnx_file_is_named(tmp_path: Path) -> None:
    fake = tmp_path / "yunet.onnx"
    fake.write_bytes(FAKE_MODEL)
    with pytest.raises(DetectorUnavailableError, match="yunet.onnx: OpenCV cannot load it"):
        YuNetDetector(fake)


def test_yunet_finds_the_face_masked_or_not(yunet_file: Path) -> None:
    detector = make_detector("yunet", yunet_file)
    photo = grace_hopper()
    for image in (photo, add_synthetic_mask(photo, GRACE_HOPPER_MASK_REGION, (25, 25, 28))):
        faces = detector.detect(np.asarray(image))
        assert len(faces) == 1 and _near(faces[0].box, GRACE_HOPPER_FACE) and faces[0].score > 0.6
    small = np.asarray(photo.resize((128, 150)))  # grown to YuNet's range, boxes back in this image's pixels
    (face,) = detector.detect(small)
    assert _near(face.box, tuple(v // 4 for v in GRACE_HOPPER_FACE), tolerance=8)


@pytest.mark.skipif(haar_cascade_file() is None, reason="this OpenCV build ships no Haar cascade")
def test_haar_finds_the_unmasked_face() -> None:
    faces = HaarDetector().detect(np.asarray(grace_hopper()))
    assert len(faces) == 1 and _near(faces[0].box, GRACE_HOPPER_FACE, tolerance=45) and faces[0].score is None


@pytest.mark.skipif(haar_cascade_file() is not None, reason="this OpenCV build ships the Haar cascade")
def test_haar_missing_is_explained() -> None:
    with pytest.raises(DetectorUnavailableError, match="OpenCV 5 removed CascadeClassifier"):
        HaarDetector()


@pytest.mark.parametrize("haar_here", [True, False])
def test_fallback_is_said(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, haar_here: bool
) -> None:
    monkeypatch.setenv(YUNET_ENV, "/nonexistent/yunet.onnx")
    if haar_here:  # as on OpenCV 4, whatever this machine's OpenCV is
        cascade = tmp_path / "haarcascade_frontalface_default.xml"
        cascade.write_text("<opencv_storage></opencv_storage>")
        monkeypatch.setattr(faces, "haar_cascade_file", lambda: cascade)
        monkeypatch.setattr(faces.cv2, "CascadeClassifier", lambda path: object(), raising=False)
    else:
        monkeypatch.setattr(faces, "haar_cascade_file", lambda: None)
    detector = default_detector()
    said = capsys.readouterr().out
    assert "nonexistent/yunet.onnx" in said
    if haar_here:
        assert detector.name == "Haar cascade" and "misses many masked faces" in said
    else:
        assert detector is None and "classified as a whole" in said


def test_bad_image_for_detector_is_named(yunet_file: Path) -> None:
    with pytest.raises(ValueError, match="expected an RGB uint8 image.*float64"):
        make_detector("yunet", yunet_file).detect(np.zeros((10, 10, 3)))
