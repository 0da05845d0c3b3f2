"""The offline real-photo checks: matplotlib's portrait, with and without synthetic masks."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from helpers.boxes import crop_face
from helpers.inference import load_mask_model
from helpers.samples import GRACE_HOPPER_FACE, grace_hopper, photo_checks, run_photo_checks


def test_the_portrait_s_face_box_lies_inside_the_photo() -> None:
    photo = np.asarray(grace_hopper())
    assert crop_face(photo, GRACE_HOPPER_FACE, 0.1).shape == (254, 204, 3)  # the 170 x 212 box, 10 % a side
    assert crop_face(photo, (500, 580, 40, 40), 0.5).shape == (40, 32, 3), "cut at the picture's edges"


def test_photo_checks_cover_colours_margins_and_lighting() -> None:
    checks = photo_checks()
    assert len(checks) == 5 * 2 * 2
    assert sum(c.label == "no_mask" for c in checks) == 4
    assert {c.image.mode for c in checks} == {"RGB"}
    normal, darker = (np.asarray(check.image).mean() for check in checks[:2])
    assert checks[1].name.endswith("darker") and darker < 0.6 * normal


def test_run_photo_checks_reports_every_photo(tiny_checkpoint: Path) -> None:
    results = run_photo_checks(load_mask_model(tiny_checkpoint, device="cpu"))
    assert len(results) == 20 and all(0 <= r.p_mask <= 1 for r in results)
    assert all(r.correct == ((r.p_mask >= 0.5) == (r.label == "mask")) for r in results), "two classes"
