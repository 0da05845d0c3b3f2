"""Training speed: a seed-style loop against helpers.training.fit, in one run, on the same images.

    python benchmarks/train_speed.py [--data DIR] [--images 400] [--epochs E] [--baseline-batches B]
                                     [--only {cnn,transfer}]

The seed-style loop is how typical tutorials train: torchvision's ImageFolder decodes every JPEG again each
epoch, torchvision transforms run per image, DataLoader(batch_size=20, shuffle=True, num_workers=0), and a
frozen VGG16 still runs its whole backbone on every batch. The course's fit() trains on a decoded uint8 cache,
augments whole batches, and runs a frozen backbone once per image (x feature_views) instead of every epoch.

Figures are printed (and saved as JSON by helpers.runtime.record_result), never asserted: timings on a shared
machine vary, so this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType

import torch
import torchvision
from torch import nn
from torch.utils.data import DataLoader, Subset
from torchvision import transforms
from torchvision.datasets.folder import IMG_EXTENSIONS

from helpers import training
from helpers.constants import CLASS_NAMES, IMAGENET_MEAN, IMAGENET_STD
from helpers.data import (
    CourseData,
    DataLayoutError,
    DataSource,
    Layout,
    canonical_label,
    find_data,
    find_layout,
    list_files,
    load_course_data,
)
from helpers.models import build_model
from helpers.runtime import describe_environment, display_path, pick_device, record_result
from helpers.weights import WeightsUnavailableError

DEFAULT_IMAGES = 400  # the seed-style VGG16 loop runs at a few images/s on a 2-core CPU: 400 keeps it minutes
SEED_BATCH_SIZE = 20
MIN_IMAGES = 2 * SEED_BATCH_SIZE + 2  # the seed-style loop needs a warm-up batch and one timed batch
BASELINE_BATCHES = {"transfer": 5, "cnn": 0}  # 0: the rest of one full epoch (after the warm-up batch)
VAL_SHARE = 15 / 70  # validation images per training image, as in the course's 70/15/15 split
TEST_PER_CLASS = 2  # a pre-split folder needs a test/ folder, else the course carves test out of train
TARGETS = {"transfer": 10.0, "cnn": 3.0}
CLASS_FOLDERS = {"mask": "with_mask", "no_mask": "without_mask"}
VGG_SIZE, CNN_SIZE = 224, 64  # the seed-style sizes; our rows also run at each recipe's own size


# ----------------------------------------------------------------------------------------------- results
@dataclass
class Measurement:
    """One row of the table: a training path, its images and epochs, and the seconds they cost."""

    label: str
    group: str  # "transfer" or "cnn": which baseline and target the row is compared with
    baseline: bool
    train_images: int
    epochs: int
    seconds: float  # the whole training run (baseline: extrapolated from what was measured)
    feature_seconds: float | None = None  # one-off frozen-backbone pass inside fit (part of seconds)
    scan_seconds: float | None = None  # first scan of the files into the cache (not part of seconds)
    cache_seconds: float | None = None  # the same load again, from the cache (what later runs pay)
    measured: str = ""
    details: dict = field(default_factory=dict)
    ratio: float | None = None
    target: float | None = None

    @property
    def images_per_s(self) -> float:
        return self.train_images * self.epochs / self.seconds

    @property
    def images_per_s_with_scan(self) -> float:
        return self.train_images * self.epochs / (self.seconds + (self.scan_seconds or 0.0))

    @property
    def met(self) -> bool | None:
        return None if self.ratio is None or self.target is None else self.ratio >= self.target

    def as_dict(self) -> dict:
        rounded = {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}
        with_scan = self.images_per_s_with_scan if self.scan_seconds is not None else None
        return {
            **rounded,
            "images_per_s": round(self.images_per_s, 2),
            "images_per_s_with_scan": None if with_scan is None else round(with_scan, 2),
            "met": self.met,
        }


# ----------------------------------------------------------------------------------------------- helpers
def shown_path(path: Path) -> str:
    """display_path, or a path relative to the working folder: never this machine's absolute path."""
    shown = display_path(path)
    if not Path(shown).is_absolute():
        return shown
    try:
        return Path(os.path.relpath(path)).as_posix()
    except ValueError:  # another drive on Windows
        return Path(path).name


def log(message: str) -> None:
    """Progress on stderr, so stdout holds only the report."""
    print(message, file=sys.stderr, flush=True)


