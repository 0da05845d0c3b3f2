"""Real photos from outside the training data, for judging generalisation offline.

Two real crowd photos ship in helpers/assets/scenes/ (Kaggle's "Face Mask Detection" set, CC0; every face
boxed in a PASCAL VOC file beside each): lessons 07 and 09 run the whole pipeline on them on any machine.
matplotlib ships a portrait photograph (Grace Hopper, public domain). With add_synthetic_mask it gives the
same real face with and without masks of several colours: the model must say "no_mask" for the first and
"mask" for every colour, at several crop margins and exposures, though it never saw this person or photo.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance

from helpers.boxes import crop_face
from helpers.constants import CLASS_NAMES
from helpers.demo_data import add_synthetic_mask
from helpers.images import load_rgb
from helpers.inference import MaskModel, mask_probabilities

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


CROWDS = Path(__file__).resolve().parent / "assets" / "scenes"


def crowd_photos() -> list[Path]:
    """The shipped crowd photos (a crowd of 13 faces, a street of 5), each with <stem>.xml beside it."""
    return sorted(CROWDS.glob("*.jpg"))


def grace_hopper() -> Image.Image:
    from matplotlib import cbook

    return load_rgb(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


def face_crop(image: Image.Image, box: tuple[int, int, int, int], margin: float = 0.2) -> Image.Image:
    """The face with a margin, the way lesson 06's crop_face cuts it (the same function)."""
    return Image.fromarray(crop_face(np.asarray(image), box, margin))


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


def run_photo_checks(model: MaskModel) -> list[PhotoCheckResult]:
    """Every photo check through the model in one batch, preprocessed as in training."""
    checks = photo_checks()
    p_mask = mask_probabilities(model, [np.asarray(check.image) for check in checks])
    return [
        PhotoCheckResult(check.name, check.label, float(p)) for check, p in zip(checks, p_mask, strict=True)
    ]


def format_photo_checks(results: list[PhotoCheckResult]) -> str:
    lines = [f"{'photo':<36} {'truth':<8} {'P(mask)':>8}  verdict"]
    lines += [
        f"{r.name:<36} {r.label:<8} {r.p_mask:>8.3f}  {'ok' if r.correct else 'WRONG'}" for r in results
    ]
    right = sum(r.correct for r in results)
    lines.append(f"{right} of {len(results)} right")
    return "\n".join(lines)
