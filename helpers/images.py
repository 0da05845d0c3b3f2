"""Opening any image a learner might have (a file, a PIL image, an array), upright and RGB, or saying
clearly why not."""

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


def decode_rgb(data: bytes, name: str | Path = "<bytes>") -> Image.Image:
    """Decode image bytes to an upright RGB image; raise ImageLoadError with a reason a person understands.

    The upright size of the original is kept in ``image.info["original_size"]`` for scan reports.
    """
    if not data:
        raise ImageLoadError(name, "empty file (0 bytes)")
    try:
        image = Image.open(io.BytesIO(data))
        width, height = image.size
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


def read_image(source: str | Path | np.ndarray | Image.Image) -> np.ndarray:
    """A path, PIL image or array -> RGB uint8 H x W x 3; a clear error naming the file or value if not."""
    if isinstance(source, Image.Image):
        return np.asarray(source.convert("RGB"))
    if isinstance(source, np.ndarray):
        return _array_to_rgb(source)
    if isinstance(source, str | Path):
        return np.asarray(load_rgb(source))
    raise TypeError(f"expected an image path, a PIL image or a numpy array, got {type(source).__name__}")


def _array_to_rgb(array: np.ndarray) -> np.ndarray:
    """Arrays are read as RGB (as PIL and matplotlib give them); convert OpenCV's BGR with cvtColor first."""
    shape = f"array of shape {array.shape} and dtype {array.dtype}"
    if array.ndim == 2:
        array = array[:, :, None].repeat(3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4) or array.size == 0:
        raise ValueError(f"{shape}: expected an image, H x W (grey), H x W x 3 (RGB) or H x W x 4 (RGBA)")
    if array.dtype != np.uint8:
        if not np.issubdtype(array.dtype, np.floating) or not np.isfinite(array).all():
            raise ValueError(f"{shape}: expected uint8 0-255, or floats 0-1")
        if array.min() < 0 or array.max() > 1:
            raise ValueError(
                f"{shape}: float images must be scaled 0-1 (got {array.min():.3g} to {array.max():.3g})"
            )
        array = np.round(array * 255).astype(np.uint8)
    return np.ascontiguousarray(array[:, :, :3])


IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


def image_files(folder: str | Path) -> list[Path]:
    """The images in a folder (not its subfolders), by name; junk like .DS_Store is left out."""
    folder = Path(folder)
    files = sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not is_junk(p)
    )
    if not files:
        raise ImageLoadError(
            folder, f"a folder with no images (expected files ending {', '.join(sorted(IMAGE_SUFFIXES))})"
        )
    return files


def read_images(path: str | Path) -> list[tuple[str, np.ndarray]]:
    """(name, RGB array) for one image file, or for every readable image in a folder. A bad single file
    raises ImageLoadError; in a folder, unreadable files are reported and skipped, the others still count."""
    path = Path(path)
    if not path.is_dir():
        return [(path.name, read_image(path))]
    images = []
    for file in image_files(path):
        try:
            images.append((file.name, read_image(file)))
        except ImageLoadError as error:
            print(f"{file.name}: skipped, {error.reason}")
    return images
