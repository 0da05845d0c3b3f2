"""Lessons 02-04's training loop (kept identical) and fit(): it, with checkpoints and an exact resume."""

import hashlib
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path
from typing import NamedTuple

import torch
from torch import nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR, LRScheduler
from torch.utils.data import ConcatDataset, DataLoader, TensorDataset
from torchvision.transforms import v2

from helpers.checkpoints import CheckpointError, read_checkpoint, resume_path, save_checkpoint
from helpers.constants import SPLITS
from helpers.data import CourseData, SplitData
from helpers.loaders import (
    AugmentOnDevice,
    FaceDataset,
    balanced_sampler,
    batch_augmentation,
    class_weights,
    eval_batches,
)
from helpers.preprocess import AUGMENTATION, Augmentation, eval_transform, small_faces, train_transform
from helpers.runtime import display_path, pick_device, seed_everything, work_dir
from helpers.runtime import progress as progress_bar

BALANCE_CHOICES = ("weights", "sampler", "none")
FEATURE_CACHE_BYTES = 1_500_000_000  # cap on stored frozen-layer outputs (float32): fewer views above it


# Kept identical in notebooks/02_cnn_from_scratch.ipynb (the lesson writes it).
def train_step(
    model: nn.Module, images: torch.Tensor, labels: torch.Tensor, loss_fn: nn.Module, optimizer: Optimizer
) -> tuple[torch.Tensor, torch.Tensor]:
    """One update of every weight; returns the batch's scores (logits) and its loss."""
    logits = model(images)  # forward: two scores per image
    loss = loss_fn(logits, labels)  # how wrong they are, averaged over the batch
    optimizer.zero_grad()  # gradients add up in PyTorch: clear the last batch's
    loss.backward()  # backward: how the loss changes with every weight
    optimizer.step()  # every weight takes a small step downhill
    return logits, loss


# Kept identical in notebooks/02_cnn_from_scratch.ipynb (the lesson writes it).
def train_one_epoch(
    model: nn.Module, batches: Iterable, loss_fn: nn.Module, optimizer: Optimizer
) -> tuple[float, float]:
    """One pass over the training batches, learning from each; returns the mean loss and the accuracy."""
    model.train()  # dropout on; BatchNorm normalises with each batch's own statistics
    device = next(model.parameters()).device
    total_loss, correct, seen = 0.0, 0, 0
    for images, labels in batches:
        images, labels = images.to(device), labels.to(device)
        logits, loss = train_step(model, images, labels, loss_fn, optimizer)
        total_loss += loss.item() * len(labels)
        correct += (logits.argmax(dim=1) == labels).sum().item()
        seen += len(labels)
    return total_loss / seen, correct / seen


# Kept identical in notebooks/02_cnn_from_scratch.ipynb (the lesson writes it).
@torch.inference_mode()
def run_model(model: nn.Module, batches: Iterable) -> tuple[torch.Tensor, torch.Tensor]:
    """Every batch through the model without learning: its outputs and the true labels, on the CPU."""
    model.eval()  # dropout off; BatchNorm uses the statistics it collected in training
    device = next(model.parameters()).device
    outputs, targets = [], []
    for images, labels in batches:
        outputs.append(model(images.to(device)).float().cpu())
        targets.append(labels.cpu())
    return torch.cat(outputs), torch.cat(targets)


# Kept identical in notebooks/02_cnn_from_scratch.ipynb (the lesson writes it).
def validate(model: nn.Module, batches: Iterable) -> tuple[float, float]:
    """Loss and accuracy on images the model never learns from: does it learn masks or memorise faces?"""
    logits, labels = run_model(model, batches)
    loss = nn.functional.cross_entropy(logits, labels).item()
    accuracy = (logits.argmax(dim=1) == labels).float().mean().item()
    return loss, accuracy


