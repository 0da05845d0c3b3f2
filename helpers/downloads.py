"""What a downloaded file is: its sha256, and whether it is a web page saved under a model's name (an error or
login page a browser or proxy saved): one check for images, checkpoints, weights and the YuNet file. The
downloads themselves go through torch.hub's `download_url_to_file`, which checks the sha256 before the file
gets its name (helpers/weights.py, helpers/faces.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path

HTML_STARTS = (b"<!doctype", b"<html", b"<?xml", b"<head", b"<body")


def sha256_file(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def looks_like_html(data: Path | str | bytes) -> bool:
    """True for a web page: give the file's path or its first bytes."""
    if not isinstance(data, bytes):
        with open(data, "rb") as handle:
            data = handle.read(256)
    return data[:256].lstrip().lower().startswith(HTML_STARTS)
