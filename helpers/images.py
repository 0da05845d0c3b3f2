"""Opening any image file a learner might have, upright and RGB, or saying clearly why not."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

# Names that operating systems and archivers leave behind; never images.
JUNK_NAMES = {".ds_store", "thumbs.db", "desktop.ini", "__macosx", ".ipynb_checkpoints"}


class ImageLoadError(ValueError):
    """Raised with the file and the reason, instead of a NoneType error deep inside PIL or OpenCV."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


def is_junk(path: Path) -> bool:
    """Hidden files (.DS_Store, AppleDouble ._x.jpg) and system folders that sit beside real images."""
    return any(part.lower() in JUNK_NAMES or part.startswith(".") for part in path.parts[-2:])


def _to_rgb(image: Image.Image) -> Image.Image:
    """Every mode PIL can open (RGBA, P, L, 1, CMYK, I;16, I, F) becomes 8-bit RGB."""
    if image.mode in {"I;16", "I;16B", "I;16L", "I;16N", "I", "F"}:
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") or values.max(initial=0) > 255 else 255.0
        values = np.clip(values / top * 255.0, 0, 255).astype(np.uint8)
        return Image.fromarray(values, mode="L").convert("RGB")
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in {"RGBA", "LA", "PA", "RGBa", "La"}:
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        return background
    return image.convert("RGB")


def decode_rgb(data: bytes, name: str | Path = "<bytes>", draft_size: int | None = None) -> Image.Image:
    """Decode image bytes to an upright RGB image; raise ImageLoadError with a reason a person understands.

    draft_size lets JPEG decoding skip detail we would throw away (a 4000 px photo decodes ~8x faster for a
    128 px cache). The size before any of that is kept in ``image.info["original_size"]`` for scan reports.
    """
    if not data:
        raise ImageLoadError(name, "empty file (0 bytes)")
    try:
        image = Image.open(io.BytesIO(data))
        width, height = image.size
        if draft_size and image.format == "JPEG":
            image.draft("RGB", (draft_size, draft_size))
        image.load()
    except UnidentifiedImageError:
        head = data[:64].lstrip().lower()
        hint = " (it is an HTML page, not an image)" if head.startswith((b"<!doctype", b"<html")) else ""
        raise ImageLoadError(name, f"not an image file PIL can read{hint}") from None
    except Image.DecompressionBombError as exc:
        raise ImageLoadError(name, f"image too large to decode safely ({exc})") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageLoadError(name, f"corrupt or truncated image ({exc})") from None
    try:
        if image.getexif().get(0x0112, 1) in {5, 6, 7, 8}:  # EXIF says rotate by 90 degrees
            width, height = height, width
        image = ImageOps.exif_transpose(image)
    except Exception:  # noqa: BLE001 - a broken EXIF block must not cost us an otherwise good image
        pass
    rgb = _to_rgb(image)
    rgb.info["original_size"] = (width, height)
    return rgb


def load_rgb(path: str | Path) -> Image.Image:
    """Open an image file as upright 8-bit RGB, whatever its extension, mode or EXIF orientation."""
    path = Path(path)
    if not path.exists():
        raise ImageLoadError(path, "no such file")
    if path.is_dir():
        raise ImageLoadError(path, "is a folder, expected an image file")
    return decode_rgb(path.read_bytes(), path)
