"""Finding the data, reading every image once, and caching it for the lessons.

The pipeline, in the order lesson 01 shows it:
  find_data()        which folder: argument -> MASK_DATA_DIR -> Kaggle input -> data/<name> -> built-in demo
  find_layout()      pre-split (train/ valid/ test/), flat class folders, or scene photos with boxed faces
                     (images/ + annotations/, helpers.scenes); folder and box names -> mask / no_mask
  scan_images()      decode each file once: skip bad ones with a reason, resize into a uint8 cache on disk
  load_course_data() all of the above plus a leak-free split (helpers.splits): tensors per split and a report
Lesson 01 then builds its Dataset and DataLoaders on these tensors (helpers.loaders). Several datasets
(find_all_data: the train CLI's --data A --data B, lesson 09) are each loaded on their own and trained on
together: fit() joins them with torch.utils.data.ConcatDataset.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from helpers import demo_data
from helpers.boxes import clip_box, crop_face
from helpers.constants import ALL_CLASS_NAMES, CLASS_NAMES, SPLITS
from helpers.images import ImageLoadError, decode_rgb, is_junk
from helpers.preprocess import resize_square
from helpers.runtime import KAGGLE_INPUT, display_path, progress, project_root, quick_mode, work_dir
from helpers.scenes import SIZE_BUCKETS, list_boxed_faces, scene_folders, size_bucket
from helpers.splits import SPLIT_FRACTIONS, assign_splits, difference_hash, duplicate_groups, stable_hash

SPLIT_ALIASES = {
    "train": {"train", "training"},
    "val": {"val", "valid", "validation", "dev"},
    "test": {"test", "testing"},
}
CACHE_VERSION = 5
CACHE_KEEP = 6  # scans kept on disk (different datasets, image sizes, quick mode); older ones are deleted
# Quick mode (CI) keeps this many images per class and split, chosen by a stable hash of the file path.
QUICK_LIMITS = {"flat": 200, "train": 140, "val": 30, "test": 30}
EXPECTED_LAYOUTS = (
    "either class folders directly (e.g. with_mask/ and without_mask/), or split folders train/, valid/ "
    "(or validation/), test/, each holding the class folders (e.g. faceWithMask/ and faceWithoutMask/), "
    "or scene photos with every face boxed: images/ + annotations/ (PASCAL VOC XML, paired by file name)"
)
DATA_LIST_HELP = f"several datasets: MASK_DATA_DIR=first{os.pathsep}second (separated by {os.pathsep!r})"


class DataLayoutError(ValueError):
    """The folder does not look like an image-classification dataset this course can read."""


# ----------------------------------------------------------------------------------------------- labels
def canonical_label(folder_name: str) -> str | None:
    """Map a class folder name to 'mask' or 'no_mask' (None if it is neither).

    Datasets spell the classes many ways: with_mask, faceWithMask, Mask, without_mask, no_mask, Non Mask...
    """
    name = re.sub(r"[^a-z]", "", folder_name.lower())
    if "mask" not in name or "incorrect" in name or "improper" in name:
        return None
    if "without" in name or "nomask" in name or name.startswith(("no", "un")):
        return "no_mask"
    return "mask"


def _subfolders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not is_junk(p))


# ----------------------------------------------------------------------------------------------- layouts
@dataclass(frozen=True)
class Layout:
    """Where the class folders of each split are. split None means flat: the course splits it."""

    root: Path
    kind: str  # "pre-split", "flat" or "scenes"
    folders: dict[str | None, dict[str, list[Path]]]
    scenes: tuple[Path, Path] | None = None  # (images, annotations) of a scene dataset

    def class_map(self) -> dict[str, str]:
        """Folder (relative to root) -> canonical label, to show learners how names were read."""
        if self.scenes is not None:
            images, notes = (p.relative_to(self.root) for p in self.scenes)
            return {f"{images}/ + {notes}/": "faces cut out of the photos along their boxes"}
        return {
            str(folder.relative_to(self.root)): label
            for by_label in self.folders.values()
            for label, paths in by_label.items()
            for folder in paths
        }

    def class_folder_parent(self) -> Path:
        """The folder holding the training class folders: what torchvision's ImageFolder expects."""
        if self.scenes is not None:
            raise DataLayoutError(
                f"{self.root}: scene photos with boxed faces, not one set of class folders: ImageFolder "
                "cannot read it (load_course_data can)."
            )
        by_label = self.folders.get("train") or self.folders[None]
        return by_label[CLASS_NAMES[0]][0].parent

    def describe(self) -> str:
        lines = [f"Layout: {self.kind} ({self.root.name}/)"]
        lines += [f"  {folder + '/':<40} -> {label}" for folder, label in self.class_map().items()]
        return "\n".join(lines)


