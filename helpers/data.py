"""Finding the data, reading every image once, and caching it for the lessons.

The pipeline, in the order lesson 01 shows it:
  find_data()        which folder: argument -> MASK_DATA_DIR -> Kaggle input -> data/<name> -> built-in demo
  find_layout()      pre-split (train/ valid/ test/) or flat class folders; folder names -> mask / no_mask
  scan_images()      decode each file once: skip bad ones with a reason, resize into a uint8 cache on disk
  load_course_data() all of the above plus a leak-free split (helpers.splits): tensors per split and a report
Lesson 01 then builds its Dataset and DataLoaders on these tensors (helpers.loaders).
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
from helpers.constants import CLASS_NAMES, SPLITS
from helpers.images import ImageLoadError, decode_rgb, is_junk
from helpers.preprocess import resize_square
from helpers.runtime import KAGGLE_INPUT, display_path, project_root, quick_mode, work_dir
from helpers.splits import SPLIT_FRACTIONS, assign_splits, difference_hash, duplicate_groups, stable_hash

SPLIT_ALIASES = {
    "train": {"train", "training"},
    "val": {"val", "valid", "validation", "dev"},
    "test": {"test", "testing"},
}
CACHE_VERSION = 4
CACHE_KEEP = 6  # scans kept on disk (different datasets, image sizes, quick mode); older ones are deleted
# Quick mode (CI) keeps this many images per class and split, chosen by a stable hash of the file path.
QUICK_LIMITS = {"flat": 200, "train": 140, "val": 30, "test": 30}
EXPECTED_LAYOUTS = (
    "either class folders directly (e.g. with_mask/ and without_mask/), or split folders train/, valid/ "
    "(or validation/), test/, each holding the class folders (e.g. faceWithMask/ and faceWithoutMask/)"
)


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
    if "without" in name or name.startswith(("no", "un")):
        return "no_mask"
    return "mask"


def _subfolders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not is_junk(p))


# ----------------------------------------------------------------------------------------------- layouts
@dataclass(frozen=True)
class Layout:
    """Where the class folders of each split are. split None means flat: the course splits it."""

    root: Path
    kind: str  # "pre-split" or "flat"
    folders: dict[str | None, dict[str, list[Path]]]

    def class_map(self) -> dict[str, str]:
        """Folder (relative to root) -> canonical label, to show learners how names were read."""
        return {
            str(folder.relative_to(self.root)): label
            for by_label in self.folders.values()
            for label, paths in by_label.items()
            for folder in paths
        }

    def class_folder_parent(self) -> Path:
        """The folder holding the training class folders: what torchvision's ImageFolder expects."""
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
        "Folders named like 'mask_weared_incorrect' (3-class data) or images/ + annotations/ "
        "(object-detection data) are not supported."
    )


def find_layout(root: Path, max_depth: int = 3) -> Layout:
    """detect_layout, also looking inside wrapper folders (a zip that unpacks to dataset/with_mask/...)."""
    root = Path(root)
    first_error = None
    level = [root]
    for _ in range(max_depth + 1):
        next_level = []
        for folder in level:
            try:
                return detect_layout(folder)
            except DataLayoutError as exc:
                first_error = first_error or exc
                if folder.is_dir():
                    next_level += _subfolders(folder)
        level = next_level
    raise first_error or DataLayoutError(f"{root}: no dataset found")


# ----------------------------------------------------------------------------------------------- sources
@dataclass(frozen=True)
class DataSource:
    """Which dataset a notebook uses and why, so every result can say what data it came from."""

    root: Path
    origin: str
    synthetic: bool

    def describe(self) -> str:
        kind = "SYNTHETIC demo data (drawn faces, not real people)" if self.synthetic else "real images"
        return f"Data: {display_path(self.root)} — {kind}; chosen from {self.origin}"


def demo_dataset_dir() -> Path:
    return work_dir() / "demo_data" / f"v{demo_data.DEMO_VERSION}"


