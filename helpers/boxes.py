"""Boxes (x, y, width, height) in a picture's pixels: cut to the picture, cropped with a margin, compared."""

import numpy as np

from helpers.constants import FACE_MARGIN


def clip_box(
    box: tuple[float, float, float, float], width: int, height: int
) -> tuple[int, int, int, int] | None:
    """A box cut to the image (detectors return faces sticking out of the frame); None if nothing is left."""
    x, y, w, h = (float(v) for v in box)
    x0, y0 = max(0, round(x)), max(0, round(y))
    x1, y1 = min(width, round(x + w)), min(height, round(y + h))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    return x0, y0, x1 - x0, y1 - y0


# Kept identical in notebooks/06_run_app.ipynb (the lesson writes it).
def crop_face(image: np.ndarray, box: tuple[int, int, int, int], margin: float = FACE_MARGIN) -> np.ndarray:
    """The face with a margin on every side (datasets frame faces that way), cut at the picture's edges."""
    x, y, w, h = box
    x0, y0 = max(0, round(x - margin * w)), max(0, round(y - margin * h))
    x1 = min(image.shape[1], round(x + w + margin * w))
    y1 = min(image.shape[0], round(y + h + margin * h))
    return image[y0:y1, x0:x1]


# Kept identical in notebooks/09_real_scenes.ipynb (the lesson writes it).
def box_iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Overlap of two (x, y, w, h) boxes: shared area / combined area, 0 (apart) to 1 (the same box)."""
    width = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    height = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    shared = max(0, width) * max(0, height)
    return shared / (a[2] * a[3] + b[2] * b[3] - shared)


# Kept identical in notebooks/09_real_scenes.ipynb (the lesson writes it).
def match_boxes(found: list, truth: list, min_iou: float = 0.3) -> list[int | None]:
    """For each true box, the index of the found box it pairs with (None: missed). The best-overlapping
    pairs are taken first and each found box is used once, so one detection never counts for two faces."""
    pairs = sorted(
        ((box_iou(f, t), i, j) for i, f in enumerate(found) for j, t in enumerate(truth)), reverse=True
    )
    matched: list[int | None] = [None] * len(truth)
    used = set()
    for iou, i, j in pairs:
        if iou >= min_iou and i not in used and matched[j] is None:
            matched[j] = i
            used.add(i)
    return matched