def _class_folders(folder: Path) -> tuple[dict[str, list[Path]], list[str]]:
    """Class folders of one folder by canonical label, and the names that are not classes."""
    by_label: dict[str, list[Path]] = defaultdict(list)
    unknown = []
    for sub in _subfolders(folder):
        label = canonical_label(sub.name)
        if label is None:
            unknown.append(sub.name)
        else:
            by_label[label].append(sub)
    return dict(by_label), unknown


def _split_name(folder_name: str) -> str | None:
    lowered = folder_name.lower()
    return next((split for split, names in SPLIT_ALIASES.items() if lowered in names), None)


def detect_layout(root: Path) -> Layout:
    """Read the layout of exactly this folder, or raise DataLayoutError saying what was found."""
    root = Path(root)
    if not root.is_dir():
        raise DataLayoutError(f"{root}: not a folder. Expected {EXPECTED_LAYOUTS}.")
    if (folders := scene_folders(root)) is not None:
        return Layout(root, "scenes", {}, folders)
    subfolders = _subfolders(root)
    splits = {name: sub for sub in subfolders if (name := _split_name(sub.name))}
    if "train" in splits:
        folders: dict[str | None, dict[str, list[Path]]] = {}
        for split, folder in splits.items():
            by_label, unknown = _class_folders(folder)
            if unknown or set(by_label) != set(CLASS_NAMES):
                raise DataLayoutError(
                    f"{folder}: found class folders {[p.name for p in _subfolders(folder)]}; expected one "
                    f"folder for each of {list(CLASS_NAMES)} (e.g. with_mask/ and without_mask/)."
                )
            folders[split] = by_label
        return Layout(root, "pre-split", folders)
    by_label, unknown = _class_folders(root)
    if set(by_label) == set(CLASS_NAMES) and not unknown:
        return Layout(root, "flat", {None: by_label})
    found = [p.name + "/" for p in subfolders] or ["no folders"]
    files = sorted(p.name for p in root.iterdir() if p.is_file())[:5]
    raise DataLayoutError(
        f"{root}: found {found}"
        + (f" and files {files}" if files else "")
        + f". Expected {EXPECTED_LAYOUTS}. "
        "Class folders named like 'mask_weared_incorrect' are not supported (scene datasets with that class "
        "in their XML are)."
    )


def find_datasets(root: Path, max_depth: int = 3) -> list[Layout]:
    """Every dataset in root or below it (a zip that unpacks to dataset/with_mask/..., or a folder holding
    several datasets); a dataset's own subfolders are not searched. DataLayoutError if there is none."""
    root = Path(root)
    first_error, found = None, []
    level = [root]
    for _ in range(max_depth + 1):
        next_level = []
        for folder in level:
            try:
                found.append(detect_layout(folder))
            except DataLayoutError as exc:
                first_error = first_error or exc
                if folder.is_dir():
                    next_level += _subfolders(folder)
        level = next_level
    if not found:
        raise first_error or DataLayoutError(f"{root}: no dataset found")
    return found


def find_layout(root: Path, max_depth: int = 3) -> Layout:
    """The one dataset in root (or inside wrapper folders); several datasets there is an error saying so."""
    layouts = find_datasets(root, max_depth)
    if len(layouts) > 1:
        names = ", ".join(display_path(layout.root) for layout in layouts)
        raise DataLayoutError(f"{root} holds {len(layouts)} datasets ({names}): pass one of them.")
    return layouts[0]


