"""Fetching a model file torchvision does not cover (YuNet's ONNX file), once, checked by sha256: a half
download or a saved web page never loads. ImageNet weights go through torchvision and torch.hub instead
(helpers/weights.py), which borrows only the checks here."""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from pathlib import Path

from tqdm.auto import tqdm

HTML_STARTS = (b"<!doctype", b"<html", b"<?xml", b"<head", b"<body")


class DownloadError(RuntimeError):
    """The file could not be fetched; the message names the URL, the destination and what to do offline."""


class ChecksumError(DownloadError):
    """Not the expected bytes: another version, a truncated file, or an HTML page saved under its name."""


def sha256_file(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def looks_like_html(data: Path | str | bytes) -> bool:
    """True for a web page (an error or login page a browser or proxy saved under a file's name): give the
    file's path or its first bytes."""
    if not isinstance(data, bytes):
        with open(data, "rb") as handle:
            data = handle.read(256)
    return data[:256].lstrip().lower().startswith(HTML_STARTS)


def verify_file(path: Path, sha256: str) -> None:
    """Raise ChecksumError unless the file's sha256 starts with sha256 (a full digest or a prefix of 8+)."""
    expected = sha256.lower()
    if len(expected) < 8:
        raise ValueError(f"sha256={sha256!r}: expected at least 8 hex digits")
    actual = sha256_file(path)
    if not actual.startswith(expected):
        kind = "an HTML page, not a model file" if looks_like_html(path) else "not the expected file"
        raise ChecksumError(
            f"{path}: {kind} (sha256 {actual[:16]}..., expected {expected[:16]}...). "
            "Delete it and download it again, or give the path of a correct copy."
        )


def download(url: str, dest: Path, sha256: str, progress: bool = True, timeout: float = 30.0) -> Path:
    """Return dest, downloading it first unless a verified copy is already there.

    Bytes go to ``<dest>.part`` and are renamed only after the checksum matches: an interrupted or wrong
    download leaves nothing under the real name. A wrong file already at dest is deleted and fetched again.
    """
    dest = Path(dest)
    if dest.is_file():
        try:
            verify_file(dest, sha256)
            return dest
        except ChecksumError as exc:
            print(f"Deleting a wrong copy and downloading again: {exc}")
            dest.unlink()
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    request = urllib.request.Request(url, headers={"User-Agent": "face-mask-course"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, open(part, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(
                total=total, unit="B", unit_scale=True, desc=f"Downloading {dest.name}", disable=not progress
            ) as bar:
                for chunk in iter(lambda: response.read(1 << 16), b""):
                    bar.update(out.write(chunk))
        verify_file(part, sha256)
    except ChecksumError as exc:
        part.unlink(missing_ok=True)
        raise ChecksumError(f"{url} -> {dest}: {exc}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        part.unlink(missing_ok=True)
        raise DownloadError(
            f"could not download {url} to {dest}: {getattr(exc, 'reason', None) or exc}. If this machine is "
            "offline, copy the file there by hand (or give its path) and run again."
        ) from None
    os.replace(part, dest)
    return dest
