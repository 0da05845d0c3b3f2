"""A downloaded file's sha256, and whether it is a web page (an error or login page) saved as a model."""

import hashlib
from pathlib import Path


def sha256_file(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def looks_like_html(data: Path | str | bytes) -> bool:
    """True for a web page: give the file's path or its first bytes."""
    if not isinstance(data, bytes):
        with open(data, "rb") as handle:
            data = handle.read(256)
    return data[:256].lstrip().lower().startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<body"))
