"""Downloads are tested offline: a loopback HTTP server plays the model zoo."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from helpers.downloads import ChecksumError, DownloadError, download, looks_like_html, verify_file

PAYLOAD = b"pretend model weights " * 1000
HTML = b"<!DOCTYPE html><html><body>Sign in to continue</body></html>"


@pytest.fixture
def server(http_server: tuple[str, Path]) -> str:
    """The loopback hub serving a model file and an HTML page saved under a model's name."""
    url, www = http_server
    (www / "model.bin").write_bytes(PAYLOAD)
    (www / "page.bin").write_bytes(HTML)
    return url


SHA = hashlib.sha256(PAYLOAD).hexdigest()


def test_download_verifies_and_renames(server: str, tmp_path: Path) -> None:
    dest = download(f"{server}/model.bin", tmp_path / "cache" / "model.bin", SHA[:8], progress=False)
    assert dest.read_bytes() == PAYLOAD
    assert not (tmp_path / "cache" / "model.bin.part").exists()


def test_verified_copy_is_not_downloaded_again(tmp_path: Path) -> None:
    dest = tmp_path / "model.bin"
    dest.write_bytes(PAYLOAD)
    assert download("http://127.0.0.1:9/unreachable", dest, SHA, progress=False) == dest


def test_html_page_is_rejected_and_deleted(server: str, tmp_path: Path) -> None:
    dest = tmp_path / "model.bin"
    with pytest.raises(ChecksumError, match="HTML page"):
        download(f"{server}/page.bin", dest, SHA, progress=False)
    assert not dest.exists() and not (tmp_path / "model.bin.part").exists()


def test_wrong_file_already_there_is_replaced(server: str, tmp_path: Path) -> None:
    dest = tmp_path / "model.bin"
    dest.write_bytes(HTML)
    download(f"{server}/model.bin", dest, SHA, progress=False)
    assert dest.read_bytes() == PAYLOAD


def test_offline_error_names_url_and_destination(server: str, tmp_path: Path) -> None:
    dest = tmp_path / "model.bin"
    with pytest.raises(DownloadError, match="could not download .*missing.bin") as info:
        download(f"{server}/missing.bin", dest, SHA, progress=False)
    assert str(dest) in str(info.value) and not dest.exists()


def test_verify_file_messages(tmp_path: Path) -> None:
    path = tmp_path / "weights.pth"
    path.write_bytes(PAYLOAD)
    verify_file(path, SHA[:8])
    with pytest.raises(ChecksumError, match="not the expected file"):
        verify_file(path, "0" * 8)
    with pytest.raises(ValueError, match="at least 8"):
        verify_file(path, "ab")


def test_looks_like_html_reads_a_file_or_its_first_bytes(tmp_path: Path) -> None:
    page, model = tmp_path / "page.onnx", tmp_path / "model.onnx"
    page.write_bytes(b"\n  " + HTML)
    model.write_bytes(PAYLOAD)
    assert (
        looks_like_html(page) and looks_like_html(HTML.lower()) and looks_like_html(b"<?xml version='1.0'?>")
    )
    assert not looks_like_html(model) and not looks_like_html(b"\x89PNG\r\n") and not looks_like_html(b"")
