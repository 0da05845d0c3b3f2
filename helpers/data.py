"""Finding the data (find_data, find_layout) and reading it once: load_course_data caches and splits it."""

import contextlib
import hashlib
import os
import zipfile
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from helpers import demo_data
from helpers.boxes import clip_box, crop_face
from helpers.constants import ALL_CLASS_NAMES, CLASS_NAMES, FACE_MARGIN, SPLITS
from helpers.images import ImageLoadError, decode_rgb, is_junk
from helpers.preprocess import resize_square
from helpers.runtime import KAGGLE_INPUT, display_path, progress, project_root, quick_mode, work_dir
from helpers.scenes import SIZE_BUCKETS, list_boxed_faces, object_label, scene_folders, size_bucket
from helpers.splits import assign_splits, difference_hash, duplicate_groups, stable_hash

SPLIT_ALIASES = {"training": "train", "valid": "val", "validation": "val", "dev": "val", "testing": "test"}
CACHE_VERSION = 7
CACHE_KEEP = 6  # scans kept on disk (different datasets, image sizes, quick mode); older ones are deleted
QUICK_LIMITS = {"flat": 200, "train": 140, "val": 30, "test": 30}  # quick mode (CI): images per class, split
EXPECTED_LAYOUTS = (
    "class folders (e.g. with_mask/, without_mask/), or train/, valid/ (or validation/), test/ each holding "
    "them, or scene photos with every face boxed: images/ + annotations/ (PASCAL VOC XML, paired by name)"
)


class DataLayoutError(ValueError):
    """The folder does not look like an image-classification dataset this course can read."""


def _subfolders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not is_junk(p))


@dataclass(frozen=True)
class Layout:
    """Where the class folders of each split are (split None: flat, the course splits it)."""

    root: Path
    kind: str  # "pre-split", "flat" or "scenes"
    folders: dict[str | None, dict[str, list[Path]]]
    scenes: tuple[Path, Path] | None = None  # (images, annotations) of a scene dataset

    def class_folder_parent(self) -> Path:
        """The folder holding the training class folders: what torchvision's ImageFolder expects."""
        if self.scenes is not None:
            what = "scene photos with boxed faces, not one set of class folders"
            raise DataLayoutError(f"{self.root}: {what}: ImageFolder cannot read it (load_course_data can).")
        return (self.folders.get("train") or self.folders[None])[CLASS_NAMES[0]][0].parent


def _class_folders(folder: Path) -> dict[str, list[Path]] | None:
    """Class folders by label; None unless there are both classes and nothing else (a label 'None')."""
    by_label: dict[str, list[Path]] = defaultdict(list)
    for sub in _subfolders(folder):
        by_label[str(object_label(sub.name, folder=True))].append(sub)
    return dict(by_label) if set(by_label) == set(CLASS_NAMES) else None


def detect_layout(root: Path) -> Layout:
    """Read the layout of exactly this folder, or raise DataLayoutError saying what was found."""
    root = Path(root)
    if not root.is_dir():
        raise DataLayoutError(f"{root}: not a folder. Expected {EXPECTED_LAYOUTS}.")
    if (scenes := scene_folders(root)) is not None:
        return Layout(root, "scenes", {}, scenes)
    subfolders = _subfolders(root)
    named = ((SPLIT_ALIASES.get(sub.name.lower(), sub.name.lower()), sub) for sub in subfolders)
    splits = {split: sub for split, sub in named if split in SPLITS}
    if "train" in splits:
        if folder := next((f for f in splits.values() if _class_folders(f) is None), None):
            found = [p.name for p in _subfolders(folder)]
            expected = f"one folder for each of {list(CLASS_NAMES)} (e.g. with_mask/ and without_mask/)"
            raise DataLayoutError(f"{folder}: found class folders {found}; expected {expected}.")
        return Layout(root, "pre-split", {split: _class_folders(f) or {} for split, f in splits.items()})
    if (by_label := _class_folders(root)) is not None:
        return Layout(root, "flat", {None: by_label})
    found = [p.name + "/" for p in subfolders] + sorted(p.name for p in root.iterdir() if p.is_file())[:5]
    raise DataLayoutError(
        f"{root}: found {found or 'nothing'}. Expected {EXPECTED_LAYOUTS}. Class folders named like "
        "'mask_weared_incorrect' are not supported (scene datasets with that class in their XML are)."
    )