def _first_dataset_under(folder: Path, max_depth: int) -> Path | None:
    if not folder.is_dir():
        return None
    for candidate in _subfolders(folder):
        try:
            return find_layout(candidate, max_depth).root
        except DataLayoutError:
            continue
    return None


def find_data(
    path: str | Path | None = None,
    kaggle_input: Path = KAGGLE_INPUT,
    repo_data: Path | None = None,
) -> DataSource:
    """Pick the dataset: explicit path -> MASK_DATA_DIR -> Kaggle input -> data/<name> -> built-in demo.

    An explicit path or MASK_DATA_DIR that is wrong is an error, never a silent switch to the demo data.
    """
    for value, origin in ((path, "the path argument"), (os.environ.get("MASK_DATA_DIR"), "MASK_DATA_DIR")):
        if value:
            folder = Path(value).expanduser()
            if not folder.exists():
                raise DataLayoutError(
                    f"{folder} (from {origin}) does not exist. Expected {EXPECTED_LAYOUTS}."
                )
            root = find_layout(folder).root
            return DataSource(root, origin, demo_data.is_demo_dataset(root))
    kaggle_root = _first_dataset_under(kaggle_input, max_depth=4)
    if kaggle_root is not None:
        return DataSource(kaggle_root, "Kaggle input", False)
    if repo_data is None:
        repo_data = (project_root() or Path.cwd()) / "data"
    repo_root = _first_dataset_under(repo_data, max_depth=3)
    if repo_root is not None:
        return DataSource(repo_root, "the repository's data/ folder", demo_data.is_demo_dataset(repo_root))
    root = demo_data.generate_demo_dataset(demo_dataset_dir())
    return DataSource(root, "the built-in demo generator (no dataset found)", True)


# ----------------------------------------------------------------------------------------------- scanning
@dataclass(frozen=True)
class FileEntry:
    path: Path
    label: str
    split: str | None  # None: flat layout, split assigned later


def list_files(layout: Layout) -> tuple[list[FileEntry], list[tuple[str, str]]]:
    """Every candidate image file, and the junk files skipped on sight (.DS_Store, ._x.jpg, Thumbs.db)."""
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


def _try_read(path: Path, size: int) -> ScannedImage | str:
    try:
        return read_for_cache(path, size)
    except ImageLoadError as exc:
        return exc.reason
    except OSError as exc:
        return f"could not read the file ({exc.strerror or exc})"


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
        digest.update(
            f"{entry.path}|{entry.label}|{entry.split}|{stat.st_size}|{stat.st_mtime_ns}\n".encode()
        )
    return digest.hexdigest()[:20]