@contextlib.contextmanager
def quiet() -> Iterator[io.StringIO]:
    """fit() prints a line per epoch and the frozen-layer pass draws progress bars: hide them, but show
    them if something fails."""
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            yield buffer
    except BaseException:
        sys.stderr.write(buffer.getvalue())
        raise


@contextlib.contextmanager
def private_work_dir(folder: Path) -> Iterator[None]:
    """Scan caches go to a throwaway folder: the user's cache keeps only its 6 newest scans, and benchmark
    scans (three image sizes) would push the real dataset's scan out."""
    previous = os.environ.get("MASK_WORK_DIR")
    os.environ["MASK_WORK_DIR"] = str(folder)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("MASK_WORK_DIR", None)
        else:
            os.environ["MASK_WORK_DIR"] = previous


@dataclass
class CallTimer:
    """Seconds spent in one function of a module while installed (e.g. feature extraction inside fit)."""

    seconds: float = 0.0
    calls: int = 0

    def report(self) -> float | None:
        return round(self.seconds, 2) if self.calls else None


@contextlib.contextmanager
def timing(module: ModuleType, name: str) -> Iterator[CallTimer]:
    """Wrap module.name with a timer, for the breakdown only; a missing function just reports nothing."""
    timer = CallTimer()
    original = getattr(module, name, None)
    if original is None:
        yield timer
        return

    def timed(*args: object, **kwargs: object) -> object:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            timer.seconds += time.perf_counter() - start
            timer.calls += 1

    setattr(module, name, timed)
    try:
        yield timer
    finally:
        setattr(module, name, original)


# ----------------------------------------------------------------------------------------------- the images
@dataclass
class ChosenFiles:
    """The chosen files: a pre-split copy (links) for load_course_data, and where each link points."""

    root: Path
    sources: dict[Path, Path]  # link -> original file
    counts: dict[str, dict[str, int]]