def find_datasets(root: Path, max_depth: int = 3, quiet: bool = False) -> list[Layout]:
    """Every dataset in root or in folders below it (not inside a dataset); none: an error, unless quiet."""
    try:
        return [detect_layout(root)]
    except DataLayoutError:
        below = _subfolders(Path(root)) if max_depth > 0 and Path(root).is_dir() else []
        if (found := [x for sub in below for x in find_datasets(sub, max_depth - 1, quiet=True)]) or quiet:
            return found
        raise  # detect_layout's error: what root holds, and what was expected


def find_layout(root: Path) -> Layout:
    """The one dataset in root (or inside wrapper folders); several datasets there is an error saying so."""
    if len(layouts := find_datasets(root)) > 1:
        names = ", ".join(display_path(layout.root) for layout in layouts)
        raise DataLayoutError(f"{root} holds {len(layouts)} datasets ({names}): pass one of them.")
    return layouts[0]


@dataclass(frozen=True)
class DataSource:
    """Which dataset a notebook uses and why, so every result can say what data it came from."""

    root: Path
    origin: str  # where it was chosen from (and, when several were found there, which others)

    @property
    def synthetic(self) -> bool:
        return demo_data.is_demo_dataset(self.root)

    def describe(self) -> str:
        kind = "SYNTHETIC demo data (drawn faces, not real people)" if self.synthetic else "real images"
        return f"Data: {self.root.name} — {kind}; chosen from {self.origin}"


def dataset_names(sources: list[DataSource]) -> list[str]:
    """A short, distinct name per dataset: the folder's, with its parent's where two share it (a/data)."""
    names = Counter(s.root.name for s in sources)
    return [f"{s.root.parent.name}/{s.root.name}" if names[s.root.name] > 1 else s.root.name for s in sources]


def _demo(why: str, scenes: bool = False) -> DataSource:
    make = demo_data.generate_demo_scenes if scenes else demo_data.generate_demo_dataset
    version = f"scenes_v{demo_data.SCENE_VERSION}" if scenes else f"v{demo_data.DEMO_VERSION}"
    return DataSource(make(work_dir() / "demo_data" / version), f"the built-in demo generator ({why})")


def find_all_data(path: str | Path | list | tuple | None = None) -> list[DataSource]:
    """Every dataset at the first of: path(s), MASK_DATA_DIR (a:b), Kaggle input, data/, the built-in demo."""
    for value, origin in ((path, "the path argument"), (os.environ.get("MASK_DATA_DIR"), "MASK_DATA_DIR")):
        values = value if isinstance(value, list | tuple) else str(value or "").split(os.pathsep)
        folders = [Path(str(v)).expanduser() for v in values if str(v).strip()]
        if missing := [folder for folder in folders if not folder.exists()]:
            hint = f"Expected {EXPECTED_LAYOUTS}; several datasets: MASK_DATA_DIR=first{os.pathsep}second"
            raise DataLayoutError(f"{missing[0]} (from {origin}) does not exist. {hint}.")
        if folders:  # a given folder must hold data: an error, never a switch to the demo
            return [DataSource(layout.root, origin) for f in folders for layout in find_datasets(f)]
    repo_data = (project_root() or Path.cwd()) / "data"
    for folder, origin in ((KAGGLE_INPUT, "Kaggle input"), (repo_data, "the repository's data/ folder")):
        if layouts := find_datasets(folder, 5, quiet=True):
            return [DataSource(layout.root, origin) for layout in layouts]
    return [_demo("no dataset found")]


