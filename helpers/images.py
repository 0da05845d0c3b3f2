"""Opening any image a learner has (a file, a PIL image, an array), upright and RGB, or saying why not."""

import contextlib
import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from helpers.downloads import looks_like_html

JUNK_NAMES = {"thumbs.db", "desktop.ini", "__macosx"}  # left by systems and archivers, as are hidden files
IMAGE_SUFFIXES = (".bmp", ".gif", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp")


class ImageLoadError(ValueError):
    """Raised with the file and the reason, instead of a NoneType error deep inside PIL or OpenCV."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path, self.reason = str(path), reason
        super().__init__(f"{path}: {reason}")


def is_junk(path: Path) -> bool:
    """Hidden files (.DS_Store, AppleDouble ._x.jpg) and system folders that sit beside real images."""
    return any(part.lower() in JUNK_NAMES or part.startswith(".") for part in path.parts[-2:])


def decode_rgb(data: bytes, name: str | Path = "<bytes>") -> Image.Image:
    """Image bytes -> upright 8-bit RGB, from every mode PIL opens; ImageLoadError with a reason if not."""
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except UnidentifiedImageError:  # an empty file too
        hint = " (it is an HTML page, not an image)" if looks_like_html(data) else ""
        reason = f"not an image file PIL can read{hint}" if data else "empty file (0 bytes)"
        raise ImageLoadError(name, reason) from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageLoadError(name, f"corrupt or truncated image, or too large to decode ({exc})") from None
    with contextlib.suppress(Exception):  # a broken EXIF block must not cost us an otherwise good image
        image = ImageOps.exif_transpose(image)  # phone photos: stored sideways, EXIF says how to turn them
    if image.mode in {"I;16", "I;16B", "I;16L", "I;16N", "I", "F"}:  # convert() would clip them at 255
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") or values.max(initial=0) > 255 else 255.0
        return Image.fromarray(np.clip(values / top * 255.0, 0, 255).astype(np.uint8)).convert("RGB")
    if image.has_transparency_data:  # onto white
        image = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image.convert("RGBA"))
    return image.convert("RGB")


def load_rgb(path: str | Path) -> Image.Image:
    """Open an image file as upright 8-bit RGB, whatever its extension, mode or EXIF orientation."""
    path = Path(path)
    if not path.is_file():
        raise ImageLoadError(path, "is a folder, expected an image file" if path.exists() else "no such file")
    return decode_rgb(path.read_bytes(), path)


def read_image(source: str | Path | np.ndarray | Image.Image) -> np.ndarray:
    """Path, PIL image or RGB array (convert OpenCV's BGR first) -> RGB uint8 H x W x 3, or a clear error."""
    if isinstance(source, Image.Image | str | Path):
        return np.asarray(source.convert("RGB") if isinstance(source, Image.Image) else load_rgb(source))
    if not isinstance(source, np.ndarray):
        raise TypeError(f"expected an image path, a PIL image or a numpy array, got {type(source).__name__}")
    shape = f"array of shape {source.shape} and dtype {source.dtype}"
    array = source[:, :, None].repeat(3, axis=2) if source.ndim == 2 else source
    if array.ndim != 3 or array.shape[2] not in (3, 4) or array.size == 0:
        raise ValueError(f"{shape}: expected an image, H x W (grey), H x W x 3 (RGB) or H x W x 4 (RGBA)")
    if array.dtype != np.uint8:
        if not np.issubdtype(array.dtype, np.floating) or not np.isfinite(array).all():
            raise ValueError(f"{shape}: expected uint8 0-255, or floats 0-1")
        if array.min() < 0 or array.max() > 1:
            low, high = array.min(), array.max()
            raise ValueError(f"{shape}: float images must be scaled 0-1 (got {low:.3g} to {high:.3g})")
        array = np.round(array * 255).astype(np.uint8)
    return np.ascontiguousarray(array[:, :, :3])


def image_files(folder: str | Path) -> list[Path]:
    """The images in a folder (not its subfolders), by name; junk like .DS_Store is left out."""
    files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not (files := [p for p in files if not is_junk(p)]):
        suffixes = ", ".join(IMAGE_SUFFIXES)
        raise ImageLoadError(folder, f"a folder with no images (expected files ending {suffixes})")
    return files


def read_images(path: str | Path) -> list[tuple[str, np.ndarray]]:
    """(name, RGB array) for an image file, or each readable image in a folder (others said, skipped)."""
    if not Path(path).is_dir():
        return [(Path(path).name, read_image(path))]
    images = []
    for file in image_files(path):
        try:
            images.append((file.name, read_image(file)))
        except ImageLoadError as error:
            print(f"{file.name}: skipped, {error.reason}")
    return images
