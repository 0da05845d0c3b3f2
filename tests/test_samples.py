"""The offline real-photo checks: matplotlib's portrait, with and without synthetic masks."""

from __future__ import annotations

import pytest
import torch

from helpers.models import small_cnn
from helpers.samples import as_batch, expand_box, format_photo_checks, photo_checks, run_photo_checks


def test_expand_box_clips_at_the_borders() -> None:
    assert expand_box((10, 10, 20, 20), 0.5, 100, 100) == (0, 0, 40, 40)
    assert expand_box((80, 70, 30, 40), 0.25, 100, 100) == (72, 60, 100, 100)
    with pytest.raises(ValueError, match="outside the 100x100 image"):
        expand_box((150, 10, 20, 20), 0.1, 100, 100)


def test_photo_checks_cover_colours_margins_and_lighting() -> None:
    checks = photo_checks()
    assert len(checks) == 5 * 2 * 2
    assert sum(c.label == "no_mask" for c in checks) == 4
    assert {c.image.mode for c in checks} == {"RGB"}
    batch = as_batch([c.image for c in checks[:3]], 32)
    assert batch.shape == (3, 3, 32, 32) and batch.dtype == torch.uint8


def test_run_photo_checks_reports_every_photo() -> None:
    results = run_photo_checks(small_cnn((4, 8)).eval(), 32)
    assert len(results) == 20 and all(0 <= r.p_mask <= 1 for r in results)
    assert format_photo_checks(results).endswith(f"{sum(r.correct for r in results)} of 20 right")