def _progress(iterable: Iterable, total: int, description: str) -> Iterable:
    if total < 500:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=description, mininterval=1.0)


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
    workers = min(8, (os.cpu_count() or 1) + 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(
            _progress(pool.map(lambda e: _try_read(e.path, size), entries), len(entries), "Reading images")
        )
    good = [(e, r) for e, r in zip(entries, results, strict=True) if isinstance(r, ScannedImage)]
    scan = Scan(
        entries=[e for e, _ in good],
        pixels=np.stack([r.pixels for _, r in good]) if good else np.zeros((0, 3, size, size), np.uint8),
        sha1=[r.sha1 for _, r in good],
        dhash=[r.dhash for _, r in good],
        sizes=np.array([r.original_size for _, r in good], dtype=np.int64).reshape(-1, 2),
        skipped=[(str(e.path), r) for e, r in zip(entries, results, strict=True) if isinstance(r, str)],
    )
    _save_scan(cache_dir, key, scan)
    return scan


def _save_scan(cache_dir: Path, key: str, scan: Scan) -> None:
    """Write pixels and metadata under temporary names, then rename: a killed run leaves no half cache."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    meta = {
        "kept": [str(e.path) for e in scan.entries],
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
    by_path = {str(e.path): e for e in entries}
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
        }

    def __str__(self) -> str:
        lines = [f"{'split':<6} " + " ".join(f"{c:>8}" for c in CLASS_NAMES) + f" {'total':>8}"]
        for split in SPLITS:
            row = self.counts.get(split, {})
            lines.append(
                f"{split:<6} "
                + " ".join(f"{row.get(c, 0):>8}" for c in CLASS_NAMES)
                + f" {sum(row.values()):>8}"
            )
        lines.append(f"Image sizes: {self.size_summary()}")
        lines.append(
            f"Duplicates: {self.exact_duplicates} files are exact copies of another; "
            f"{self.near_duplicate_groups} groups of identical or near-identical images; "
            f"groups found in more than one split: {self.groups_across_splits}"
        )
        lines.append(f"Skipped {len(self.skipped)} file(s)" + (":" if self.skipped else ""))
        lines += [f"  {path}: {reason}" for path, reason in self.skipped[:20]]
        if len(self.skipped) > 20:
            lines.append(f"  ... and {len(self.skipped) - 20} more")
        lines += self.notes
        return "\n".join(lines)


@dataclass
class SplitData:
    images: torch.Tensor  # N x 3 x S x S, uint8
    labels: torch.Tensor  # N, int64 index into CLASS_NAMES
    paths: list[Path]

    def class_counts(self) -> dict[str, int]:
        counts = torch.bincount(self.labels, minlength=len(CLASS_NAMES)).tolist()
        return dict(zip(CLASS_NAMES, counts, strict=True))


@dataclass
class CourseData:
    """Everything a notebook needs about its data: uint8 image tensors per split, ready for DataLoaders."""

    source: DataSource
    layout: Layout
    image_size: int
    splits: dict[str, SplitData]
    report: ScanReport
    class_names: tuple[str, ...] = CLASS_NAMES

    def describe(self) -> str:
        sizes = ", ".join(f"{s} {len(self.splits[s].labels)}" for s in SPLITS)
        return f"{self.source.describe()}\nImages per split: {sizes}"


def _split_scan(scan: Scan, layout: Layout) -> tuple[list[str], list[int], list[str]]:
    """Split name per image: kept from a pre-split layout (a missing val/test is carved out of train),
    or dealt by assign_splits for flat class folders."""
    labels = [e.label for e in scan.entries]
    groups = duplicate_groups(scan.sha1, scan.dhash)
    notes = []
    if layout.kind == "flat":
        notes.append("Split 70/15/15 per class by content hash; each group of copies stays inside one split.")
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


def load_course_data(
    source: DataSource | str | Path | None = None, image_size: int = 128, quick: bool | None = None
) -> CourseData:
    """Find, scan, split and cache the course data; the one call every notebook starts with."""
    if not isinstance(image_size, int) or not 16 <= image_size <= 1024:
        raise ValueError(f"image_size={image_size!r}: expected a whole number of pixels from 16 to 1024")
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
    label_index = {name: i for i, name in enumerate(CLASS_NAMES)}
    parts = {}
    counts: dict[str, dict[str, int]] = {}
    for split in SPLITS:
        idx = [i for i, s in enumerate(splits) if s == split]
        parts[split] = SplitData(
            images=torch.from_numpy(scan.pixels[idx]),
            labels=torch.tensor([label_index[scan.entries[i].label] for i in idx], dtype=torch.int64),
            paths=[scan.entries[i].path for i in idx],
        )
        counts[split] = parts[split].class_counts()
    group_sizes = Counter(groups)
    splits_of_group: dict[int, set[str]] = defaultdict(set)
    for group, split in zip(groups, splits, strict=True):
        splits_of_group[group].add(split)
    across = sum(1 for names in splits_of_group.values() if len(names) > 1)
    if across:
        notes.append(
            f"Warning: the dataset's own split puts copies of {across} image group(s) in more than one "
            "split; accuracy measured on it will be flattered."
        )
    report = ScanReport(
        counts=counts,
        skipped=junk + scan.skipped,
        sizes=scan.sizes,
        exact_duplicates=len(scan.sha1) - len(set(scan.sha1)),
        near_duplicate_groups=sum(1 for n in group_sizes.values() if n > 1),
        groups_across_splits=across,
        notes=notes,
    )
    return CourseData(source, layout, image_size, parts, report)