def find_data(path: DataSource | str | Path | list | tuple | None = None) -> DataSource:
    """The dataset lessons 01-08 use: find_all_data's first of face crops, else its first (naming others)."""
    if isinstance(path, DataSource):
        return path
    sources = find_all_data(path)
    chosen = next((s for s in sources if scene_folders(s.root) is None), sources[0])
    if others := ", ".join(display_path(s.root) for s in sources if s is not chosen):
        note = f", one of {len(sources)} datasets there (face crops first; the others: {others})"
        chosen = DataSource(chosen.root, chosen.origin + note)
    return chosen


def find_scenes(path: str | Path | None = None) -> DataSource:
    """Lesson 09's scene dataset: path -> MASK_SCENES_DIR -> the first scene dataset in use -> demo scenes."""
    if value := path or os.environ.get("MASK_SCENES_DIR"):
        origin = "the path argument" if path else "MASK_SCENES_DIR"
        if (layout := find_layout(Path(value).expanduser())).scenes is None:
            raise DataLayoutError(f"{layout.root} ({origin}): not a scene dataset (images/, annotations/)")
        return DataSource(layout.root, origin)
    scenes = [source for source in find_all_data() if scene_folders(source.root) is not None]
    return scenes[0] if scenes else _demo("no scene dataset found", scenes=True)


def find_faces(path: str | Path | None = None) -> DataSource:
    """Lesson 09's face crops: the dataset in use (find_data), or demo faces if it holds only scenes."""
    source = find_data(path)
    return source if scene_folders(source.root) is None else _demo("only scene data found")


class FileEntry(NamedTuple):
    path: Path
    label: str  # "mask", "no_mask", or "incorrect" (a scene's mask worn below the nose)
    split: str | None  # None: flat layout, split assigned later
    box: tuple[int, int, int, int] | None = None  # a face in a scene photo (x, y, w, h); None: whole image

    @property
    def key(self) -> str:
        return f"{self.path}#{self.box}" if self.box else str(self.path)


def list_files(layout: Layout, quick: bool = False) -> tuple[list[FileEntry], list[tuple[str, str]]]:
    """Every image or boxed face (quick: a small, stable subset), and what was skipped on sight and why."""
    if layout.scenes is not None:
        faces, skipped = list_boxed_faces(*layout.scenes)
        entries = [FileEntry(f.image, f.label, None, f.box) for f in faces]
    else:
        entries, skipped = [], []
        for split, by_label in layout.folders.items():
            for label, folder in ((k, f) for k, folders in by_label.items() for f in folders):
                for path in sorted(p for p in folder.rglob("*") if not p.is_dir()):
                    if is_junk(path.relative_to(folder)):
                        skipped.append((str(path), "system or hidden file, not an image"))
                    else:
                        entries.append(FileEntry(path, label, split))
    if quick:  # CI: per split and class, the first few by a hash of the path, so the same files everywhere
        rank = {e.path: stable_hash(e.path.relative_to(layout.root).as_posix()) for e in entries}
        ranked = sorted(entries, key=lambda e: (e.split or "flat", e.label, rank[e.path]))
        groups = groupby(ranked, key=lambda e: (e.split or "flat", e.label))
        entries = [e for (split, _), group in groups for e in list(group)[: QUICK_LIMITS[split]]]
    return entries, skipped


class Scanned(NamedTuple):  # one readable image or face: cache pixels plus facts for the report and split
    pixels: np.ndarray  # uint8, 3 x size x size
    sha1: str  # the file's, not the crop's: the same split at every size, and a photo's faces in one group
    dhash: int  # perceptual hash (the file's too): equal or close for copies of one photo
    size: tuple[int, int]  # width, height of the image, or of the face box in a scene


