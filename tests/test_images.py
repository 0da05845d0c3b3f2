"""Every kind of bad or unusual image file a learner's dataset may hold, read or refused with a reason."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from helpers.images import ImageLoadError, is_junk, load_rgb
from tests.conftest import write_image


def rgb_at(image: Image.Image, xy: tuple[int, int]) -> tuple[int, int, int]:
    return image.getpixel(xy)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.jpg", b"", "empty file"),
        ("notes.png", b"this is a text file, not a picture\n" * 5, "not an image"),
        ("page.jpg", b"<!DOCTYPE html><html><body>Not found</body></html>", "HTML page"),
        (
            "random.jpg",
            bytes(np.random.default_rng(0).integers(0, 256, 2000, dtype=np.uint8)),
            "not an image",
        ),
    ],
)
def test_unreadable_files_raise_with_path_and_reason(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImageLoadError) as caught:
        load_rgb(path)
    assert name in str(caught.value) and reason in caught.value.reason


def test_truncated_jpeg_is_reported_not_half_loaded(tmp_path: Path) -> None:
    good = write_image(tmp_path / "good.jpg", seed=1, size=(200, 200))
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(good.read_bytes()[:1500])
    with pytest.raises(ImageLoadError, match="truncated"):
        load_rgb(cut)


def test_missing_file_and_folder_give_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ImageLoadError, match="no such file"):
        load_rgb(tmp_path / "nope.jpg")
    with pytest.raises(ImageLoadError, match="is a folder"):
        load_rgb(tmp_path)


def test_rgba_is_composited_on_white(tmp_path: Path) -> None:
    pixels = np.zeros((10, 10, 4), np.uint8)
    pixels[..., 0] = 255
    pixels[:, :5, 3] = 255  # left half opaque red, right half fully transparent
    Image.fromarray(pixels, "RGBA").save(tmp_path / "a.png")
    image = load_rgb(tmp_path / "a.png")
    assert (
        image.mode == "RGB"
        and rgb_at(image, (1, 1)) == (255, 0, 0)
        and rgb_at(image, (8, 8)) == (255, 255, 255)
    )


@pytest.mark.parametrize("mode", ["P", "L", "1", "LA"])
def test_palette_gray_and_bilevel_become_rgb(tmp_path: Path, mode: str) -> None:
    Image.new("RGB", (12, 9), (200, 200, 200)).convert(mode).save(tmp_path / "x.png")
    image = load_rgb(tmp_path / "x.png")
    assert image.mode == "RGB" and image.size == (12, 9)


def test_palette_with_transparency(tmp_path: Path) -> None:
    image = Image.new("P", (8, 8), 0)
    image.putpalette([0, 0, 0, 10, 200, 30] + [0] * 762)
    image.paste(1, (0, 0, 4, 8))
    image.save(tmp_path / "t.png", transparency=0)
    loaded = load_rgb(tmp_path / "t.png")
    assert rgb_at(loaded, (1, 1)) == (10, 200, 30) and rgb_at(loaded, (6, 6)) == (255, 255, 255)


def test_cmyk_jpeg_becomes_rgb(tmp_path: Path) -> None:
    Image.new("CMYK", (16, 16), (0, 255, 255, 0)).save(tmp_path / "c.jpg")
    red, green, blue = rgb_at(load_rgb(tmp_path / "c.jpg"), (8, 8))
    assert red > 200 and green < 60 and blue < 60


def test_16_bit_png_is_scaled_not_clipped(tmp_path: Path) -> None:
    ramp = np.tile(np.linspace(0, 65535, 32, dtype=np.uint16), (4, 1))
    Image.fromarray(ramp).save(tmp_path / "deep.png")
    assert Image.open(tmp_path / "deep.png").mode.startswith("I")
    image = np.asarray(load_rgb(tmp_path / "deep.png"))
    assert image[0, 0, 0] == 0 and image[0, -1, 0] == 255 and 100 < image[0, 16, 0] < 160


def test_exif_rotated_photo_is_made_upright(tmp_path: Path) -> None:
    pixels = np.zeros((20, 40, 3), np.uint8)  # stored landscape, 40 wide x 20 high
    pixels[:, :20] = (255, 0, 0)  # left half red
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    Image.fromarray(pixels).save(tmp_path / "phone.jpg", exif=exif, quality=95)
    image = load_rgb(tmp_path / "phone.jpg")
    assert image.size == (20, 40)  # shown portrait
    assert rgb_at(image, (10, 5))[0] > 200 and rgb_at(image, (10, 35))[0] < 60  # red on top after rotation


@pytest.mark.parametrize("name", ["face.webp", "face.jpg_1088wx1632h", "FACE.JPEG", "face"])
def test_odd_extensions_are_read_by_content(tmp_path: Path, name: str) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10), (1, 2, 3)).save(buffer, format="WEBP" if name.endswith("webp") else "JPEG")
    (tmp_path / name).write_bytes(buffer.getvalue())
    assert load_rgb(tmp_path / name).size == (10, 10)


@pytest.mark.parametrize(
    ("relative", "junk"),
    [
        (".DS_Store", True),
        ("._photo.jpg", True),
        ("Thumbs.db", True),
        ("__MACOSX/a.jpg", True),
        ("with_mask/a.jpg", False),
        ("desktop.ini", True),
    ],
)
def test_junk_names(relative: str, junk: bool) -> None:
    assert is_junk(Path(relative)) is junk
