"""Finding the data and reading it once: find_data() picks the dataset, find_layout() reads its folders and
load_course_data() decodes every image into a cache on disk, then splits it without leaks."""

from __future__ import annotations

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
CACHE_VERSION = 6
CACHE_KEEP = 6  # scans kept on disk (different datasets, image sizes, quick mode); older ones are deleted
QUICK_LIMITS = {"flat": 200, "train": 140, "val": 30, "test": 30}  # quick mode (CI): images per class, split
EXPECTED_LAYOUTS = (
    "either class folders directly (e.g. with_mask/ and without_mask/), or split folders train/, valid/ "
    "(or validation/), test/, each holding the class folders (e.g. faceWithMask/ and faceWithoutMask/), "
    "or scene photos with every face boxed: images/ + annotations/ (PASCAL VOC XML, paired by file name)"
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

    def describe(self) -> str:
        """The layout and how each folder was read, to check before trusting any result."""
        lines = [f"Layout: {self.kind} ({self.root.name}/)"]
        if self.scenes is not None:
            lines.append(
                "  {}/ + {}/ -> faces cut out along their boxes".format(*(p.name for p in self.scenes))
            )
        folders = [(k, f) for by_label in self.folders.values() for k, fs in by_label.items() for f in fs]
        lines += [f"  {f.relative_to(self.root).as_posix() + '/':<40} -> {k}" for k, f in folders]
        return "\n".join(lines)


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
    named = {SPLIT_ALIASES.get(sub.name.lower(), sub.name.lower()): sub for sub in subfolders}
    splits = {split: sub for split, sub in named.items() if split in SPLITS}
    if "train" in splits:
        if folder := next((f for f in splits.values() if _class_folders(f) is None), None):
            raise DataLayoutError(
                f"{folder}: found class folders {[p.name for p in _subfolders(folder)]}; expected one "
                f"folder for each of {list(CLASS_NAMES)} (e.g. with_mask/ and without_mask/)."
            )
        return Layout(root, "pre-split", {split: _class_folders(f) or {} for split, f in splits.items()})
    if (by_label := _class_folders(root)) is not None:
        return Layout(root, "flat", {None: by_label})
    files = sorted(p.name for p in root.iterdir() if p.is_file())[:5]
    raise DataLayoutError(
        f"{root}: found {[p.name + '/' for p in subfolders] or ['no folders']}"
        + (f" and files {files}" if files else "")
        + f". Expected {EXPECTED_LAYOUTS}. Class folders named like 'mask_weared_incorrect' are not "
        "supported (scene datasets with that class in their XML are)."
    )


def find_datasets(root: Path, max_depth: int = 3) -> list[Layout]:
    """Every dataset in root or in folders below it (a dataset's own subfolders are not searched)."""
    try:
        return [detect_layout(root)]
    except DataLayoutError as error:
        found: list[Layout] = []
        for sub in _subfolders(Path(root)) if max_depth > 0 and Path(root).is_dir() else []:
            with contextlib.suppress(DataLayoutError):
                found += find_datasets(sub, max_depth - 1)
        if not found:
            raise error
        return found


def find_layout(root: Path, max_depth: int = 3) -> Layout:
    """The one dataset in root (or inside wrapper folders); several datasets there is an error saying so."""
    layouts = find_datasets(root, max_depth)
    if len(layouts) > 1:
        names = ", ".join(display_path(layout.root) for layout in layouts)
        raise DataLayoutError(f"{root} holds {len(layouts)} datasets ({names}): pass one of them.")
    return layouts[0]


@dataclass(frozen=True)
class DataSource:
    """Which dataset a notebook uses and why, so every result can say what data it came from."""

    root: Path
    origin: str  # where it was chosen from (and, when several were found there, which others)
    synthetic: bool

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
    return DataSource(make(work_dir() / "demo_data" / version), f"the built-in demo generator ({why})", True)


def find_all_data(path: str | Path | list | tuple | None = None) -> list[DataSource]:
    """Every dataset at the first place that has one: path(s) -> MASK_DATA_DIR (a:b, joined by os.pathsep)
    -> Kaggle input -> data/<name> -> built-in demo. A wrong path is an error, never a switch to the demo."""
    places = [(path, "the path argument"), (os.environ.get("MASK_DATA_DIR"), "MASK_DATA_DIR")]
    places += [(KAGGLE_INPUT, "Kaggle input"), ((project_root() or Path.cwd()) / "data", "data/")]
    for k, (value, origin) in enumerate(places):
        values = value if isinstance(value, list | tuple) else str(value or "").split(os.pathsep)
        layouts = []
        for folder in (Path(str(v)).expanduser() for v in values if str(v).strip()):
            if k < 2 and not folder.exists():
                raise DataLayoutError(
                    f"{folder} (from {origin}) does not exist. Expected {EXPECTED_LAYOUTS}; several "
                    f"datasets: MASK_DATA_DIR=first{os.pathsep}second (separated by {os.pathsep!r})."
                )
            with contextlib.suppress(*(() if k < 2 else (DataLayoutError,))):  # given paths must hold data
                layouts += find_datasets(folder, 3 if k < 2 else 5)
        if layouts:
            origin = "the repository's data/ folder" if origin == "data/" else origin
            return [DataSource(x.root, origin, demo_data.is_demo_dataset(x.root)) for x in layouts]
    return [_demo("no dataset found")]


def find_data(path: DataSource | str | Path | list | tuple | None = None) -> DataSource:
    """The dataset lessons 01-08 use: find_all_data's first of face crops, else its first (naming others)."""
    if isinstance(path, DataSource):
        return path
    sources = find_all_data(path)
    chosen = next((s for s in sources if scene_folders(s.root) is None), sources[0])
    if others := ", ".join(display_path(s.root) for s in sources if s is not chosen):
        note = f", one of {len(sources)} datasets there (face crops first; the others: {others})"
        chosen = DataSource(chosen.root, chosen.origin + note, chosen.synthetic)
    return chosen


def find_scenes(path: str | Path | None = None) -> DataSource:
    """Lesson 09's scene dataset: path -> MASK_SCENES_DIR -> the first scene dataset in use -> demo scenes."""
    origin = "the path argument" if path else "MASK_SCENES_DIR"
    if value := path or os.environ.get("MASK_SCENES_DIR"):
        layout = find_layout(Path(value).expanduser())
        if layout.scenes is None:
            what = "not a scene dataset; expected images/ + annotations/"
            raise DataLayoutError(f"{layout.root} (from {origin}): {what}")
        return DataSource(layout.root, origin, demo_data.is_demo_dataset(layout.root))
    scenes = [source for source in find_all_data() if scene_folders(source.root) is not None]
    return scenes[0] if scenes else _demo("no scene dataset found", scenes=True)


def find_faces(path: str | Path | None = None) -> DataSource:
    """Lesson 09's face crops: the dataset in use (find_data), or demo faces if it holds only scenes."""
    source = find_data(path)
    return source if scene_folders(source.root) is None else _demo("only scene data found")


@dataclass(frozen=True)
class FileEntry:
    path: Path
    label: str  # "mask", "no_mask", or "incorrect" (a scene's mask worn below the nose)
    split: str | None  # None: flat layout, split assigned later
    box: tuple[int, int, int, int] | None = None  # a face in a scene photo (x, y, w, h); None: whole image

    @property
    def key(self) -> str:
        return f"{self.path}#{self.box}" if self.box else str(self.path)


def list_files(layout: Layout) -> tuple[list[FileEntry], list[tuple[str, str]]]:
    """Every candidate image or boxed face, and what was skipped on sight (junk, unpaired files) and why."""
    if layout.scenes is not None:
        faces, skipped = list_boxed_faces(*layout.scenes)
        return [FileEntry(f.image, f.label, None, f.box) for f in faces], skipped
    entries, junk = [], []
    for split, by_label in layout.folders.items():
        for label, folder in ((k, f) for k, folders in by_label.items() for f in folders):
            for path in sorted(p for p in folder.rglob("*") if not p.is_dir()):
                if is_junk(path.relative_to(folder)):
                    junk.append((str(path), "system or hidden file, not an image"))
                else:
                    entries.append(FileEntry(path, label, split))
    return entries, junk


def quick_subset(entries: list[FileEntry], root: Path) -> list[FileEntry]:
    """A small, stable, class-balanced subset for CI; the same files on every machine."""

    def order(e: FileEntry) -> tuple[str, str, int]:
        return e.split or "flat", e.label, stable_hash(e.path.relative_to(root).as_posix())

    groups = groupby(sorted(entries, key=order), key=lambda e: (e.split or "flat", e.label))
    return [e for (split, _), group in groups for e in list(group)[: QUICK_LIMITS[split]]]


class Scanned(NamedTuple):
    """One readable image or face: cache pixels plus facts for the report and the split."""

    pixels: np.ndarray  # uint8, 3 x size x size
    sha1: str
    dhash: int  # perceptual hash: equal or close for copies of one photo
    size: tuple[int, int]  # width, height of the image, or of the face box in a scene


def read_file(path: Path, size: int, boxes: list | None = None) -> list[Scanned | str]:
    """Decode a file once: the image, or each box cut as inference cuts it (or why not: outside the photo).
    Hashes are the file's, so the split is the same at every image size and a photo's faces stay together."""
    data = path.read_bytes()
    image = decode_rgb(data, path)
    pixels, facts = np.asarray(image), (hashlib.sha1(data).hexdigest(), difference_hash(image.convert("L")))
    results: list[Scanned | str] = []
    for box in boxes or [None]:
        inside = (0, 0, *image.size) if box is None else clip_box(box, image.width, image.height)
        if inside is None:
            results.append(f"box {box} (x, y, w, h) lies outside the {image.width}x{image.height} photo")
        else:
            face = pixels if box is None else crop_face(pixels, inside)
            results.append(Scanned(resize_square(face, size).transpose(2, 0, 1).copy(), *facts, inside[2:]))
    return results


def scan_images(entries: list[FileEntry], size: int, cache_dir: Path | None = None) -> dict[str, np.ndarray]:
    """Every file decoded once into arrays, cached under a name made of each file's path, size and mtime."""
    digest = hashlib.sha256(f"v{CACHE_VERSION} size={size} margin={FACE_MARGIN}".encode())  # crop_face's
    for e in entries:
        stat = e.path.stat()
        digest.update(f"{e.key}|{e.label}|{e.split}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    file = (cache_dir or work_dir() / "cache") / f"{digest.hexdigest()[:20]}.npz"
    with contextlib.suppress(OSError, ValueError, EOFError, zipfile.BadZipFile), np.load(file) as cached:
        file.touch()  # recently used: kept when old scans are pruned (none, or a damaged one: read again)
        return dict(cached)

    def read(group: list[FileEntry]) -> list[Scanned | str]:  # the entries of one file: a photo's faces
        try:
            return read_file(group[0].path, size, None if group[0].box is None else [e.box for e in group])
        except ImageLoadError as exc:
            return [exc.reason] * len(group)
        except OSError as exc:
            return [f"could not read the file ({exc.strerror or exc})"] * len(group)

    by_file: dict[Path, list[FileEntry]] = defaultdict(list)
    for entry in entries:
        by_file[entry.path].append(entry)
    groups, n = list(by_file.values()), len(by_file)
    with ThreadPoolExecutor(max_workers=min(8, (os.cpu_count() or 1) + 1)) as pool:  # PIL releases the GIL
        got = progress(pool.map(read, groups), total=n, desc="Reading images", mininterval=1, disable=n < 500)
        found = [p for group, r in zip(groups, got, strict=True) for p in zip(group, r, strict=True)]
    good = [(e, r) for e, r in found if isinstance(r, Scanned)]
    bad = [(f"{e.path} face {e.box}" if e.box else str(e.path), r) for e, r in found if isinstance(r, str)]
    scan = {
        "keys": np.array([e.key for e, _ in good], dtype=str),
        "pixels": np.array([r.pixels for _, r in good], np.uint8).reshape(-1, 3, size, size),
        "sha1": np.array([r.sha1 for _, r in good], dtype=str),
        "dhash": np.array([r.dhash for _, r in good], dtype=np.uint64),
        "sizes": np.array([r.size for _, r in good], dtype=np.int64).reshape(-1, 2),
        "skipped": np.array(bad, dtype=str).reshape(-1, 2),
    }
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

    counts: dict[str, dict[str, int]]
    skipped: list[tuple[str, str]]
    sizes: np.ndarray  # N x 2: width, height of each image (of each face box in scene data)
    exact_duplicates: int
    near_duplicate_groups: int
    groups_across_splits: int = 0
    notes: list[str] = field(default_factory=list)
    face_sizes: dict[str, dict[str, int]] | None = None  # scene data: faces per class and width bucket
    class_names: tuple[str, ...] = CLASS_NAMES

    def as_dict(self) -> dict:
        images = sum(sum(row.values()) for row in self.counts.values())
        summary = {"counts": self.counts, "images": images, "skipped": len(self.skipped)}
        facts = ("exact_duplicates", "near_duplicate_groups", "groups_across_splits", "face_sizes")
        return summary | {k: getattr(self, k) for k in facts}

    def __str__(self) -> str:
        lines = [f"{'split':<6}" + "".join(f"{c:>10}" for c in (*self.class_names, "total"))]
        for split in SPLITS:
            row = [self.counts.get(split, {}).get(c, 0) for c in self.class_names]
            lines.append(f"{split:<6}" + "".join(f"{n:>10}" for n in (*row, sum(row))))
        low, median, high = np.percentile(self.sizes.min(axis=1), [0, 50, 100]).astype(int)
        lines.append(f"Image sizes: shorter side min {low} px, median {median} px, max {high} px")
        if self.face_sizes:
            buckets = [name for name, _, _ in SIZE_BUCKETS]
            lines.append("Faces by box width: " + " ".join(f"{b + ' px':>10}" for b in buckets))
            for label, row in self.face_sizes.items():
                lines.append(f"  {label:<17}" + " ".join(f"{row.get(b, 0):>10}" for b in buckets))
        lines.append(
            f"Duplicates: {self.exact_duplicates} files are exact copies of another; "
            f"{self.near_duplicate_groups} groups of identical or near-identical images; "
            f"groups found in more than one split: {self.groups_across_splits}"
        )
        skipped = [f"  {Path(p).parent.name}/{Path(p).name}: {why}" for p, why in self.skipped]  # as seen
        lines += [f"Skipped {len(skipped)} file(s)" + (":" if skipped else ""), *skipped[:20]]
        lines += [f"  ... and {len(skipped) - 20} more"] if len(skipped) > 20 else []
        return "\n".join(lines + self.notes)


@dataclass
class SplitData:
    images: torch.Tensor  # N x 3 x S x S, uint8
    labels: torch.Tensor  # N, int64 index into the data's class_names (-1: a class this model does not learn)
    paths: list[Path]
    sizes: torch.Tensor | None = None  # N x 2: width, height of the image, or of the face box in a scene
    class_names: tuple[str, ...] = CLASS_NAMES

    def class_counts(self) -> dict[str, int]:
        counts = torch.bincount(self.labels[self.labels >= 0], minlength=len(self.class_names)).tolist()
        return dict(zip(self.class_names, counts, strict=True))

    def subset(self, keep: torch.Tensor) -> SplitData:
        """The images where keep (a boolean mask) is true, e.g. the faces of one width."""
        index = torch.nonzero(keep).flatten()
        sizes = None if self.sizes is None else self.sizes[index]
        paths = [self.paths[i] for i in index.tolist()]
        return SplitData(self.images[index], self.labels[index], paths, sizes, self.class_names)


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


def _split(kept: list[FileEntry], sha1: list[str], groups: list[int], layout: Layout) -> tuple[list, list]:
    """Split per image, and notes: a pre-split layout's own, else dealt (a missing val or test from train)."""
    labels, splits = [e.label for e in kept], [e.split or "train" for e in kept]
    if not (missing := [s for s in ("val", "test") if layout.kind != "pre-split" or s not in layout.folders]):
        return splits, []
    train = [i for i, s in enumerate(splits) if s == "train"]
    fractions = (1 - 0.15 * len(missing), 0.15 * ("val" in missing), 0.15 * ("test" in missing))
    dealt = assign_splits(*([x[i] for i in train] for x in (labels, groups, sha1)), fractions)
    for i, split in zip(train, dealt, strict=True):
        splits[i] = split
    together = " (all faces of a photo, and of copies of it)" if layout.scenes else ""
    carved = f"carved {' and '.join(missing)} out of train by content hash."
    note = f"Split 70/15/15 per class by content hash; each group of copies{together} stays in one split."
    return splits, [f"No {' or '.join(missing)} folder: {carved}" if layout.kind == "pre-split" else note]


def load_course_data(
    source: DataSource | str | Path | None = None,
    image_size: int = 128,
    quick: bool | None = None,
    classes: tuple[str, ...] = CLASS_NAMES,
) -> CourseData:
    """The call every notebook starts with: find, scan, split and cache one dataset (fit() takes several).
    classes=ALL_CLASS_NAMES also learns masks worn incorrectly; with two classes they are in held_out."""
    if not isinstance(image_size, int) or not 16 <= image_size <= 1024:
        raise ValueError(f"image_size={image_size!r}: expected a whole number of pixels from 16 to 1024")
    if tuple(classes) not in (CLASS_NAMES, ALL_CLASS_NAMES):
        raise ValueError(f"classes={classes!r}: expected one of {(CLASS_NAMES, ALL_CLASS_NAMES)}")
    if isinstance(source, list | tuple):
        raise ValueError(
            f"load_course_data loads one dataset, got a list of {len(source)}: load each one "
            "(find_all_data lists them) and pass the list of results to fit()"
        )
    source, classes, quick = find_data(source), tuple(classes), quick_mode() if quick is None else quick
    layout = find_layout(source.root)
    entries, junk = list_files(layout)
    scan = scan_images(quick_subset(entries, layout.root) if quick else entries, image_size)
    if not len(scan["keys"]):
        raise DataLayoutError(f"{layout.root}: no readable images ({len(scan['skipped'])} files skipped).")
    by_key, sha1, sizes = {e.key: e for e in entries}, scan["sha1"].tolist(), scan["sizes"]
    kept = [by_key[k] for k in scan["keys"].tolist()]
    groups = duplicate_groups(sha1, [int(h) for h in scan["dhash"]])
    splits, notes = _split(kept, sha1, groups, layout)
    if quick:
        notes.append("Quick mode (MASK_QUICK=1): a small, stable subset; numbers are not comparable.")
    labels = torch.tensor([classes.index(e.label) if e.label in classes else -1 for e in kept])
    paths = [e.path for e in kept]
    every = SplitData(torch.from_numpy(scan["pixels"]), labels, paths, torch.from_numpy(sizes), classes)
    parts = {s: every.subset(torch.tensor([x == s for x in splits]) & (labels >= 0)) for s in SPLITS}
    held_out = {}
    if aside := int((labels < 0).sum()):
        held_out["incorrect"] = every.subset(labels < 0)
        notes.append(
            f"{aside} faces with the mask worn incorrectly (below the nose or chin) are kept aside: the "
            "two-class course does not train on them; lesson 09 shows what the model calls them "
            "(classes=ALL_CLASS_NAMES, or --classes 3, learns them as a third class)."
        )
    if across := sum(n > 1 for n in Counter(g for g, _ in set(zip(groups, splits, strict=True))).values()):
        notes.append(
            f"Warning: the dataset's own split puts copies of {across} image group(s) in more than one "
            "split; accuracy measured on it will be flattered."
        )
    per_photo = {e.path: (sha, g) for e, sha, g in zip(kept, sha1, groups, strict=True)}  # once a photo
    widths = Counter((e.label, size_bucket(int(w))) for e, (w, _) in zip(kept, sizes, strict=True))
    face_sizes = {k: {b: n for (c, b), n in widths.items() if c == k} for k in ALL_CLASS_NAMES}
    report = ScanReport(
        counts={split: parts[split].class_counts() for split in SPLITS},
        skipped=junk + [tuple(row) for row in scan["skipped"].tolist()],
        sizes=sizes,
        exact_duplicates=len(per_photo) - len({sha for sha, _ in per_photo.values()}),
        near_duplicate_groups=sum(n > 1 for n in Counter(g for _, g in per_photo.values()).values()),
        groups_across_splits=across,
        notes=notes,
        face_sizes={k: row for k, row in face_sizes.items() if row} if layout.scenes else None,
        class_names=classes,
    )
    photo_splits = {e.path: s for e, s in zip(kept, splits, strict=True)} if layout.scenes else {}
    return CourseData(source, layout, image_size, parts, report, classes, held_out, photo_splits)