# ----------------------------------------------------------------------------------------------- sources
@dataclass(frozen=True)
class DataSource:
    """Which dataset a notebook uses and why, so every result can say what data it came from."""

    root: Path
    origin: str  # where it was chosen from (and, when several were found there, which others)
    synthetic: bool

    def describe(self) -> str:
        return f"Data: {self.root.name} — {_kind(self.synthetic)}; chosen from {self.origin}"


def _shown(path: str | Path) -> str:
    """A file of a dataset as a reader should see it: its class folder and name, not this machine's path."""
    path = Path(path)
    shown = display_path(path)
    return shown if "/" in shown else f"{path.parent.name}/{path.name}"


def _kind(synthetic: bool) -> str:
    return "SYNTHETIC demo data (drawn faces, not real people)" if synthetic else "real images"


def dataset_names(sources: list[DataSource]) -> list[str]:
    """A short, distinct name per dataset, for results: the folder's name, with its parent's where two
    share it (a/data and b/data)."""
    names = [source.root.name for source in sources]
    return [
        f"{source.root.parent.name}/{name}" if names.count(name) > 1 else name
        for source, name in zip(sources, names, strict=True)
    ]


def demo_dataset_dir() -> Path:
    return work_dir() / "demo_data" / f"v{demo_data.DEMO_VERSION}"


def _datasets_under(folder: Path, max_depth: int) -> list[Path]:
    """Every dataset inside folder's subfolders (Kaggle input, data/), in the order of their names."""
    if not folder.is_dir():
        return []
    roots = []
    for candidate in _subfolders(folder):
        try:
            roots += [layout.root for layout in find_datasets(candidate, max_depth)]
        except DataLayoutError:
            continue
    return roots


def data_paths(value: str | Path | list | tuple) -> list[Path]:
    """A folder, a list of folders, or folders joined by os.pathsep (MASK_DATA_DIR=a:b) -> paths."""
    values = value if isinstance(value, list | tuple) else str(value).split(os.pathsep)
    return [Path(str(v)).expanduser() for v in values if str(v).strip()]


def find_all_data(
    path: str | Path | list | tuple | None = None,
    kaggle_input: Path = KAGGLE_INPUT,
    repo_data: Path | None = None,
) -> list[DataSource]:
    """Every dataset at the first place that has one: explicit path(s) -> MASK_DATA_DIR -> Kaggle input ->
    data/<name> -> built-in demo. A list of folders (or MASK_DATA_DIR=a:b, separated by os.pathsep) gives
    them in that order; a folder, Kaggle input or data/ holding several gives each, by folder name.

    The train CLI (--data A --data B) and lesson 09 use several; each is loaded (and split) on its own.
    An explicit path or MASK_DATA_DIR that is wrong is an error, never a silent switch to the demo data.
    """
    for value, origin in ((path, "the path argument"), (os.environ.get("MASK_DATA_DIR"), "MASK_DATA_DIR")):
        if value:
            sources = []
            for folder in data_paths(value):
                if not folder.exists():
                    raise DataLayoutError(
                        f"{folder} (from {origin}) does not exist. Expected {EXPECTED_LAYOUTS}; "
                        f"{DATA_LIST_HELP}."
                    )
                roots = [layout.root for layout in find_datasets(folder)]
                sources += [DataSource(root, origin, demo_data.is_demo_dataset(root)) for root in roots]
            if sources:
                return sources
    kaggle_roots = _datasets_under(kaggle_input, max_depth=4)
    if kaggle_roots:
        return [DataSource(root, "Kaggle input", False) for root in kaggle_roots]
    if repo_data is None:
        repo_data = (project_root() or Path.cwd()) / "data"
    origin = "the repository's data/ folder"
    repo_sources = [
        DataSource(root, origin, demo_data.is_demo_dataset(root))
        for root in _datasets_under(repo_data, max_depth=3)
    ]
    if repo_sources:
        return repo_sources
    root = demo_data.generate_demo_dataset(demo_dataset_dir())
    return [DataSource(root, "the built-in demo generator (no dataset found)", True)]


