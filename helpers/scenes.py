"""Scene datasets: photos with every face boxed in PASCAL VOC XML, and the one reader of class names."""

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from helpers.images import is_junk

SIZE_BUCKETS: tuple[tuple[str, int, int], ...] = (("<16", 0, 16), ("16-32", 16, 32), (">=32", 32, 1 << 30))


def size_bucket(width: int) -> str:
    return next(name for name, low, high in SIZE_BUCKETS if low <= width < high)


def object_label(name: str, folder: bool = False) -> str | None:
    """A dataset's class name (with_mask, nomask, Non Mask...) -> 'mask', 'no_mask', 'incorrect' or None."""
    key = re.sub(r"[^a-z]", "", name.lower())
    if key in {"face", "faces"}:
        return None if folder else "no_mask"  # a boxed face without a mask class (a faces/ folder: no class)
    if "mask" not in key:
        return None
    if "incorrect" in key or "improper" in key or "wrong" in key:
        return None if folder else "incorrect"
    return "no_mask" if "without" in key or "nomask" in key or key.startswith(("no", "un")) else "mask"


@dataclass(frozen=True)
class BoxedFace:
    """One annotated face: the photo, its class and its box (x, y, width, height) in the photo's pixels."""

    image: Path
    label: str
    box: tuple[int, int, int, int]


def scene_folders(root: Path) -> tuple[Path, Path] | None:
    """(images folder, annotations folder) if root holds a VOC-style scene dataset, else None."""
    images = next((root / n for n in ("images", "JPEGImages") if (root / n).is_dir()), None)
    notes = next((root / n for n in ("annotations", "Annotations", "xml") if (root / n).is_dir()), None)
    return (images, notes) if images is not None and notes is not None else None


def read_voc(xml_path: Path) -> list[tuple[str, tuple[float, float, float, float]]]:
    """(object name, (xmin, ymin, xmax, ymax)) per object, a bad box as zeros; ValueError if unreadable."""
    try:
        objects = list(ET.parse(xml_path).getroot().iter("object"))
    except (ET.ParseError, OSError) as exc:
        raise ValueError(f"unreadable XML ({exc})") from None
    found = []
    for obj in objects:
        try:
            corners = tuple(float(obj.find("bndbox").findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax"))  # type: ignore[union-attr, arg-type]
        except (AttributeError, TypeError, ValueError):
            corners = (0.0, 0.0, 0.0, 0.0)
        found.append(((obj.findtext("name") or "").strip(), corners))
    return found  # type: ignore[return-value]


def list_boxed_faces(images: Path, annotations: Path) -> tuple[list[BoxedFace], list[tuple[str, str]]]:
    """Every annotated face (photo and XML paired by stem, not <filename>) and what was skipped, and why."""
    photos = {p.stem: p for p in sorted(images.iterdir()) if p.is_file() and not is_junk(p)}
    notes = {p.stem: p for p in sorted(annotations.glob("*.xml")) if not is_junk(p)}
    alone = "no {} file with the same name"
    skipped = [(str(photos[s]), alone.format("annotation")) for s in sorted(photos.keys() - notes)]
    skipped += [(str(notes[s]), alone.format("image")) for s in sorted(notes.keys() - photos)]
    faces: list[BoxedFace] = []
    for stem in sorted(photos.keys() & notes):
        try:
            objects = read_voc(notes[stem])
        except ValueError as exc:
            skipped.append((str(notes[stem]), str(exc)))
            continue
        for k, (name, (x0, y0, x1, y1)) in enumerate(objects, start=1):
            if (label := object_label(name)) is None:
                reason = f"class {name!r} is not with_mask, without_mask or mask_weared_incorrect"
            elif x1 - x0 < 2 or y1 - y0 < 2:
                reason = f"empty box ({x0:g}, {y0:g}, {x1:g}, {y1:g})"
            else:
                box = (round(x0), round(y0), round(x1 - x0), round(y1 - y0))
                faces.append(BoxedFace(photos[stem], label, box))
                continue
            skipped.append((f"{notes[stem]} object {k}", reason))
    return faces, skipped