def read_file(path: Path, size: int, boxes: list | tuple = (None,)) -> list[Scanned | str]:
    """Decode a file once: each box (None: the whole image) cut as inference cuts it, or why it cannot be."""
    try:
        data = path.read_bytes()
        image = decode_rgb(data, path)
    except (ImageLoadError, OSError) as exc:  # an ImageLoadError says why; an OSError: the file is unreadable
        why = getattr(exc, "reason", None) or f"could not read the file ({exc.strerror or exc})"
        return [why] * len(boxes)
    pixels, facts = np.asarray(image), (hashlib.sha1(data).hexdigest(), difference_hash(image.convert("L")))
    results: list[Scanned | str] = []
    for box in boxes:
        inside = (0, 0, *image.size) if box is None else clip_box(box, image.width, image.height)
        if inside is None:
            results.append(f"box {box} (x, y, w, h) lies outside the {image.width}x{image.height} photo")
        else:
            face = pixels if box is None else crop_face(pixels, inside)
            results.append(Scanned(resize_square(face, size).transpose(2, 0, 1).copy(), *facts, inside[2:]))
    return results


def scan_images(entries: list[FileEntry], size: int) -> dict[str, np.ndarray]:
    """Every file decoded once into arrays, cached under a name made of each file's path, size and mtime."""
    digest = hashlib.sha256(f"v{CACHE_VERSION} size={size} margin={FACE_MARGIN}".encode())  # crop_face's
    for e in entries:
        stat = e.path.stat()
        digest.update(f"{e.key}|{e.label}|{e.split}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    file = work_dir() / "cache" / f"{digest.hexdigest()[:20]}.npz"
    with contextlib.suppress(OSError, ValueError, EOFError, zipfile.BadZipFile), np.load(file) as cached:
        file.touch()  # recently used: kept when old scans are pruned (none, or a damaged one: read again)
        return dict(cached)
    by_file: dict[Path, list[FileEntry]] = defaultdict(list)  # a photo's faces: one read, wherever they are
    for entry in entries:
        by_file[entry.path].append(entry)
    groups, n = list(by_file.values()), len(by_file)
    with ThreadPoolExecutor(max_workers=min(8, (os.cpu_count() or 1) + 1)) as pool:  # PIL releases the GIL
        got = pool.map(lambda group: read_file(group[0].path, size, [e.box for e in group]), groups)
        got = progress(got, total=n, desc="Reading images", mininterval=1, disable=n < 500)
        found = [p for group, r in zip(groups, got, strict=True) for p in zip(group, r, strict=True)]
    good = [(e, r) for e, r in found if isinstance(r, Scanned)]
    bad = [(f"{e.path} face {e.box}" if e.box else str(e.path), r) for e, r in found if isinstance(r, str)]
    dtypes = {"pixels": np.uint8, "sha1": str, "dhash": np.uint64, "size": np.int64}  # Scanned's fields
    scan = {name: np.array([getattr(r, name) for _, r in good], dtype) for name, dtype in dtypes.items()}
    scan["keys"] = np.array([e.key for e, _ in good], dtype=str)
    scan["skipped"] = np.array(bad, dtype=str).reshape(-1, 2)
    file.parent.mkdir(parents=True, exist_ok=True)
    with open(file.with_suffix(".part"), "wb") as part:  # written whole, then renamed: never half a cache
        np.savez(part, **scan)
    file.with_suffix(".part").replace(file)
    for old in sorted(file.parent.glob("*.np[yz]"), key=lambda p: p.stat().st_mtime_ns)[:-CACHE_KEEP]:
        old.unlink(missing_ok=True)  # a real dataset's scan is a few hundred MB: keep the newest few
    return scan


@dataclass
class ScanReport:
    """What the scan found: counts per split and class, skipped files with reasons, sizes, duplicates."""

    counts: dict[str, dict[str, int]]  # split -> class -> images
    skipped: list[tuple[str, str]]
    sizes: np.ndarray  # N x 2: width, height of each image (of each face box in scene data)
    exact_duplicates: int
    near_duplicate_groups: int
    groups_across_splits: int
    notes: list[str] = field(default_factory=list)
    face_sizes: dict[str, dict[str, int]] | None = None  # scene data: faces per class and width bucket

    def __str__(self) -> str:
        table = [("split", *self.counts["train"], "total")]
        table += [(split, *row.values(), sum(row.values())) for split, row in self.counts.items()]
        lines = [f"{row[0]:<6}" + "".join(f"{n:>10}" for n in row[1:]) for row in table]
        low, median, high = np.percentile(self.sizes.min(axis=1), [0, 50, 100]).astype(int)
        lines.append(f"Image sizes: shorter side min {low} px, median {median} px, max {high} px")
        for label, row in (self.face_sizes or {}).items():
            widths = ", ".join(f"{name} px {row.get(name, 0)}" for name, _, _ in SIZE_BUCKETS)
            lines.append(f"Faces by box width, {label}: {widths}")
        copies = f"{self.exact_duplicates} exact copies, {self.near_duplicate_groups} near-identical groups"
        lines.append(f"Duplicates: {copies}, {self.groups_across_splits} groups in more than one split")
        skipped = [f"  {Path(p).parent.name}/{Path(p).name}: {why}" for p, why in self.skipped]  # as seen
        lines += [f"Skipped {len(skipped)} file(s)" + (":" if skipped else ""), *skipped[:20]]
        lines += [f"  ... and {len(skipped) - 20} more"] if len(skipped) > 20 else []
        return "\n".join(lines + self.notes)


@dataclass
class SplitData:
    images: torch.Tensor  # N x 3 x S x S, uint8
    labels: torch.Tensor  # N, int64 index into the data's class_names (-1: a class this model does not learn)
    paths: list[Path]
    sizes: torch.Tensor  # N x 2: width, height of the image, or of the face box in a scene
    class_names: tuple[str, ...] = CLASS_NAMES

    def class_counts(self) -> dict[str, int]:
        counts = torch.bincount(self.labels[self.labels >= 0], minlength=len(self.class_names)).tolist()
        return dict(zip(self.class_names, counts, strict=True))

    def subset(self, keep: torch.Tensor) -> "SplitData":
        """The images where keep (a boolean mask) is true, e.g. the faces of one width."""
        paths = [path for path, kept in zip(self.paths, keep.tolist(), strict=True) if kept]
        return SplitData(self.images[keep], self.labels[keep], paths, self.sizes[keep], self.class_names)


@dataclass
class CourseData:
    """Everything a notebook needs about its data: uint8 image tensors per split, ready for DataLoaders."""

    source: DataSource
    layout: Layout
    image_size: int
    splits: dict[str, SplitData]
    report: ScanReport
    class_names: tuple[str, ...] = CLASS_NAMES
    held_out: dict[str, SplitData] = field(default_factory=dict)  # faces of classes not trained, by class
    photo_splits: dict[Path, str] = field(default_factory=dict)  # scene photos: the split each one is in

    def describe(self) -> str:
        sizes = ", ".join(f"{s} {len(self.splits[s].labels)}" for s in SPLITS)
        return f"{self.source.describe()}\nImages per split: {sizes}"


def load_course_data(
    source: DataSource | str | Path | None = None,
    image_size: int = 128,
    quick: bool | None = None,
    classes: tuple[str, ...] = CLASS_NAMES,
) -> CourseData:
    """Find, scan, cache and split one dataset; classes=ALL_CLASS_NAMES also learns masks worn incorrectly."""
    if not isinstance(image_size, int) or not 16 <= image_size <= 1024:
        raise ValueError(f"image_size={image_size!r}: expected a whole number of pixels from 16 to 1024")
    if tuple(classes) not in (CLASS_NAMES, ALL_CLASS_NAMES):
        raise ValueError(f"classes={classes!r}: expected one of {(CLASS_NAMES, ALL_CLASS_NAMES)}")
    if isinstance(source, list | tuple):
        several = "load each one (find_all_data lists them) and pass the list of results to fit()"
        raise ValueError(f"load_course_data loads one dataset, got a list of {len(source)}: {several}")
    source, classes, quick = find_data(source), tuple(classes), quick_mode() if quick is None else quick
    layout = find_layout(source.root)
    entries, junk = list_files(layout, quick)
    scan = scan_images(entries, image_size)
    if not len(scan["keys"]):
        raise DataLayoutError(f"{layout.root}: no readable images ({len(scan['skipped'])} files skipped).")
    by_key, sha1, sizes = {e.key: e for e in entries}, scan["sha1"].tolist(), scan["size"]
    kept = [by_key[k] for k in scan["keys"].tolist()]
    groups = duplicate_groups(sha1, [int(h) for h in scan["dhash"]])
    splits = [e.split or "train" for e in kept]
    notes = ["Quick mode (MASK_QUICK=1): a small, stable subset; numbers not comparable."] if quick else []
    if missing := [s for s in ("val", "test") if s not in layout.folders]:  # all of them, if flat or scenes
        train = [i for i, s in enumerate(splits) if s == "train"]
        fractions = (1 - 0.15 * len(missing), 0.15 * ("val" in missing), 0.15 * ("test" in missing))
        names = [kept[i].label for i in train]
        dealt = iter(assign_splits(names, [groups[i] for i in train], [sha1[i] for i in train], fractions))
        splits = [next(dealt) if s == "train" else s for s in splits]  # each training image: its dealt split
        carved = f"{' and '.join(missing).capitalize()} carved out of the training images by content hash"
        notes.append(f"{carved}, 15 % each per class; copies of a photo (and its faces) stay in one split.")
    labels = torch.tensor([classes.index(e.label) if e.label in classes else -1 for e in kept])
    paths = [e.path for e in kept]
    every = SplitData(torch.from_numpy(scan["pixels"]), labels, paths, torch.from_numpy(sizes), classes)
    parts = {s: every.subset(torch.tensor([x == s for x in splits]) & (labels >= 0)) for s in SPLITS}
    held_out = {"incorrect": every.subset(labels < 0)} if (aside := int((labels < 0).sum())) else {}
    if aside:
        learn = "classes=ALL_CLASS_NAMES, or --classes 3, learns them as a third class"
        kept_aside = f"{aside} faces with the mask below the nose or chin are kept aside, not trained on"
        notes.append(f"{kept_aside}: lesson 09 shows what the model calls them ({learn}).")
    if across := sum(n > 1 for n in Counter(g for g, _ in set(zip(groups, splits, strict=True))).values()):
        leak = f"copies of {across} image group(s) are in more than one of the dataset's own splits"
        notes.append(f"Warning: {leak}; accuracy measured on them will be flattered.")
    per_photo = {e.path: (sha, g) for e, sha, g in zip(kept, sha1, groups, strict=True)}  # once a photo
    face_sizes: dict[str, Counter] = defaultdict(Counter)  # scene data: faces per class and width bucket
    for entry, (width, _) in zip(kept, sizes, strict=True):
        face_sizes[entry.label][size_bucket(int(width))] += 1
    report = ScanReport(
        counts={split: parts[split].class_counts() for split in SPLITS},
        skipped=junk + [tuple(row) for row in scan["skipped"].tolist()],
        sizes=sizes,
        exact_duplicates=len(per_photo) - len({sha for sha, _ in per_photo.values()}),
        near_duplicate_groups=sum(n > 1 for n in Counter(g for _, g in per_photo.values()).values()),
        groups_across_splits=across,
        notes=notes,
        face_sizes=dict(face_sizes) if layout.scenes else None,
    )
    photo_splits = {e.path: s for e, s in zip(kept, splits, strict=True)} if layout.scenes else {}
    return CourseData(source, layout, image_size, parts, report, classes, held_out, photo_splits)
