"""Finding the data, reading every image once, splitting without leaks, and feeding PyTorch.

The pipeline, in the order the course teaches it:
  find_data()        which folder: argument -> MASK_DATA_DIR -> Kaggle input -> data/<name> -> built-in demo
  find_layout()      pre-split (train/ valid/ test/) or flat class folders; folder names -> mask / no_mask
  scan_images()      decode each file once: skip bad ones with a reason, resize into a uint8 cache on disk
  assign_splits()    flat folders -> train/val/test, stratified, grouping duplicates so no face leaks
  load_course_data() all of the above, returning tensors per split and a ScanReport
  make_loaders()     DataLoaders with augmentation for training and plain resizing for evaluation
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms import v2

from helpers import demo_data
from helpers.images import ImageLoadError, decode_rgb, is_junk
from helpers.runtime import KAGGLE_INPUT, display_path, project_root, quick_mode, work_dir

CLASS_NAMES: tuple[str, ...] = ("mask", "no_mask")
SPLITS: tuple[str, ...] = ("train", "val", "test")
SPLIT_FRACTIONS: tuple[float, float, float] = (0.70, 0.15, 0.15)
SPLIT_ALIASES = {
    "train": {"train", "training"},
    "val": {"val", "valid", "validation", "dev"},
    "test": {"test", "testing"},
}
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
CACHE_VERSION = 2
# Duplicate hashes come from a decode at this JPEG draft size whatever the cache size, so the split (and so
# the test set) is the same at 64, 128 or 160 px.
HASH_DRAFT = 128
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


def _stable_hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def quick_subset(entries: list[FileEntry], root: Path) -> list[FileEntry]:
    """A small, stable, class-balanced subset for CI; the same files on every machine."""
    groups: dict[tuple[str | None, str], list[FileEntry]] = defaultdict(list)
    for entry in entries:
        groups[(entry.split, entry.label)].append(entry)
    kept = []
    for (split, _label), members in sorted(groups.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        members = sorted(members, key=lambda e: _stable_hash(e.path.relative_to(root).as_posix()))
        kept += members[: QUICK_LIMITS[split or "flat"]]
    return kept


def _difference_hash(gray: Image.Image) -> int:
    """64-bit dHash: equal for resized or re-encoded copies of the same photo."""
    pixels = np.asarray(gray.resize((9, 8), Image.Resampling.BILINEAR), dtype=np.int16)
    bits = (pixels[:, 1:] > pixels[:, :-1]).flatten()
    return int(np.packbits(bits).view(">u8")[0])


@dataclass
class ScannedImage:
    """What one pass over a readable file yields: cache pixels plus facts for the report and the split."""

    pixels: np.ndarray  # uint8, 3 x size x size
    sha1: str
    hash_full: int
    hash_top: int
    original_size: tuple[int, int]


def read_for_cache(path: Path, size: int) -> ScannedImage:
    """Decode once for the cache; resize the whole image to size x size (faces keep chin and mask; no crop
    cuts them). Large JPEGs get a second, small decode for the duplicate hashes, independent of size."""
    data = path.read_bytes()
    image = decode_rgb(data, path, draft_size=size)
    gray = (image if size == HASH_DRAFT else decode_rgb(data, path, draft_size=HASH_DRAFT)).convert("L")
    top = gray.crop((0, 0, gray.width, max(1, gray.height // 2)))
    small = image.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return ScannedImage(
        pixels=np.asarray(small, dtype=np.uint8).transpose(2, 0, 1).copy(),
        sha1=hashlib.sha1(data).hexdigest(),
        hash_full=_difference_hash(gray),
        hash_top=_difference_hash(top),
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
    hash_full: list[int]
    hash_top: list[int]
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
        hash_full=[r.hash_full for _, r in good],
        hash_top=[r.hash_top for _, r in good],
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
        "hash_full": scan.hash_full,
        "hash_top": scan.hash_top,
        "sizes": scan.sizes.tolist(),
        "skipped": scan.skipped,
    }
    tmp_pixels, tmp_meta = cache_dir / f"{key}.tmp.npy", cache_dir / f"{key}.tmp.json"
    np.save(tmp_pixels, scan.pixels)
    tmp_meta.write_text(json.dumps(meta))
    tmp_pixels.replace(cache_dir / f"{key}.npy")
    tmp_meta.replace(cache_dir / f"{key}.json")
    _prune_cache(cache_dir)


def _prune_cache(cache_dir: Path, keep: int = CACHE_KEEP) -> None:
    """A real dataset's cache is a few hundred MB: keep the most recently written ones only."""
    scans = sorted(cache_dir.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in scans[keep:]:
        old.unlink(missing_ok=True)
        old.with_suffix(".npy").unlink(missing_ok=True)


def _load_scan(cache_dir: Path, key: str, entries: list[FileEntry]) -> Scan | None:
    try:
        meta = json.loads((cache_dir / f"{key}.json").read_text())
        pixels = np.load(cache_dir / f"{key}.npy")
    except (OSError, ValueError, KeyError):
        return None  # missing or damaged cache: scan again
    by_path = {str(e.path): e for e in entries}
    if len(meta["kept"]) != len(pixels) or any(p not in by_path for p in meta["kept"]):
        return None
    return Scan(
        entries=[by_path[p] for p in meta["kept"]],
        pixels=pixels,
        sha1=meta["sha1"],
        hash_full=meta["hash_full"],
        hash_top=meta["hash_top"],
        sizes=np.array(meta["sizes"], dtype=np.int64).reshape(-1, 2),
        skipped=[tuple(s) for s in meta["skipped"]],
    )


# ----------------------------------------------------------------------------------------------- splitting
def duplicate_groups(
    sha1: list[str], hash_full: list[int], hash_top: list[int], max_bits: int = 2
) -> list[int]:
    """Group id per image: identical files, and near-identical copies (same top-half dHash and a full dHash
    at most max_bits apart: recoloured or re-encoded versions of one photo), share a group."""
    parent = list(range(len(sha1)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        parent[find(i)] = find(j)

    first_by_sha: dict[str, int] = {}
    by_top: dict[int, list[int]] = defaultdict(list)
    for i, digest in enumerate(sha1):
        if digest in first_by_sha:
            union(i, first_by_sha[digest])
        else:
            first_by_sha[digest] = i
        by_top[hash_top[i]].append(i)
    for members in by_top.values():
        for a, i in enumerate(members):
            for j in members[a + 1 :]:
                if (hash_full[i] ^ hash_full[j]).bit_count() <= max_bits:
                    union(i, j)
    return [find(i) for i in range(len(sha1))]


def assign_splits(
    labels: list[str], groups: list[int], keys: list[str], fractions: tuple[float, ...] = SPLIT_FRACTIONS
) -> list[str]:
    """Stratified, leak-free, stable split: whole groups are dealt in the order of a hash of their content.

    Each group goes to the first split (train, val, test) whose quota for the group's class is not full yet.
    The order depends only on file contents (keys: e.g. sha1), so it is the same on every machine and run.
    """
    members: dict[int, list[int]] = defaultdict(list)
    for i, group in enumerate(groups):
        members[group].append(i)
    totals = Counter(labels)
    quota = {
        (split, label): fraction * totals[label]
        for split, fraction in zip(SPLITS, fractions, strict=True)
        for label in totals
    }
    filled: Counter = Counter()
    result = [""] * len(labels)
    order = sorted(members.values(), key=lambda idx: _stable_hash(min(keys[i] for i in idx)))
    for idx in order:
        label = Counter(labels[i] for i in idx).most_common(1)[0][0]
        split = next(
            (s for s in SPLITS[:-1] if filled[(s, label)] + len(idx) / 2 <= quota[(s, label)]), "test"
        )
        for i in idx:
            result[i] = split
            filled[(split, labels[i])] += 1
    return result


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


# ----------------------------------------------------------------------------------------------- datasets
class CachedImageDataset(Dataset):
    """Images already decoded and resized (uint8 tensors): an epoch costs augmentation, not JPEG decoding."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, transform: Callable | None = None) -> None:
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image = self.images[index]
        if self.transform is not None:
            image = _single_threaded(self.transform, image)
        return image, int(self.labels[index])


def _single_threaded(function: Callable, argument: torch.Tensor) -> torch.Tensor:
    """Run per-image ops on one thread: they are so small that sharing them out costs more than it saves
    (measured on 2 busy cores: 2 ms instead of 8-200 ms per image). Switching costs under a microsecond."""
    threads = torch.get_num_threads()
    if threads == 1:
        return function(argument)
    torch.set_num_threads(1)
    try:
        return function(argument)
    finally:
        torch.set_num_threads(threads)


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
    """Everything a notebook needs about its data, ready for DataLoaders."""

    source: DataSource
    layout: Layout
    image_size: int
    splits: dict[str, SplitData]
    report: ScanReport
    class_names: tuple[str, ...] = CLASS_NAMES

    def dataset(self, split: str, transform: Callable | None = None) -> CachedImageDataset:
        part = self.splits[split]
        return CachedImageDataset(part.images, part.labels, transform)

    def describe(self) -> str:
        sizes = ", ".join(f"{s} {len(self.splits[s].labels)}" for s in SPLITS)
        return f"{self.source.describe()}\nImages per split: {sizes}"


def _split_scan(scan: Scan, layout: Layout) -> tuple[list[str], list[int], list[str]]:
    """Split name per image: kept from a pre-split layout (a missing val/test is carved out of train),
    or dealt by assign_splits for flat class folders."""
    labels = [e.label for e in scan.entries]
    groups = duplicate_groups(scan.sha1, scan.hash_full, scan.hash_top)
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


# ----------------------------------------------------------------------------------------------- transforms
def train_transform(image_size: int = 128) -> v2.Compose:
    """Augmentation: new crops, mirror images, small tilts and lighting changes each epoch, so the model
    learns masks rather than one photo's framing or colour. Accepts uint8 tensors or PIL images."""
    return v2.Compose(
        [
            v2.ToImage(),
            v2.RandomResizedCrop(image_size, scale=(0.7, 1.0), ratio=(0.85, 1.18), antialias=True),
            v2.RandomHorizontalFlip(),
            v2.RandomRotation(10),
            v2.ColorJitter(brightness=0.3, contrast=0.3, saturation=0.3),
            v2.RandomGrayscale(p=0.1),
            v2.ToDtype(torch.float32, scale=True),
            v2.Normalize(IMAGENET_MEAN, IMAGENET_STD),
        ]
    )


def eval_transform(image_size: int = 128) -> v2.Compose:
    """No randomness for validation and test: the same image always gives the same numbers."""
    return v2.Compose(
        [
            v2.ToImage(),
            v2.Resize((image_size, image_size), antialias=True),
            v2.ToDtype(torch.float32, scale=True),
            v2.Normalize(IMAGENET_MEAN, IMAGENET_STD),
        ]
    )


def denormalize(batch: torch.Tensor) -> torch.Tensor:
    """Undo ImageNet normalisation for display: values back in [0, 1]."""
    mean = torch.tensor(IMAGENET_MEAN).view(-1, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(-1, 1, 1)
    return (batch * std + mean).clamp(0, 1)


def default_num_workers() -> int:
    """0 where worker processes hang or cost more than they save: Windows and macOS notebooks (spawn),
    and small machines; cached tensors make augmentation cheap, so a few workers are plenty elsewhere."""
    cores = os.cpu_count() or 1
    if platform.system() in {"Windows", "Darwin"} or cores <= 2:
        return 0
    return min(4, cores - 1)


def make_loaders(
    data: CourseData,
    batch_size: int = 64,
    augment: bool = True,
    num_workers: int | None = None,
    device: torch.device | None = None,
    seed: int = 0,
) -> dict[str, DataLoader]:
    """train (shuffled, augmented if augment) plus val and test loaders (fixed order, no augmentation)."""
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r}: expected a whole number of at least 1")
    workers = default_num_workers() if num_workers is None else num_workers
    pin = device is not None and device.type == "cuda"
    size = data.image_size
    loaders = {}
    for split in SPLITS:
        training = split == "train"
        transform = train_transform(size) if training and augment else eval_transform(size)
        loaders[split] = DataLoader(
            data.dataset(split, transform),
            batch_size=batch_size,
            shuffle=training,
            generator=torch.Generator().manual_seed(seed) if training else None,
            num_workers=workers,
            pin_memory=pin,
            persistent_workers=workers > 0,
        )
    return loaders