def find_data(
    path: str | Path | list | tuple | None = None,
    kaggle_input: Path = KAGGLE_INPUT,
    repo_data: Path | None = None,
) -> DataSource:
    """The one dataset lessons 01-08 use: of those find_all_data finds (in its order), the first of face
    crops (class folders), or the first of all when every one is scene photos: lesson 01's ImageFolder reads
    class folders.

    Several found is no error, so MASK_DATA_DIR=faces:scenes serves every lesson: the source's origin (its
    describe() line) names the others, and lesson 09 and the train CLI use them all.
    """
    sources = find_all_data(path, kaggle_input, repo_data)
    chosen = next((s for s in sources if not is_scene_source(s)), sources[0])
    if len(sources) == 1:
        return chosen
    others = ", ".join(display_path(s.root) for s in sources if s is not chosen)
    note = f"{chosen.origin}, one of {len(sources)} datasets there (face crops first; the others: {others})"
    return DataSource(chosen.root, note, chosen.synthetic)


def demo_scenes_dir() -> Path:
    return work_dir() / "demo_data" / f"scenes_v{demo_data.SCENE_VERSION}"


def is_scene_source(source: DataSource) -> bool:
    return scene_folders(source.root) is not None


def find_scenes(path: str | Path | None = None) -> DataSource:
    """A scene dataset (photos with boxed faces) for lesson 09: path -> MASK_SCENES_DIR -> the first scene
    dataset among the data in use (find_all_data) -> drawn demo scenes (SYNTHETIC): the lesson always runs."""
    for value, origin in (
        (path, "the path argument"),
        (os.environ.get("MASK_SCENES_DIR"), "MASK_SCENES_DIR"),
    ):
        if value:
            layout = find_layout(Path(value).expanduser())
            if layout.scenes is None:
                raise DataLayoutError(
                    f"{layout.root} (from {origin}): not a scene dataset; expected images/ + annotations/"
                )
            return DataSource(layout.root, origin, demo_data.is_demo_dataset(layout.root))
    scenes = [source for source in find_all_data() if is_scene_source(source)]
    if scenes:
        return scenes[0]
    root = demo_data.generate_demo_scenes(demo_scenes_dir())
    return DataSource(root, "the built-in demo generator (no scene dataset found)", True)


def find_faces(path: str | Path | None = None) -> DataSource:
    """The face-crop dataset in use (find_data), lesson 09's other dataset; the demo faces when the data in
    use holds only scene photos."""
    source = find_data(path)
    if is_scene_source(source):
        root = demo_data.generate_demo_dataset(demo_dataset_dir())
        return DataSource(root, "the built-in demo generator (only scene data found)", True)
    return source


# ----------------------------------------------------------------------------------------------- scanning
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
    """Every candidate image file (or boxed face), and what was skipped on sight with the reason: junk files
    (.DS_Store, ._x.jpg, Thumbs.db), and in scene datasets unpaired files, unreadable XML, empty boxes."""
    if layout.scenes is not None:
        faces, skipped = list_boxed_faces(*layout.scenes)
        return [FileEntry(f.image, f.label, None, f.box) for f in faces], skipped
    entries, junk = [], []
    for split, by_label in layout.folders.items():
        for label, folders in by_label.items():
            for folder in folders:
                for path in sorted(folder.rglob("*")):
                    if path.is_dir():
                        continue
                    if is_junk(path.relative_to(folder)):
                        junk.append((str(path), "system or hidden file, not an image"))
                    else:
                        entries.append(FileEntry(path, label, split))
    return entries, junk