# Kept identical in notebooks/03_transfer_learning_vgg16.ipynb (the lesson writes it).
def frozen_features(backbone: nn.Module, split: SplitData, transforms: list[Callable]) -> TensorDataset:
    """The frozen backbone's output for every image, once per transform: it never changes, so it runs once."""
    outputs = []
    for transform in transforms:
        loader = DataLoader(FaceDataset(split.images, split.labels, transform), batch_size=16)
        features, labels = run_model(backbone, loader)  # lesson 02: eval mode, no gradients
        outputs.append(features)
    return TensorDataset(torch.cat(outputs), labels.repeat(len(transforms)))


# Kept identical in notebooks/04_training_and_validation.ipynb (the lesson writes it).
def warmup_cosine(epoch: int, epochs: int, warmup: int = 1) -> float:
    """Learning-rate factor for an epoch: a short warm-up, then a cosine decay to 1 % for careful steps."""
    if epoch < warmup:
        return (epoch + 1) / (warmup + 1)
    progress = (epoch - warmup) / max(1, epochs - warmup)
    return 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


# Kept identical in notebooks/04_training_and_validation.ipynb (the lesson writes it).
def validation_score(row: dict) -> tuple[float, float]:
    """How epochs and models rank: validation accuracy, then lower validation loss; never the test set."""
    return (row["val_accuracy"], -row["val_loss"])


# Kept identical in notebooks/04_training_and_validation.ipynb (the lesson writes it).
def best_row(history: list[dict]) -> dict:
    """The epoch worth keeping; on an exact tie the earlier one."""
    return max(history, key=validation_score)


# Kept identical in notebooks/04_training_and_validation.ipynb (the lesson writes it).
def should_stop(history: list[dict], patience: int) -> bool:
    """Early stopping: `patience` epochs in a row without a better validation score."""
    return bool(history) and history[-1]["epoch"] - best_row(history)["epoch"] >= patience


# Kept identical in notebooks/04_training_and_validation.ipynb (the lesson writes it).
def run_epoch(
    model: nn.Module, batches: dict, loss_fn: nn.Module, optimizer: Optimizer, scheduler: LRScheduler
) -> dict[str, float]:
    """Learn from every training batch, then measure on the validation batches."""
    lr = optimizer.param_groups[0]["lr"]
    train_loss, train_accuracy = train_one_epoch(model, batches["train"], loss_fn, optimizer)
    scheduler.step()  # the learning rate for the next epoch
    val_loss, val_accuracy = validate(model, batches["val"])
    return {
        "train_loss": train_loss,
        "train_accuracy": train_accuracy,
        "val_loss": val_loss,
        "val_accuracy": val_accuracy,
        "lr": lr,
    }


# Kept identical in notebooks/04_training_and_validation.ipynb (the lesson writes it).
def train_epochs(
    one_epoch: Callable[[], dict], epochs: int, patience: int, on_epoch: Callable, history: list | None = None
) -> list[dict]:
    """Epochs until `epochs` or early stopping; on_epoch(history) saves; a resumed run passes its history."""
    history = list(history or [])
    while len(history) < epochs and not should_stop(history, patience):
        history.append({"epoch": len(history) + 1, **one_epoch()})
        on_epoch(history)
    return history


def as_list(data: CourseData | Sequence[CourseData]) -> list[CourseData]:
    """One dataset, or several trained together: they must share the image size and class list."""
    parts = list(data) if isinstance(data, list | tuple) else [data]
    if len(kinds := {(part.image_size, part.class_names) for part in parts}) != 1:
        got = f"got (image size, classes) {sorted(kinds)}"
        raise ValueError(f"data: expected one dataset, or several with one image size and class list; {got}")
    return parts


