"""Downloads are tested offline: a loopback HTTP server plays OpenCV's model zoo for the YuNet file, the one
model file the course fetches itself when its packaged copy is missing or damaged (ImageNet weights:
tests/test_weights.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

import helpers.faces as faces
from helpers.downloads import looks_like_html, sha256_file
from helpers.faces import PACKAGED_YUNET, YUNET_ENV, YUNET_SHA256, DetectorUnavailableError, yunet_model_path

HTML = b"<!DOCTYPE html><html><body>Sign in to continue</body></html>"


@pytest.fixture
def zoo(http_server: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A damaged packaged file (a saved web page) and a loopback zoo; returns the zoo's folder."""
    url, www = http_server
    damaged = tmp_path / "assets" / PACKAGED_YUNET.name
    damaged.parent.mkdir()
    damaged.write_bytes(HTML)
    monkeypatch.setattr(faces, "PACKAGED_YUNET", damaged)
    monkeypatch.setattr(faces, "YUNET_URL", f"{url}/{PACKAGED_YUNET.name}")
    monkeypatch.delenv(YUNET_ENV, raising=False)
    return www


def test_a_damaged_packaged_file_is_replaced_by_a_checked_download(zoo: Path, private_work_dir: Path) -> None:
    (zoo / PACKAGED_YUNET.name).write_bytes(PACKAGED_YUNET.read_bytes())
    path = yunet_model_path()
    assert path == private_work_dir / "models" / PACKAGED_YUNET.name and sha256_file(path) == YUNET_SHA256
    (zoo / PACKAGED_YUNET.name).unlink()  # the checked copy is used from now on, without the network
    assert yunet_model_path() == path


def test_a_wrong_download_is_refused_and_not_kept(zoo: Path, private_work_dir: Path) -> None:
    (zoo / PACKAGED_YUNET.name).write_bytes(HTML)  # the zoo answers with a web page
    with pytest.raises(DetectorUnavailableError, match="could not be fetched"):
        yunet_model_path()
    assert not (private_work_dir / "models" / PACKAGED_YUNET.name).exists()


def test_an_unreachable_zoo_says_what_to_do(zoo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(faces, "YUNET_URL", "http://127.0.0.1:9/yunet.onnx")
    with pytest.raises(DetectorUnavailableError, match=f"by path or {YUNET_ENV}"):
        yunet_model_path()


def test_web_pages_are_recognised_from_a_path_or_bytes(tmp_path: Path) -> None:
    page = tmp_path / "weights.pth"
    page.write_bytes(b"  \n" + HTML)
    assert looks_like_html(page) and looks_like_html(HTML.upper())
    assert not looks_like_html(PACKAGED_YUNET) and not looks_like_html(b"PK\x03\x04 zip archive")