def evenly_spaced(paths: list[Path], count: int) -> list[Path]:
    """count files spread over a sorted list (every k-th): the same files on every run, from all of it."""
    if count >= len(paths):
        return list(paths)
    return [paths[i * len(paths) // count] for i in range(count)]


def candidate_pools(layout: Layout) -> dict[str, dict[str, list[Path]]]:
    """Image files ImageFolder would list, per split (flat data: all under train) and class, sorted."""
    entries, _junk = list_files(layout)
    pools: dict[str, dict[str, list[Path]]] = defaultdict(lambda: defaultdict(list))
    for entry in entries:
        if entry.path.suffix.lower() in IMG_EXTENSIONS:
            pools[entry.split or "train"][entry.label].append(entry.path)
    return {split: {label: sorted(paths) for label, paths in by.items()} for split, by in pools.items()}


def choose_files(layout: Layout, images: int) -> dict[str, dict[str, list[Path]]]:
    """A class-balanced training subset of `images` files, plus validation (course proportion) and a
    token test set: from the dataset's own val/test folders, or from the training files not chosen."""
    pools = candidate_pools(layout)
    train = pools.get("train", {})
    val_per_class = max(2, round(images / 2 * VAL_SHARE))
    reserve = sum(n for split, n in (("val", val_per_class), ("test", TEST_PER_CLASS)) if split not in pools)
    available = min(len(train.get(label, [])) for label in CLASS_NAMES) - reserve
    per_class = min(images // 2, available)
    if 2 * per_class < MIN_IMAGES:
        raise SystemExit(f"error: too few images per class in {shown_path(layout.root)} for a benchmark")
    chosen: dict[str, dict[str, list[Path]]] = defaultdict(dict)
    for label in CLASS_NAMES:
        chosen["train"][label] = evenly_spaced(train[label], per_class)
        taken = set(chosen["train"][label])
        for split, count in (("val", val_per_class), ("test", TEST_PER_CLASS)):
            rest = [p for p in train[label] if p not in taken]
            chosen[split][label] = evenly_spaced(pools.get(split, {}).get(label, []) or rest, count)
            taken.update(chosen[split][label])
    return chosen


def link_or_copy(source: Path, target: Path) -> None:
    """A symbolic link costs nothing; where links are not allowed (Windows without rights), copy."""
    try:
        target.symlink_to(source.resolve())
    except OSError:
        shutil.copy2(source, target)


def build_subset(layout: Layout, images: int, folder: Path) -> ChosenFiles:
    """Lay the chosen files out as train/ val/ test/ class folders, so load_course_data reads exactly them."""
    sources: dict[Path, Path] = {}
    counts: dict[str, dict[str, int]] = {}
    for split, by_label in choose_files(layout, images).items():
        counts[split] = {label: len(paths) for label, paths in by_label.items()}
        for label, paths in by_label.items():
            target_dir = folder / split / CLASS_FOLDERS[label]
            target_dir.mkdir(parents=True, exist_ok=True)
            for i, source in enumerate(paths):
                target = target_dir / f"{i:05d}_{source.name}"
                link_or_copy(source, target)
                sources[target] = source
    return ChosenFiles(folder, sources, counts)


# ----------------------------------------------------------------------------------------------- seed-style
def seed_dataset(layout: Layout, files: list[Path], transform: Callable) -> Subset:
    """ImageFolder on the dataset's class folders (decodes each JPEG on every access), cut down with Subset
    to exactly the files our side trains on; labels mapped to CLASS_NAMES by folder name."""
    folder = torchvision.datasets.ImageFolder(
        layout.class_folder_parent(), transform=transform, allow_empty=True
    )
    index = {name: CLASS_NAMES.index(canonical_label(name) or CLASS_NAMES[0]) for name in folder.classes}
    to_course = {i: index[name] for i, name in enumerate(folder.classes)}
    folder.target_transform = to_course.__getitem__
    wanted = {path.resolve() for path in files}
    indices = [i for i, (path, _) in enumerate(folder.samples) if Path(path).resolve() in wanted]
    if len(indices) != len(wanted):
        raise RuntimeError(f"ImageFolder lists {len(indices)} of the {len(wanted)} chosen files")
    return Subset(folder, indices)


def time_seed_loop(
    model: nn.Module,
    dataset: Subset,
    optimizer: torch.optim.Optimizer,
    batches: int,
    device: torch.device,
) -> tuple[int, float, str]:
    """The tutorial loop, timed after one warm-up batch: (images timed, seconds, what was measured).

    batches=0 times the rest of one full epoch. Data loading is inside the timing, as it is in the loop.
    """
    loader = DataLoader(dataset, batch_size=SEED_BATCH_SIZE, shuffle=True, num_workers=0)
    loss_fn = nn.CrossEntropyLoss()
    model.to(device).train()

    def step(images: torch.Tensor, labels: torch.Tensor) -> None:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(images), labels)
        loss.backward()
        optimizer.step()
        loss.item()  # tutorials print or accumulate the running loss

    batches_per_epoch = len(loader)
    iterator = iter(loader)
    step(*next(iterator))
    wanted = batches_per_epoch - 1 if batches <= 0 else min(batches, batches_per_epoch - 1)
    seen, start = 0, time.perf_counter()
    for _ in range(wanted):
        images, labels = next(iterator)
        step(images, labels)
        seen += len(labels)
    seconds = time.perf_counter() - start
    whole = "the rest of one epoch" if wanted == batches_per_epoch - 1 else f"{wanted} batches"
    measured = (
        f"timed {whole} ({seen} images, batch {SEED_BATCH_SIZE}) after 1 untimed warm-up batch;\n"
        "  seconds per image x images x epochs (each epoch decodes and transforms every image again)"
    )
    return seen, seconds, measured


def seed_vgg16() -> tuple[nn.Module, torch.optim.Optimizer]:
    """The classic transfer recipe. Random weights: VGG16's ImageNet file cannot be downloaded here, and
    speed does not depend on the weight values."""
    model = torchvision.models.vgg16(weights=None)
    for parameter in model.features.parameters():
        parameter.requires_grad = False
    model.classifier[6] = nn.Linear(4096, len(CLASS_NAMES))
    return model, torch.optim.SGD(model.classifier.parameters(), lr=1e-3, momentum=0.9)


def seed_vgg16_transform() -> transforms.Compose:
    return transforms.Compose(
        [
            transforms.RandomResizedCrop(VGG_SIZE),
            transforms.RandomHorizontalFlip(),
            transforms.ToTensor(),
            transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
        ]
    )


def seed_cnn_transform() -> transforms.Compose:
    return transforms.Compose(
        [
            transforms.Resize((CNN_SIZE, CNN_SIZE)),
            transforms.RandomHorizontalFlip(),
            transforms.ToTensor(),
            transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
        ]
    )


def measure_seed(
    label: str,
    group: str,
    model_and_optimizer: tuple[nn.Module, torch.optim.Optimizer],
    dataset: Subset,
    batches: int,
    epochs: int,
    device: torch.device,
) -> Measurement:
    """Per-image cost of the seed-style loop, scaled to the same images x epochs as ours."""
    model, optimizer = model_and_optimizer
    log(f"... {label}")
    seen, seconds, measured = time_seed_loop(model, dataset, optimizer, batches, device)
    per_image = seconds / seen
    return Measurement(
        label=label,
        group=group,
        baseline=True,
        train_images=len(dataset),
        epochs=epochs,
        seconds=per_image * len(dataset) * epochs,
        measured=measured,
        details={"timed_images": seen, "timed_seconds": round(seconds, 2)},
    )


# ----------------------------------------------------------------------------------------------- ours
def load_timed(source: DataSource, image_size: int) -> tuple[CourseData, float, float]:
    """load_course_data twice: the first scan decodes the files, the second is what every later run pays."""
    start = time.perf_counter()
    with quiet():
        load_course_data(source, image_size=image_size, quick=False)
    scan = time.perf_counter() - start
    start = time.perf_counter()
    data = load_course_data(source, image_size=image_size, quick=False)
    return data, scan, time.perf_counter() - start


def measure_fit(
    label: str,
    group: str,
    model: nn.Module,
    source: DataSource,
    backbone: str,
    image_size: int,
    epochs: int | None,
    checkpoints: Path,
    device: torch.device,
) -> tuple[Measurement, CourseData]:
    """fit() with the backbone's recipe at image_size; every epoch runs (patience = epochs)."""
    log(f"... {label}")
    data, scan, cache = load_timed(source, image_size)
    planned = epochs or training.recipe(backbone).config.epochs
    plan = training.recipe(backbone, image_size=image_size, epochs=planned, patience=planned)
    checkpoint = checkpoints / f"{backbone}-{image_size}.pt"
    start = time.perf_counter()
    with (
        quiet(),
        timing(training, "_frozen_outputs") as features,
        timing(training, "atomic_save") as saves,
    ):
        result = training.fit(model, data, plan.config, checkpoint, device=device, progress=False)
    seconds = time.perf_counter() - start
    shutil.rmtree(checkpoints, ignore_errors=True)  # keep disk use low between rows
    in_epochs = sum(row["seconds"] for row in result.history)
    train_images = len(data.splits["train"].labels)
    measured = f"fit() wall time, with validation on {len(data.splits['val'].labels)} images every epoch"
    details = {
        "weights": model.weights,
        "recipe": asdict(plan.config),
        "checkpoint_save_seconds": saves.report(),
        "outside_epochs_seconds": round(seconds - in_epochs, 2),
        "epoch_seconds_mean": round(in_epochs / max(1, len(result.history)), 2),
        "val_images": len(data.splits["val"].labels),
    }
    row = Measurement(
        label=label,
        group=group,
        baseline=False,
        train_images=train_images,
        epochs=len(result.history),
        seconds=seconds,
        feature_seconds=features.report(),
        scan_seconds=scan,
        cache_seconds=cache,
        measured=measured,
        details=details,
    )
    return row, data


def mobilenet_model() -> tuple[nn.Module, str]:
    """The course's CPU path with its real ImageNet weights (offline pip package) if installed."""
    try:
        with quiet():
            return build_model("mobilenet_v2"), "ImageNet weights"
    except WeightsUnavailableError:
        return build_model("mobilenet_v2", pretrained=False), "random init, weights unavailable: speed only"


def vgg16_model() -> nn.Module:
    """Random-init VGG16 with frozen features: the same compute as the ImageNet model, so speed is fair."""
    return build_model("vgg16", pretrained=False)


# ----------------------------------------------------------------------------------------------- paths
@dataclass
class Setup:
    """What every path shares: the dataset, the chosen files, the settings and where checkpoints go."""

    source: DataSource
    layout: Layout
    subset: ChosenFiles
    epochs: int | None
    baseline_batches: int | None
    checkpoints: Path
    device: torch.device

    def batches(self, group: str) -> int:
        return BASELINE_BATCHES[group] if self.baseline_batches is None else self.baseline_batches

    def subset_source(self) -> DataSource:
        origin = f"a benchmark subset of {shown_path(self.source.root)}"
        return DataSource(self.subset.root, origin, self.source.synthetic)

    def originals(self, data: CourseData) -> list[Path]:
        return [self.subset.sources[Path(path)] for path in data.splits["train"].paths]


def run_transfer(setup: Setup) -> list[Measurement]:
    """(a) same backbone: VGG16 frozen at 224 px, seed-style vs fit; (a2) VGG16 with the course's recipe
    (its CPU image size); (b) the course's CPU path, MobileNetV2 with its recipe."""
    source = setup.subset_source()
    ours_vgg, data = measure_fit(
        "ours (a) VGG16 frozen, random init, 224 px, fit",
        "transfer",
        vgg16_model(),
        source,
        "vgg16",
        VGG_SIZE,
        setup.epochs,
        setup.checkpoints,
        setup.device,
    )
    dataset = seed_dataset(setup.layout, setup.originals(data), seed_vgg16_transform())
    seed = measure_seed(
        "seed-style VGG16 frozen, random init, 224 px",
        "transfer",
        seed_vgg16(),
        dataset,
        setup.batches("transfer"),
        ours_vgg.epochs,
        setup.device,
    )
    vgg_size = training.recipe("vgg16").image_size
    ours_vgg_recipe, _ = measure_fit(
        f"ours (a2) VGG16 frozen, random init, {vgg_size} px (recipe), fit",
        "transfer",
        vgg16_model(),
        source,
        "vgg16",
        vgg_size,
        setup.epochs,
        setup.checkpoints,
        setup.device,
    )
    model, weights = mobilenet_model()
    mobile_size = training.recipe("mobilenet_v2").image_size
    ours_mobile, _ = measure_fit(
        f"ours (b) MobileNetV2 frozen, {weights}, {mobile_size} px (recipe), fit",
        "transfer",
        model,
        source,
        "mobilenet_v2",
        mobile_size,
        setup.epochs,
        setup.checkpoints,
        setup.device,
    )
    return [seed, ours_vgg, ours_vgg_recipe, ours_mobile]


def run_cnn(setup: Setup) -> list[Measurement]:
    """The same SmallCNN at 64 px: seed-style vs fit, so the ratio measures the pipeline, not the model."""
    ours, data = measure_fit(
        "ours SmallCNN 64 px, fit",
        "cnn",
        build_model("cnn", pretrained=False),
        setup.subset_source(),
        "cnn",
        CNN_SIZE,
        setup.epochs,
        setup.checkpoints,
        setup.device,
    )
    dataset = seed_dataset(setup.layout, setup.originals(data), seed_cnn_transform())
    model = build_model("cnn", pretrained=False)
    seed = measure_seed(
        "seed-style SmallCNN 64 px",
        "cnn",
        (model, torch.optim.Adam(model.parameters(), lr=1e-3)),
        dataset,
        setup.batches("cnn"),
        ours.epochs,
        setup.device,
    )
    return [seed, ours]


def add_ratios(rows: list[Measurement]) -> None:
    """Each of our rows against its group's seed-style row (images/s over images/s)."""
    baselines = {row.group: row for row in rows if row.baseline}
    for row in rows:
        if not row.baseline and row.group in baselines:
            row.ratio = row.images_per_s / baselines[row.group].images_per_s
            row.target = TARGETS[row.group]


# ----------------------------------------------------------------------------------------------- report
def header(source: DataSource, subset: ChosenFiles, device: torch.device) -> list[str]:
    env = describe_environment()
    kind = "SYNTHETIC demo data (drawn faces, not real people)" if source.synthetic else "real images"
    counts = "; ".join(
        f"{split} {sum(by_label.values())} ({', '.join(f'{n} {label}' for label, n in by_label.items())})"
        for split, by_label in subset.counts.items()
    )
    return [
        "Training speed: seed-style loop vs helpers.training.fit (same images, one run)",
        "  "
        + ", ".join(f"{k} {env[k]}" for k in ("device", "cpu_threads", "torch", "torchvision", "python")),
        f"  platform {env['platform']}; training device {device}",
        f"  Data: {shown_path(source.root)} — {kind}; chosen from {source.origin}",
        f"  Subset (every k-th sorted file per class): {counts}",
    ]


def cell(value: float | None, width: int, suffix: str = "") -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width - len(suffix)}.1f}{suffix}"


