"""Real photos from outside the training data, for judging generalisation offline.

matplotlib ships a portrait photograph (Grace Hopper, public domain). With add_synthetic_mask it gives the
same real face with and without masks of several colours: the model must say "no_mask" for the first and
"mask" for every colour, at several crop margins and exposures, though it never saw this person or photo.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageEnhance

from helpers.data import CLASS_NAMES
from helpers.demo_data import add_synthetic_mask
from helpers.images import load_rgb

# (x, y, width, height) in matplotlib's grace_hopper.jpg (512 x 600): the face as OpenCV's YuNet finds it,
# and the lower-face region where add_synthetic_mask draws a mask from the nose to the chin.
GRACE_HOPPER_FACE = (183, 120, 170, 212)
GRACE_HOPPER_MASK_REGION = (165, 135, 215, 180)
MASK_COLOURS = {
    "light blue": (70, 130, 200),
    "black": (25, 25, 28),
    "white": (235, 235, 235),
    "red": (200, 60, 80),
}
MARGINS = (0.1, 0.3)  # tight and loose face crops: detectors and datasets frame faces differently
DARKER = 0.55  # an under-exposed copy: lighting (and how dark skin looks) must not change the answer


def grace_hopper() -> Image.Image:
    from matplotlib import cbook

    return load_rgb(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


def expand_box(
    box: tuple[int, int, int, int], margin: float, width: int, height: int
) -> tuple[int, int, int, int]:
    """The face box grown by margin (a share of its size) per side, clipped to the image: x0, y0, x1, y1."""
    x, y, w, h = box
    x0, y0 = max(0, round(x - margin * w)), max(0, round(y - margin * h))
    x1, y1 = min(width, round(x + w + margin * w)), min(height, round(y + h + margin * h))
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f"face box {box} lies outside the {width}x{height} image")
    return x0, y0, x1, y1


def face_crop(image: Image.Image, box: tuple[int, int, int, int], margin: float = 0.2) -> Image.Image:
    return image.crop(expand_box(box, margin, image.width, image.height))


@dataclass(frozen=True)
class PhotoCheck:
    name: str
    image: Image.Image
    label: str


def photo_checks() -> list[PhotoCheck]:
    """Grace Hopper unmasked and with synthetic masks of four colours, two crop margins, normal and dark."""
    photo = grace_hopper()
    versions = {"no mask": (photo, "no_mask")}
    for colour, rgb in MASK_COLOURS.items():
        versions[f"{colour} mask"] = (add_synthetic_mask(photo, GRACE_HOPPER_MASK_REGION, rgb), "mask")
    checks = []
    for name, (image, label) in versions.items():
        for margin in MARGINS:
            crop = face_crop(image, GRACE_HOPPER_FACE, margin)
            checks.append(PhotoCheck(f"{name}, margin {margin:.0%}", crop, label))
            checks.append(PhotoCheck(f"{name}, margin {margin:.0%}, darker", _darker(crop), label))
    return checks


def _darker(image: Image.Image) -> Image.Image:
    return ImageEnhance.Brightness(image).enhance(DARKER)


def as_batch(images: list[Image.Image], size: int) -> torch.Tensor:
    """PIL images -> uint8 N x 3 x size x size, squashed to a square like the training cache."""
    arrays = [
        np.asarray(image.convert("RGB").resize((size, size), Image.Resampling.BILINEAR)) for image in images
    ]
    return torch.from_numpy(np.stack(arrays).copy()).permute(0, 3, 1, 2).contiguous()


@dataclass(frozen=True)
class PhotoCheckResult:
    name: str
    label: str
    p_mask: float

    @property
    def predicted(self) -> str:
        return CLASS_NAMES[0] if self.p_mask >= 0.5 else CLASS_NAMES[1]

    @property
    def correct(self) -> bool:
        return self.predicted == self.label


def run_photo_checks(model: torch.nn.Module, image_size: int) -> list[PhotoCheckResult]:
    from helpers.training import predict_probabilities

    checks = photo_checks()
    probabilities = predict_probabilities(model, as_batch([c.image for c in checks], image_size), image_size)
    mask_index = CLASS_NAMES.index("mask")
    return [
        PhotoCheckResult(check.name, check.label, float(p[mask_index]))
        for check, p in zip(checks, probabilities, strict=True)
    ]


def format_photo_checks(results: list[PhotoCheckResult]) -> str:
    lines = [f"{'photo':<36} {'truth':<8} {'P(mask)':>8}  verdict"]
    lines += [
        f"{r.name:<36} {r.label:<8} {r.p_mask:>8.3f}  {'ok' if r.correct else 'WRONG'}" for r in results
    ]
    right = sum(r.correct for r in results)
    lines.append(f"{right} of {len(results)} right")
    return "\n".join(lines)