def data_fingerprint(data: CourseData | Sequence[CourseData]) -> str:
    """Same files and split -> same fingerprint, at any image size: tells which checkpoints fit this data."""
    text = "\n--\n".join(
        str(part.source.root.resolve())
        + "".join(f"{split}|{Path(p).name}\n" for split in SPLITS for p in part.splits[split].paths)
        for part in as_list(data)
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def data_facts(data: CourseData | Sequence[CourseData]) -> dict:
    """What a checkpoint records about the data it learned from (save_checkpoint's `data`)."""
    parts = as_list(data)
    return {
        "description": "; ".join(part.source.describe() for part in parts),
        "synthetic": all(part.source.synthetic for part in parts),
        "quick": any("Quick mode" in note for part in parts for note in part.report.notes),
        "fingerprint": data_fingerprint(parts),
        "counts": {split: sum(len(part.splits[split].labels) for part in parts) for split in SPLITS},
        "image_size": parts[0].image_size,
    }


@dataclass
class TrainConfig:
    """Everything that decides a training run; saved in every checkpoint so a result can be reproduced."""

    epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 1e-4
    patience: int = 5  # early stopping: epochs without a better validation score before giving up
    augment: bool = True
    augmentation: Augmentation = AUGMENTATION  # lesson 01's ranges
    batch_augment: bool = True  # lesson 04's batch_augmentation on the device, or lesson 01's per image
    balance: str = "weights"  # class weights in the loss, lesson 09's balanced_sampler, or none
    feature_views: int = 4  # frozen layers: the plain image + augmented copies whose outputs are stored once
    degrade: float = 0.0  # share of training images made to look like small crowd faces (small_faces)
    warmup_epochs: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        def _within(low: float, high: float = math.inf, kinds: type | tuple = (int, float)) -> Callable:
            return lambda v: isinstance(v, kinds) and not isinstance(v, bool) and low <= v <= high

        one, zero = ((_within(low, kinds=int), f"a whole number of at least {low}") for low in (1, 0))
        rules = {  # field: (check, what is allowed)
            **dict.fromkeys(("epochs", "batch_size", "patience", "feature_views"), one),
            **dict.fromkeys(("warmup_epochs", "seed"), zero),
            **dict.fromkeys(("augment", "batch_augment"), (lambda v: isinstance(v, bool), "True or False")),
            "lr": (lambda v: _within(0, 10)(v) and v > 0, "a number between 0 and 10"),
            "weight_decay": (_within(0), "a number of at least 0"),
            "degrade": (_within(0, 1), "a share from 0 to 1"),
            "balance": (lambda v: v in BALANCE_CHOICES, f"one of {list(BALANCE_CHOICES)}"),
        }
        for name, (allowed, expected) in rules.items():
            if not allowed(getattr(self, name)):
                raise ValueError(f"{name}={getattr(self, name)!r}: expected {expected}")


class FitResult(NamedTuple):
    """What a run produced: every epoch's row, the best one, its checkpoint, the seconds and the notes."""

    history: list[dict]
    best: dict
    checkpoint: Path
    seconds: float
    notes: list[str]


def split_frozen(model: nn.Module) -> tuple[nn.Sequential, nn.Sequential]:
    """The frozen layers at the start of model.features (perhaps none) and the layers that learn."""
    layers = list(model.features)
    learns = [any(p.requires_grad for p in layer.parameters()) for layer in layers]
    first = learns.index(True) if any(learns) else len(layers)
    return nn.Sequential(*layers[:first]), nn.Sequential(*layers[first:], model.head)


def _batches(frozen, parts: list[CourseData], config: TrainConfig, device, shuffle: torch.Generator) -> dict:
    """Lesson 01's datasets, augmented on the device (lesson 04) or per image; frozen: lesson 03 features."""
    size, views = parts[0].image_size, 1
    on_device = not frozen and config.augment and config.batch_augment
    degrade = config.augment and config.degrade > 0  # lesson 09's small-face views
    steps: list[Callable] = [small_faces(config.degrade, size)] if degrade else []
    if not on_device:
        steps.append(train_transform(size, config.augmentation) if config.augment else eval_transform(size))
    transform = v2.Compose(steps) if steps else None
    trains, vals = ([p.splits[s] for p in parts if len(p.splits[s].labels)] for s in ("train", "val"))
    if not frozen:  # no frozen layers
        sets = [FaceDataset(split.images, split.labels, transform) for split in trains]
        val = eval_batches(torch.cat([s.images for s in vals]), torch.cat([s.labels for s in vals]))
    else:
        images = sum(len(split.labels) for split in trains)
        with torch.inference_mode():
            per_view = frozen.eval()(torch.zeros(1, 3, size, size, device=device)).numel() * 4 * images
        views = min(config.feature_views if config.augment else 1, max(1, FEATURE_CACHE_BYTES // per_view))
        kind = "plain + augmented views" if views > 1 else "plain views"
        print(f"Frozen layers: one pass over {images} training images x {views} view(s) ({kind})")
        plain = [eval_transform(size)]
        sets = [frozen_features(frozen, split, plain + [transform] * (views - 1)) for split in trains]
        val = DataLoader(ConcatDataset([frozen_features(frozen, split, plain) for split in vals]), 256)
    labels = [split.labels.repeat(views) for split in trains]  # frozen_features repeats them once per view
    sampler = balanced_sampler(labels, shuffle) if config.balance == "sampler" else None
    train = DataLoader(ConcatDataset(sets), config.batch_size, sampler is None, sampler, generator=shuffle)
    if on_device:
        train = AugmentOnDevice(train, batch_augmentation(size, config.augmentation).to(device), device)
    return {"train": train, "val": val}


def _read_resume(path: Path, model: nn.Module, facts: dict) -> dict:
    """The resume state, checked against this run: same backbone, image size, trainable layers and data."""
    state = read_checkpoint(path)
    learns = [name for name, p in model.named_parameters() if p.requires_grad]
    here = {"backbone": model.backbone, "image_size": facts["image_size"], "trainable": learns}
    wrong = [f"{k}={state[k]!r}, this run has {v!r}" for k, v in here.items() if state[k] != v]
    if wrong or state["data"]["fingerprint"] != facts["fingerprint"] or "optimizer" not in state:
        why = f"saved for {wrong[0]}" if wrong else "saved by a run on other data (or not by fit())"
        raise CheckpointError(f"{path}: {why}: start a fresh run")
    return state


def default_checkpoint(name: str) -> Path:
    return work_dir() / "checkpoints" / f"{name}.pt"


def fit(
    model: nn.Module,
    data: CourseData | Sequence[CourseData],
    config: TrainConfig | None = None,
    checkpoint: str | Path | None = None,
    resume: bool = False,
    device: torch.device | None = None,
    progress: bool = True,
) -> FitResult:
    """Lesson 04's train_epochs on one dataset or several, with the best checkpoint (a fresh run keeps the
    last as <name>.previous.pt) and a resume file: resume=True continues <checkpoint>.resume.pt exactly."""
    if not all(hasattr(model, name) for name in ("backbone", "weights", "class_names", "head")):
        name = type(model).__name__
        raise ValueError(f"fit() got a {name} without the labels of build_model('cnn', pretrained=False)")
    parts, config, device = as_list(data), config or TrainConfig(), device or pick_device()
    if len(model.class_names) != len(classes := parts[0].class_names):
        raise ValueError(f"the model answers {len(model.class_names)} classes, the data has {list(classes)}")
    checkpoint, facts = Path(checkpoint or default_checkpoint(model.backbone)), data_facts(parts)
    saved, settings, start, state = resume_path(checkpoint), asdict(config), time.perf_counter(), None
    seed_everything(config.seed)
    model.to(device, memory_format=torch.channels_last)  # about twice as fast on CPUs, faster on GPUs
    if resume and saved.exists():
        state = _read_resume(saved, model, facts)
        model.load_state_dict(state["model"])
        notes = [f"Resumed after epoch {len(state['history'])} from {display_path(saved)}."]
    else:
        notes = [f"No {display_path(saved)}: a fresh run."] if resume else []
        if checkpoint.exists():  # kept quietly: a message about an earlier run would be stale in this one
            checkpoint.replace(checkpoint.with_name(checkpoint.stem + ".previous" + checkpoint.suffix))
    for note in notes:
        print(note)
    frozen, trainable = split_frozen(model)
    shuffle = torch.Generator()  # the DataLoader's own, seeded as every epoch starts
    batches = _batches(frozen, parts, config, device, shuffle)
    optimizer = torch.optim.AdamW(trainable.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    done = state["history"] if state else []  # the epochs a resumed run has run
    if state is not None:
        optimizer.load_state_dict(state["optimizer"])  # with each group's initial_lr, which LambdaLR reads
    schedule = partial(warmup_cosine, epochs=config.epochs, warmup=config.warmup_epochs)
    scheduler = LambdaLR(optimizer, schedule, last_epoch=len(done) - 1)  # the next epoch's rate, as planned
    labels = torch.cat([part.splits["train"].labels for part in parts])
    weight = class_weights(labels, len(classes)).to(device) if config.balance == "weights" else None
    loss_fn = nn.CrossEntropyLoss(weight=weight)

    def one_epoch() -> dict:
        """Lesson 04's run_epoch, timed, under a progress bar; seeded as lesson 04's SeededEpochs seeds."""
        tick = time.perf_counter()
        bar = progress_bar(batches["train"], desc="epoch", leave=False, disable=not progress)
        seed = config.seed * 100_003 + scheduler.last_epoch + 1  # after the bar: tqdm may open an iterator
        shuffle.manual_seed(seed)  # the order of the images (or the balanced sampler's draw)
        torch.manual_seed(seed)  # augmentation and dropout
        row = run_epoch(trainable, {"train": bar, "val": batches["val"]}, loss_fn, optimizer, scheduler)
        return row | {"seconds": time.perf_counter() - tick}

    def on_epoch(history: list[dict]) -> None:
        """The best checkpoint when the epoch is the best, the resume file, now and then a printed line."""
        row, best = history[-1], best_row(history)
        if best is row:
            save_checkpoint(checkpoint, model, facts, history, config=settings)
        save_checkpoint(saved, model, facts, history, config=settings, optimizer=optimizer.state_dict())
        if row["epoch"] in (1, config.epochs) or row["epoch"] % max(1, round(config.epochs / 8)) == 0:
            print(
                f"epoch {row['epoch']:>3}/{config.epochs}  train loss {row['train_loss']:.4f} acc "
                f"{row['train_accuracy']:6.2%}  val loss {row['val_loss']:.4f} acc {row['val_accuracy']:6.2%}"
                f"  {row['seconds']:4.1f} s  best so far: epoch {best['epoch']}"
            )

    history = train_epochs(one_epoch, config.epochs, config.patience, on_epoch, done)
    best = best_row(history)
    model.load_state_dict(read_checkpoint(checkpoint)["model"])  # back to the best epoch
    save_checkpoint(checkpoint, model, facts, history, config=settings, best=best)  # all the curves
    if len(history) < config.epochs:
        notes.append(f"Stopped early: no better validation score for {config.patience} epochs.")
    model.eval()
    return FitResult(history, best, checkpoint, time.perf_counter() - start, notes)


class Recipe(NamedTuple):  # settings that work for a backbone on a 2-core CPU, for notebooks and the CLI
    image_size: int
    config: TrainConfig


RECIPES: dict[str, Recipe] = {
    # 64 px keeps the mask's edge and the nose (32 px blurs them) at a quarter of 128 px's cost.
    "cnn": Recipe(64, TrainConfig(epochs=25, lr=3e-3, patience=8, warmup_epochs=2)),
    # Only the head trains, on features stored once: an epoch takes under a second, so all 25 run.
    "mobilenet_v2": Recipe(160, TrainConfig(epochs=25, lr=1e-3, patience=25)),
    # VGG16 costs several times MobileNetV2's time per image on a CPU: two views keep the one-off pass short.
    "vgg16": Recipe(128, TrainConfig(epochs=15, lr=1e-3, feature_views=2)),
}


def recipe(backbone: str, **changes: object) -> Recipe:
    """The backbone's recipe, with config fields changed (e.g. epochs=2), checked like any TrainConfig."""
    if backbone not in RECIPES:
        raise ValueError(f"backbone={backbone!r}: expected one of {list(RECIPES)}")
    image_size = changes.pop("image_size", RECIPES[backbone].image_size)
    return Recipe(image_size, replace(RECIPES[backbone].config, **changes))  # type: ignore[arg-type]