def table(rows: list[Measurement]) -> list[str]:
    """One line per path; one-off costs (scan, features) in their own columns, ratios against the seed."""
    columns = f"{'path':<58} {'images':>6} {'epochs':>6} {'scan s':>7} {'features s':>10} {'total s':>8}"
    columns += f" {'img/s':>7} {'+scan':>7} {'ratio':>7} {'target':>7} {'met':>4}"
    lines = [columns, "-" * len(columns)]
    for row in rows:
        target = f">={row.target:.0f}x" if row.target is not None else "-"
        met = {True: "yes", False: "no", None: "-"}[row.met]
        with_scan = row.images_per_s_with_scan if row.scan_seconds is not None else None
        lines.append(
            f"{row.label:<58} {row.train_images:>6} {row.epochs:>6} {cell(row.scan_seconds, 7)} "
            f"{cell(row.feature_seconds, 10)} {cell(row.seconds, 8, '*' if row.baseline else '')} "
            f"{cell(row.images_per_s, 7)} {cell(with_scan, 7)} {cell(row.ratio, 7, 'x')} {target:>7} {met:>4}"
        )
    return lines


def notes(rows: list[Measurement]) -> list[str]:
    """What the figures mean and what leans which way, then each row's breakdown."""
    groups = {row.group for row in rows}
    lines = [
        "img/s = training images x epochs / seconds of the whole training run (ours: fit() wall time,",
        "  with its one-off feature extraction, per-epoch validation and checkpoint saves; not the scan,",
        "  which is cached across runs). '+scan' also counts the first (uncached) scan. * = extrapolated.",
        "The seed-style loop validates nothing, saves nothing and has its warm-up batch untimed; ours does",
        "  all of that inside its time: the ratios lean against ours.",
    ]
    if "transfer" in groups:
        lines += [
            "VGG16 rows use random weights: its ImageNet file is not downloadable here (no internet), and",
            "  speed does not depend on the weight values.",
            "Ours (a2) and (b) are compared with the seed-style VGG16 at 224 px: (a2) runs the course's",
            "  VGG16 recipe at its CPU image size, (b) another backbone (the course's CPU path): their",
            "  ratios include those choices. (a) is the pipeline alone: same model, same size.",
        ]
    for row in rows:
        lines.append(f"{row.label}:")
        if row.baseline:
            lines.append(f"  {row.measured}.")
            continue
        detail = row.details
        features = (
            f"features {row.feature_seconds:.1f} s (feature_views {detail['recipe']['feature_views']}); "
            if row.feature_seconds is not None
            else ""
        )
        lines += [
            f"  {row.measured}; weights: {detail['weights']}",
            f"  scan {row.scan_seconds:.1f} s (cached reload {row.cache_seconds:.1f} s); {features}"
            f"checkpoint saves {detail['checkpoint_save_seconds'] or 0:.1f} s; "
            f"{detail['epoch_seconds_mean']:.2f} s per epoch (train + validate)",
        ]
    return lines


