"""Real photos from outside the training data: the two shipped crowd photos (Kaggle, CC0, each face boxed in
a VOC file beside them) and matplotlib's Grace Hopper portrait (public domain), with and without masks."""

from collections import namedtuple
from itertools import product
from pathlib import Path

import numpy as np
from matplotlib import cbook
from PIL import Image, ImageEnhance

from helpers.boxes import crop_face
from helpers.demo_data import add_synthetic_mask
from helpers.images import load_rgb
from helpers.inference import MaskModel, Prediction, class_probabilities

# (x, y, w, h) in grace_hopper.jpg: the face as YuNet finds it, and the region add_synthetic_mask masks.
GRACE_HOPPER_FACE, GRACE_HOPPER_MASK_REGION = (183, 120, 170, 212), (165, 135, 215, 180)
MASK_COLOURS = {"light blue": (70, 130, 200), "black": (25, 25, 28), "white": (235, 235, 235)}
MASK_COLOURS["red"] = (200, 60, 80)
LIGHTS = {"": 1.0, ", darker": 0.55}  # as shot, and under-exposed: the light must not change the answer
PhotoCheck = namedtuple("PhotoCheck", "name label image p_mask correct", defaults=(float("nan"), False))


def crowd_photos() -> list[Path]:
    """The shipped crowd photos (a crowd of 13 faces, a street of 5), each with <stem>.xml beside it."""
    return sorted((Path(__file__).resolve().parent / "assets" / "scenes").glob("*.jpg"))


def grace_hopper() -> Image.Image:
    return load_rgb(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


def photo_checks() -> list[PhotoCheck]:
    """The portrait unmasked and in each mask colour, cut tight and loose, in each light of LIGHTS."""
    photo, checks, colours = grace_hopper(), [], {"no": None, **MASK_COLOURS}
    for (colour, rgb), margin, (light, f) in product(colours.items(), (0.1, 0.3), LIGHTS.items()):
        image = add_synthetic_mask(photo, GRACE_HOPPER_MASK_REGION, rgb) if rgb else photo
        crop = Image.fromarray(crop_face(np.asarray(image), GRACE_HOPPER_FACE, margin))
        name, label = f"{colour} mask, margin {margin:.0%}{light}", "mask" if rgb else "no_mask"
        checks.append(PhotoCheck(name, label, ImageEnhance.Brightness(crop).enhance(f)))
    return checks


def run_photo_checks(model: MaskModel) -> list[PhotoCheck]:
    """Every photo check through the model in one batch, preprocessed as in training: p_mask and correct."""
    checks = photo_checks()
    rows = class_probabilities(model, [np.asarray(check.image) for check in checks])
    pairs = zip(checks, [Prediction.from_probabilities(row, model.class_names) for row in rows], strict=True)
    return [check._replace(p_mask=said.p_mask, correct=said.label == check.label) for check, said in pairs]
