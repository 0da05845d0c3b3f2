"""Scene datasets: photos with every face boxed (PASCAL VOC XML), read as face crops for the classifier.

Kaggle's most used mask dataset ships `images/<stem>.png` + `annotations/<stem>.xml`, one `<object>` per face
with a class name and a box in pixels. The course cuts each face out with the margin inference uses
(helpers.inference.crop_face), so a model trained on these crops sees what the app shows it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from helpers.images import is_junk

IMAGE_FOLDERS = ("images", "JPEGImages")
ANNOTATION_FOLDERS = ("annotations", "Annotations", "xml")
# Face widths in pixels, as the scan report and benchmarks/scenes.py count them.
SIZE_BUCKETS: tuple[tuple[str, int, int], ...] = (("<16", 0, 16), ("16-32", 16, 32), (">=32", 32, 1 << 30))


def size_bucket(width: int) -> str:
    return next(name for name, low, high in SIZE_BUCKETS if low <= width < high)


def object_label(name: str) -> str | None:
    """A VOC object name -> 'mask', 'no_mask' or 'incorrect' (None: not a face class this course knows).

    Spellings seen in mask datasets: with_mask, mask, without_mask, no_mask, nomask, mask_weared_incorrect,
    mask_worn_incorrectly, improperly_masked.
    """
    key = re.sub(r"[^a-z]", "", name.lower())
    if "mask" not in key and key not in {"face", "faces"}:
        return None
    if "incorrect" in key or "improper" in key or "wrong" in key:
        return "incorrect"
    if "without" in key or "nomask" in key or key.startswith(("no", "un")) or key in {"face", "faces"}:
        return "no_mask"
    return "mask"


@dataclass(frozen=True)
class BoxedFace:
    """One annotated face: the photo, its class and its box (x, y, width, height) in the photo's pixels."""

    image: Path
    label: str
    box: tuple[int, int, int, int]


def scene_folders(root: Path) -> tuple[Path, Path] | None:
    """(images folder, annotations folder) if root holds a VOC-style scene dataset, else None."""
    images = next((root / n for n in IMAGE_FOLDERS if (root / n).is_dir()), None)
    notes = next((root / n for n in ANNOTATION_FOLDERS if (root / n).is_dir()), None)
    return (images, notes) if images is not None and notes is not None else None


def read_voc(xml_path: Path) -> list[tuple[str, tuple[float, float, float, float]]]:
    """(object name, (xmin, ymin, xmax, ymax)) per object; ValueError says what is wrong with the file."""
    try:
        root = ET.parse(xml_path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise ValueError(f"unreadable XML ({exc})") from None
    objects = []
    for obj in root.iter("object"):
        name = (obj.findtext("name") or "").strip()
        box = obj.find("bndbox")
        try:
            corners = tuple(float(box.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax"))  # type: ignore[union-attr, arg-type]
        except (AttributeError, TypeError, ValueError):
            corners = (0.0, 0.0, 0.0, 0.0)  # reported as an empty box
        objects.append((name, corners))
    return objects


def list_boxed_faces(images: Path, annotations: Path) -> tuple[list[BoxedFace], list[tuple[str, str]]]:
    """Every annotated face, paired image <-> XML by file stem (the XML's <filename> is often wrong), and
    what was skipped with the reason: a photo without XML, XML without photo, unreadable XML, an unknown
    class, an empty box. Boxes outside the photo are found when it is decoded (helpers.data)."""
    photos = {p.stem: p for p in sorted(images.iterdir()) if p.is_file() and not is_junk(p)}
    notes = {p.stem: p for p in sorted(annotations.glob("*.xml")) if not is_junk(p)}
    faces: list[BoxedFace] = []
    skipped = [
        (str(photos[s]), "no annotation file with the same name") for s in sorted(set(photos) - set(notes))
    ]
    skipped += [(str(notes[s]), "no image file with the same name") for s in sorted(set(notes) - set(photos))]
    for stem in sorted(set(photos) & set(notes)):
        try:
            objects = read_voc(notes[stem])
        except ValueError as exc:
            skipped.append((str(notes[stem]), str(exc)))
            continue
        for k, (name, (x0, y0, x1, y1)) in enumerate(objects):
            label = object_label(name)
            where = f"{notes[stem]} object {k + 1}"
            if label is None:
                skipped.append(
                    (where, f"class {name!r} is not with_mask, without_mask or mask_weared_incorrect")
                )
            elif x1 - x0 < 2 or y1 - y0 < 2:
                skipped.append((where, f"empty box ({x0:g}, {y0:g}, {x1:g}, {y1:g})"))
            else:
                box = (round(x0), round(y0), round(x1 - x0), round(y1 - y0))
                faces.append(BoxedFace(photos[stem], label, box))
    return faces, skipped