# ----------------------------------------------------------------------------------------------- main
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="dataset folder (default: MASK_DATA_DIR, Kaggle input, data/, demo)")
    parser.add_argument(
        "--images",
        type=int,
        default=DEFAULT_IMAGES,
        help=f"training images, both sides (default {DEFAULT_IMAGES})",
    )
    parser.add_argument("--epochs", type=int, help="epochs for ours (default: each backbone's recipe)")
    parser.add_argument(
        "--baseline-batches",
        type=int,
        help="seed-style batches timed per path, 0 = one full epoch (default: transfer 5, cnn 0)",
    )
    parser.add_argument("--only", choices=("cnn", "transfer"), help="run one path only")
    args = parser.parse_args(argv)
    if args.images < MIN_IMAGES or (args.epochs is not None and args.epochs < 1):
        parser.error(f"--images must be at least {MIN_IMAGES} and --epochs at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        source = find_data(args.data)  # the demo data, if used, lives in the user's work dir as usual
        layout = find_layout(source.root)
    except DataLayoutError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    device = pick_device()
    with tempfile.TemporaryDirectory(prefix="mask-train-speed-") as tmp:
        folder = Path(tmp)
        subset = build_subset(layout, args.images, folder / "data")
        setup = Setup(
            source, layout, subset, args.epochs, args.baseline_batches, folder / "checkpoints", device
        )
        for line in header(source, subset, device):
            print(line, flush=True)
        rows: list[Measurement] = []
        with private_work_dir(folder / "work"):
            if args.only in (None, "transfer"):
                rows += run_transfer(setup)
            if args.only in (None, "cnn"):
                rows += run_cnn(setup)
    add_ratios(rows)
    print()
    print("\n".join(table(rows)))
    print()
    print("\n".join(notes(rows)))
    saved = record_result(
        "benchmark_train_speed",
        {
            "header": header(source, subset, device),
            "settings": {**vars(args), "data": shown_path(source.root)},
            "rows": [row.as_dict() for row in rows],
            "scan_cache": "temporary folder (deleted); demo data and this file in the usual work dir",
        },
    )
    print(f"Saved {shown_path(saved)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