def quick_subset(entries: list[FileEntry], root: Path) -> list[FileEntry]:
    """A small, stable, class-balanced subset for CI; the same files on every machine."""
    groups: dict[tuple[str | None, str], list[FileEntry]] = defaultdict(list)
    for entry in entries:
        groups[(entry.split, entry.label)].append(entry)
    kept = []
    for (split, _label), members in sorted(groups.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        members = sorted(members, key=lambda e: stable_hash(e.path.relative_to(root).as_posix()))
        kept += members[: QUICK_LIMITS[split or "flat"]]
    return kept


@dataclass
class ScannedImage:
    """What one pass over a readable file yields: cache pixels plus facts for the report and the split."""

    pixels: np.ndarray  # uint8, 3 x size x size
    sha1: str
    dhash: int  # perceptual hash: equal or close for copies of one photo
    original_size: tuple[int, int]


def read_for_cache(path: Path, size: int) -> ScannedImage:
    """Decode once, then resize the whole image with the course's one resize (helpers.preprocess), so the
    cache holds exactly what inference would make of the same file. Hashes come from the decoded image."""
    data = path.read_bytes()
    image = decode_rgb(data, path)
    return ScannedImage(
        pixels=resize_square(image, size).transpose(2, 0, 1).copy(),
        sha1=hashlib.sha1(data).hexdigest(),
        dhash=difference_hash(image.convert("L")),
        original_size=image.info["original_size"],
    )


def read_faces_for_cache(
    path: Path, boxes: list[tuple[int, int, int, int]], size: int
) -> list[ScannedImage | str]:
    """Each boxed face of one photo, cut with the margin inference uses (crop_face) and resized as inference
    resizes; a box outside the photo gives its reason instead. Hashes are the whole photo's, so faces of
    one photo, and of copies of it, stay in one split."""

    data = path.read_bytes()
    image = decode_rgb(data, path)
    pixels, width, height = np.asarray(image), image.width, image.height
    sha1, dhash = hashlib.sha1(data).hexdigest(), difference_hash(image.convert("L"))
    results: list[ScannedImage | str] = []
    for box in boxes:
        inside = clip_box(box, width, height)
        if inside is None:
            results.append(f"box {box} (x, y, w, h) lies outside the {width}x{height} photo")
            continue
        face = resize_square(crop_face(pixels, inside), size).transpose(2, 0, 1).copy()
        results.append(ScannedImage(face, sha1, dhash, (inside[2], inside[3])))
    return results


def _try_read(path: Path, boxes: list, size: int) -> list[ScannedImage | str]:
    """One result per entry of this file: the scanned image or face, or why it was skipped."""
    try:
        if boxes[0] is None:
            return [read_for_cache(path, size)]
        return read_faces_for_cache(path, boxes, size)
    except ImageLoadError as exc:
        return [exc.reason] * len(boxes)
    except OSError as exc:
        return [f"could not read the file ({exc.strerror or exc})"] * len(boxes)


@dataclass
class Scan:
    """Readable images (pixels + metadata) and unreadable files with reasons, for one file list."""

    entries: list[FileEntry]
    pixels: np.ndarray  # N x 3 x size x size, uint8
    sha1: list[str]
    dhash: list[int]
    sizes: np.ndarray  # N x 2 (width, height) of the original files
    skipped: list[tuple[str, str]]


def _cache_key(entries: list[FileEntry], size: int) -> str:
    digest = hashlib.sha256(f"v{CACHE_VERSION} size={size}".encode())
    for entry in entries:
        stat = entry.path.stat()
        digest.update(f"{entry.key}|{entry.label}|{entry.split}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:20]


def _progress(iterable: Iterable, total: int, description: str) -> Iterable:
    if total < 500:
        return iterable
    return progress(iterable, total=total, desc=description, mininterval=1.0)


def scan_images(entries: list[FileEntry], size: int, cache_dir: Path | None = None) -> Scan:
    """Decode every file once (threads, since PIL releases the GIL) and cache the result on disk.

    The next run with the same files (same paths, sizes, modification times) loads the cache in a second.
    """
    cache_dir = cache_dir or work_dir() / "cache"
    key = _cache_key(entries, size)
    cached = _load_scan(cache_dir, key, entries)
    if cached is not None:
        (cache_dir / f"{key}.json").touch()  # recently used: kept by _prune_cache
        return cached
    by_file: dict[Path, list[int]] = defaultdict(list)  # a scene photo is decoded once for all its faces
    for i, entry in enumerate(entries):
        by_file[entry.path].append(i)
    workers = min(8, (os.cpu_count() or 1) + 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        jobs = pool.map(lambda f: _try_read(f, [entries[i].box for i in by_file[f]], size), by_file)
        per_file = list(_progress(jobs, len(by_file), "Reading images"))
    results: list[ScannedImage | str] = [""] * len(entries)
    for indices, found in zip(by_file.values(), per_file, strict=True):
        for i, result in zip(indices, found, strict=True):
            results[i] = result
    good = [(e, r) for e, r in zip(entries, results, strict=True) if isinstance(r, ScannedImage)]
    scan = Scan(
        entries=[e for e, _ in good],
        pixels=np.stack([r.pixels for _, r in good]) if good else np.zeros((0, 3, size, size), np.uint8),
        sha1=[r.sha1 for _, r in good],
        dhash=[r.dhash for _, r in good],
        sizes=np.array([r.original_size for _, r in good], dtype=np.int64).reshape(-1, 2),
        skipped=[(_where(e), r) for e, r in zip(entries, results, strict=True) if isinstance(r, str)],
    )
    _save_scan(cache_dir, key, scan)
    return scan


def _where(entry: FileEntry) -> str:
    return f"{entry.path} face {entry.box}" if entry.box else str(entry.path)


def _save_scan(cache_dir: Path, key: str, scan: Scan) -> None:
    """Write pixels and metadata under temporary names, then rename: a killed run leaves no half cache."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    meta = {
        "kept": [e.key for e in scan.entries],
        "sha1": scan.sha1,
        "dhash": scan.dhash,
        "sizes": scan.sizes.tolist(),
        "skipped": scan.skipped,
    }
    tmp_pixels, tmp_meta = cache_dir / f"{key}.tmp.npy", cache_dir / f"{key}.tmp.json"
    np.save(tmp_pixels, scan.pixels)
    tmp_meta.write_text(json.dumps(meta))
    tmp_pixels.replace(cache_dir / f"{key}.npy")
    tmp_meta.replace(cache_dir / f"{key}.json")
    _prune_cache(cache_dir)


def _prune_cache(cache_dir: Path, keep: int | None = None) -> None:
    """A real dataset's cache is a few hundred MB: keep the most recently written ones only."""
    keep = CACHE_KEEP if keep is None else keep  # read at call time: a changed setting takes effect
    scans = sorted(cache_dir.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in scans[keep:]:
        old.unlink(missing_ok=True)
        old.with_suffix(".npy").unlink(missing_ok=True)


def _load_scan(cache_dir: Path, key: str, entries: list[FileEntry]) -> Scan | None:
    """The cached scan, or None when it is missing, damaged or of another layout: then the files are read."""
    by_path = {e.key: e for e in entries}
    try:
        meta = json.loads((cache_dir / f"{key}.json").read_text())
        pixels = np.load(cache_dir / f"{key}.npy")
        if len(meta["kept"]) != len(pixels) or any(p not in by_path for p in meta["kept"]):
            return None
        return Scan(
            entries=[by_path[p] for p in meta["kept"]],
            pixels=pixels,
            sha1=meta["sha1"],
            dhash=meta["dhash"],
            sizes=np.array(meta["sizes"], dtype=np.int64).reshape(-1, 2),
            skipped=[tuple(s) for s in meta["skipped"]],
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


# ----------------------------------------------------------------------------------------------- report
@dataclass
class ScanReport:
    """What the scan found: counts per split and class, skipped files with reasons, sizes, duplicates."""

    counts: dict[str, dict[str, int]]
    skipped: list[tuple[str, str]]
    sizes: np.ndarray
    exact_duplicates: int
    near_duplicate_groups: int
    groups_across_splits: int = 0
    notes: list[str] = field(default_factory=list)
    face_sizes: dict[str, dict[str, int]] | None = None  # scene data: faces per class and width bucket
    class_names: tuple[str, ...] = CLASS_NAMES

    def size_summary(self) -> str:
        if len(self.sizes) == 0:
            return "no readable images"
        short = self.sizes.min(axis=1)
        q = np.percentile(short, [0, 50, 100]).astype(int)
        return f"shorter side min {q[0]} px, median {q[1]} px, max {q[2]} px"

    def as_dict(self) -> dict:
        return {
            "counts": self.counts,
            "images": int(sum(sum(c.values()) for c in self.counts.values())),
            "skipped": len(self.skipped),
            "exact_duplicates": self.exact_duplicates,
            "near_duplicate_groups": self.near_duplicate_groups,
            "groups_across_splits": self.groups_across_splits,
            "face_sizes": self.face_sizes,
        }

    def _face_size_lines(self) -> list[str]:
        if not self.face_sizes:
            return []
        buckets = [name for name, _, _ in SIZE_BUCKETS]
        lines = ["Faces by box width: " + " ".join(f"{b + ' px':>10}" for b in buckets)]
        for label, row in self.face_sizes.items():
            lines.append(f"  {label:<17}" + " ".join(f"{row.get(b, 0):>10}" for b in buckets))
        return lines

    def __str__(self) -> str:
        names = self.class_names
        lines = [f"{'split':<6} " + " ".join(f"{c:>9}" for c in names) + f" {'total':>8}"]
        for split in SPLITS:
            row = self.counts.get(split, {})
            lines.append(
                f"{split:<6} " + " ".join(f"{row.get(c, 0):>9}" for c in names) + f" {sum(row.values()):>8}"
            )
        lines.append(f"Image sizes: {self.size_summary()}")
        lines += self._face_size_lines()
        lines.append(
            f"Duplicates: {self.exact_duplicates} files are exact copies of another; "
            f"{self.near_duplicate_groups} groups of identical or near-identical images; "
            f"groups found in more than one split: {self.groups_across_splits}"
        )
        lines.append(f"Skipped {len(self.skipped)} file(s)" + (":" if self.skipped else ""))
        lines += [f"  {_shown(path)}: {reason}" for path, reason in self.skipped[:20]]
        if len(self.skipped) > 20:
            lines.append(f"  ... and {len(self.skipped) - 20} more")
        lines += self.notes
        return "\n".join(lines)


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
        return SplitData(
            self.images[index],
            self.labels[index],
            [self.paths[i] for i in index.tolist()],
            None if self.sizes is None else self.sizes[index],
            self.class_names,
        )


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


def _split_scan(scan: Scan, layout: Layout) -> tuple[list[str], list[int], list[str]]:
    """Split name per image: kept from a pre-split layout (a missing val/test is carved out of train),
    or dealt by assign_splits for flat class folders and scenes (by photo: its faces stay together)."""
    labels = [e.label for e in scan.entries]
    groups = duplicate_groups(scan.sha1, scan.dhash)
    notes = []
    if layout.kind != "pre-split":
        together = " (all faces of a photo, and of copies of it)" if layout.kind == "scenes" else ""
        notes.append(
            f"Split 70/15/15 per class by content hash; each group of copies{together} stays in one split."
        )
        return assign_splits(labels, groups, scan.sha1), groups, notes
    splits = [e.split or "train" for e in scan.entries]
    missing = [s for s in ("val", "test") if s not in layout.folders]
    if missing:
        carve = [i for i, s in enumerate(splits) if s == "train"]
        fractions = {("val",): (0.85, 0.15, 0.0), ("test",): (0.85, 0.0, 0.15)}.get(
            tuple(missing), SPLIT_FRACTIONS
        )
        dealt = assign_splits(
            [labels[i] for i in carve], [groups[i] for i in carve], [scan.sha1[i] for i in carve], fractions
        )
        for i, split in zip(carve, dealt, strict=True):
            splits[i] = split
        notes.append(
            f"No {' or '.join(missing)} folder: carved {' and '.join(missing)} out of train by content hash."
        )
    return splits, groups, notes


def _face_sizes(scan: Scan, class_order: tuple[str, ...]) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = {}
    for label in class_order:
        widths = [int(w) for e, (w, _) in zip(scan.entries, scan.sizes, strict=True) if e.label == label]
        if widths:
            table[label] = dict(Counter(size_bucket(w) for w in widths))
    return table


def _groups_across(groups: list[int], splits: list[str]) -> int:
    splits_of_group: dict[int, set[str]] = defaultdict(set)
    for group, split in zip(groups, splits, strict=True):
        splits_of_group[group].add(split)
    return sum(1 for names in splits_of_group.values() if len(names) > 1)


def _split_data(
    scan: Scan, index: list[int], label_index: dict[str, int], names: tuple[str, ...]
) -> SplitData:
    return SplitData(
        images=torch.from_numpy(scan.pixels[index]),
        labels=torch.tensor([label_index.get(scan.entries[i].label, -1) for i in index], dtype=torch.int64),
        paths=[scan.entries[i].path for i in index],
        sizes=torch.from_numpy(scan.sizes[index]).reshape(-1, 2),
        class_names=names,
    )


def check_classes(classes: tuple[str, ...]) -> tuple[str, ...]:
    allowed = (CLASS_NAMES, ALL_CLASS_NAMES)
    if tuple(classes) not in allowed:
        raise ValueError(f"classes={classes!r}: expected one of {allowed}")
    return tuple(classes)


def load_course_data(
    source: DataSource | str | Path | None = None,
    image_size: int = 128,
    quick: bool | None = None,
    classes: tuple[str, ...] = CLASS_NAMES,
) -> CourseData:
    """Find, scan, split and cache one dataset; the one call every notebook starts with.

    Several datasets are loaded one by one (each split on its own, so a photo never leaks between splits
    through another dataset) and trained on together with fit(model, [data_a, data_b]).
    classes: the two-class course (mask, no_mask), or ALL_CLASS_NAMES to also learn masks worn incorrectly
    (scene data only). In the two-class course such faces are kept aside in held_out["incorrect"].
    """
    if not isinstance(image_size, int) or not 16 <= image_size <= 1024:
        raise ValueError(f"image_size={image_size!r}: expected a whole number of pixels from 16 to 1024")
    classes = check_classes(classes)
    if isinstance(source, list | tuple):
        raise ValueError(
            f"load_course_data loads one dataset, got a list of {len(source)}: load each one "
            "(find_all_data lists them) and pass the list of results to fit()"
        )
    if not isinstance(source, DataSource):
        source = find_data(source)
    quick = quick_mode() if quick is None else quick
    layout = find_layout(source.root)
    entries, junk = list_files(layout)
    if quick:
        entries = quick_subset(entries, layout.root)
    scan = scan_images(entries, image_size)
    if not scan.entries:
        raise DataLayoutError(f"{layout.root}: no readable images found ({len(scan.skipped)} files skipped).")
    splits, groups, notes = _split_scan(scan, layout)
    if quick:
        notes.append(
            "Quick mode (MASK_QUICK=1): a small, stable subset of the data; numbers are not comparable."
        )
    label_index = {name: i for i, name in enumerate(classes)}
    parts = {
        split: _split_data(
            scan,
            [i for i, s in enumerate(splits) if s == split and scan.entries[i].label in label_index],
            label_index,
            classes,
        )
        for split in SPLITS
    }
    held_out = {}
    aside = [i for i, e in enumerate(scan.entries) if e.label not in label_index]
    if aside:
        held_out["incorrect"] = _split_data(scan, aside, label_index, classes)
        notes.append(
            f"{len(aside)} faces with the mask worn incorrectly (below the nose or chin) are kept aside: the "
            "two-class course does not train on them; lesson 09 shows what the model calls them "
            "(classes=ALL_CLASS_NAMES, or --classes 3, learns them as a third class)."
        )
    across = _groups_across(groups, splits)
    if across:
        notes.append(
            f"Warning: the dataset's own split puts copies of {across} image group(s) in more than one "
            "split; accuracy measured on it will be flattered."
        )
    report = ScanReport(
        counts={split: parts[split].class_counts() for split in SPLITS},
        skipped=junk + scan.skipped,
        sizes=scan.sizes,
        exact_duplicates=_exact_duplicates(scan),
        near_duplicate_groups=sum(1 for n in Counter(_photo_groups(scan, groups)).values() if n > 1),
        groups_across_splits=across,
        notes=notes,
        face_sizes=_face_sizes(scan, ALL_CLASS_NAMES) if layout.kind == "scenes" else None,
        class_names=classes,
    )
    photo_splits = {e.path: s for e, s in zip(scan.entries, splits, strict=True)} if layout.scenes else {}
    return CourseData(source, layout, image_size, parts, report, classes, held_out, photo_splits=photo_splits)


def _exact_duplicates(scan: Scan) -> int:
    """Files that are byte-for-byte copies of another (a scene photo counts once, not once per face)."""
    sha_by_file = {e.path: sha for e, sha in zip(scan.entries, scan.sha1, strict=True)}
    return len(sha_by_file) - len(set(sha_by_file.values()))


def _photo_groups(scan: Scan, groups: list[int]) -> list[int]:
    """The group of each file (not of each face): near-duplicate groups are counted in photos."""
    return list({e.path: g for e, g in zip(scan.entries, groups, strict=True)}.values())
