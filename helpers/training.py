"""Training: the loop lessons 02 and 04 write, and fit(), which is that loop packaged.

Lesson 02 writes train_step, train_one_epoch, run_model and validate; lesson 03 frozen_features; lesson
04 warmup_cosine, validation_score, best_row, should_stop, run_epoch and train_epochs. This module keeps
identical copies (a test checks), and fit() calls them with the lessons' data path: lesson 01's FaceDataset
in a DataLoader, augmented by lesson 04's batch_augmentation on the device (or lesson 01's train_transform
per image), several datasets joined with ConcatDataset and balanced by lesson 09's sampler.
What fit() adds is plumbing:
  - frozen layers at the start of the model run once per image (plain + a few augmented views, lesson 03's
    frozen_features), and the epochs train only the rest;
  - every epoch seeds its shuffle, augmentation and dropout from the seed and its number (exact resume);
  - the best checkpoint, a resume file after every epoch, progress bars and a printed line per epoch.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR, LRScheduler
from torch.utils.data import ConcatDataset, DataLoader, Dataset, TensorDataset
from torchvision.transforms import v2

from helpers.checkpoints import (
    CheckpointError,
    as_list,
    atomic_save,
    backup_previous,
    data_fingerprint,
    read_checkpoint,
    resume_path,
    save_checkpoint,
)
from helpers.loaders import (
    AugmentOnDevice,
    FaceDataset,
    SeededEpochs,
    balanced_sampler,
    batch_augmentation,
    class_weights,
    eval_batches,
)
from helpers.preprocess import AUGMENTATION, Augmentation, SmallFace, eval_transform, train_transform
from helpers.runtime import display_path, pick_device, progress, seed_everything, work_dir

if TYPE_CHECKING:  # for type hints only: predicting must not import the data scanner
    from helpers.data import CourseData, SplitData

BALANCE_CHOICES = ("weights", "sampler", "none")
FEATURE_CACHE_BYTES = 1_500_000_000  # cap on stored frozen-layer outputs (float32); fewer views if larger


# ----------------------------------------------------------------------------------------------- lesson 02
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


# ----------------------------------------------------------------------------------------------- lesson 03
# Kept identical in notebooks/03_transfer_learning_vgg16.ipynb (the lesson writes it).
def frozen_features(backbone: nn.Module, split: SplitData, transforms: list[Callable]) -> TensorDataset:
    """The frozen backbone's output for every image, once per transform (the plain image, then augmented
    views): it never changes, so it is computed once and the head trains on the stored numbers."""
    outputs = []
    for transform in transforms:
        loader = DataLoader(FaceDataset(split.images, split.labels, transform), batch_size=16)
        features, labels = run_model(backbone, loader)  # lesson 02: eval mode, no gradients
        outputs.append(features)
    return TensorDataset(torch.cat(outputs), labels.repeat(len(transforms)))


# ----------------------------------------------------------------------------------------------- lesson 04
# Kept identical in notebooks/04_training_and_validation.ipynb (the lesson writes it).
def warmup_cosine(epoch: int, epochs: int, warmup: int = 1) -> float:
    """Learning-rate factor for an epoch: a short warm-up, then a cosine decay to 1 % for careful steps."""
    if epoch < warmup:
        return (epoch + 1) / (warmup + 1)
    progress = (epoch - warmup) / max(1, epochs - warmup)
    return 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


# Kept identical in notebooks/04_training_and_validation.ipynb (the lesson writes it).
def validation_score(row: dict) -> tuple[float, float]:
    """How epochs and models are ranked: validation accuracy, then (a tie is common near 100 %) lower
    validation loss. The test set never takes part."""
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
    """Epoch after epoch until `epochs`, or until early stopping; on_epoch(history) saves checkpoints.
    A resumed run passes the history it had and carries on from there."""
    history = list(history or [])
    while len(history) < epochs and not should_stop(history, patience):
        history.append({"epoch": len(history) + 1, **one_epoch()})
        on_epoch(history)
    return history


# ----------------------------------------------------------------------------------------------- fit
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
    # whole batches on the device (lesson 04's batch_augmentation) or one image at a time (lesson 01's
    # train_transform): the same ranges; batches are faster on a CPU and run on the GPU
    batch_augment: bool = True
    # class weights in the loss, or a sampler drawing every (dataset, class) pair equally often (lesson 09's
    # balanced_sampler; with one dataset, every class), or none
    balance: str = "weights"
    feature_views: int = 4  # frozen layers: the plain image + augmented copies whose outputs are stored once
    degrade: float = 0.0  # share of training images made to look like small crowd faces (SmallFace)
    warmup_epochs: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        checks = {
            "epochs": isinstance(self.epochs, int) and self.epochs >= 1,
            "batch_size": isinstance(self.batch_size, int) and self.batch_size >= 1,
            "lr": isinstance(self.lr, int | float) and 0 < self.lr < 10,
            "weight_decay": isinstance(self.weight_decay, int | float) and self.weight_decay >= 0,
            "patience": isinstance(self.patience, int) and self.patience >= 1,
            "batch_augment": isinstance(self.batch_augment, bool),
            "balance": self.balance in BALANCE_CHOICES,
            "feature_views": isinstance(self.feature_views, int) and self.feature_views >= 1,
            "degrade": isinstance(self.degrade, int | float) and 0 <= self.degrade <= 1,
            "warmup_epochs": isinstance(self.warmup_epochs, int) and self.warmup_epochs >= 0,
        }
        wrong = [name for name, ok in checks.items() if not ok]
        if wrong:
            name = wrong[0]
            expected = {
                "balance": f"one of {list(BALANCE_CHOICES)}",
                "lr": "a number between 0 and 10",
                "weight_decay": "a number of at least 0",
                "warmup_epochs": "a whole number of at least 0",
                "degrade": "a share from 0 to 1",
                "batch_augment": "True or False",
            }.get(name, "a whole number of at least 1")
            raise ValueError(f"{name}={getattr(self, name)!r}: expected {expected}")


@dataclass
class FitResult:
    """What a run produced: per-epoch history, the best epoch and where its checkpoint is."""

    backbone: str
    weights: str
    history: list[dict]
    best: dict
    checkpoint: Path
    seconds: float
    device: str
    stopped_early: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def best_epoch(self) -> int:
        return int(self.best.get("epoch", 0))

    def summary(self) -> str:
        return (
            f"{self.backbone} ({self.weights}): best epoch {self.best_epoch} of {len(self.history)} — "
            f"val accuracy {self.best['val_accuracy']:.2%}, val loss {self.best['val_loss']:.4f}; "
            f"{self.seconds:.0f} s on {self.device}"
            + (" (stopped early)" if self.stopped_early else "")
            + f"; checkpoint {display_path(self.checkpoint)}"
        )


def split_frozen(model: nn.Module) -> tuple[nn.Sequential | None, nn.Module]:
    """The frozen layers at the start of model.features (their output never changes, so it is computed once)
    and the part that learns. None when nothing is frozen: the whole model trains on augmented images."""
    layers = list(model.features)
    learns = [any(p.requires_grad for p in layer.parameters()) for layer in layers]
    first = learns.index(True) if any(learns) else len(layers)
    if first == 0:
        return None, model
    return nn.Sequential(*layers[:first]), nn.Sequential(*layers[first:], model.head)


class _Progress:
    """A progress bar over each pass of a re-iterable (one bar per epoch)."""

    def __init__(self, batches: Iterable, description: str, enabled: bool) -> None:
        self.batches, self.description, self.enabled = batches, description, enabled

    def __len__(self) -> int:
        return len(self.batches)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator:
        yield from progress(self.batches, desc=self.description, leave=False, disable=not self.enabled)


def _view_transform(config: TrainConfig, size: int, per_image: bool) -> Callable | None:
    """What the Dataset applies to a training image: lesson 01's train_transform when augmenting one image at
    a time, SmallFace first where some faces should look small; None leaves uint8 images for the batch."""
    steps: list[Callable] = [SmallFace(config.degrade)] if config.augment and config.degrade > 0 else []
    if per_image:
        steps.append(train_transform(size, config.augmentation) if config.augment else eval_transform(size))
    return v2.Compose(steps) if steps else None


def _loader(
    sets: list[Dataset], labels: list[torch.Tensor], config: TrainConfig, generator: torch.Generator
) -> DataLoader:
    """The training DataLoader: shuffled, or drawn by lesson 09's balanced sampler."""
    sampler = balanced_sampler(labels, generator) if config.balance == "sampler" else None
    joined, shuffle = ConcatDataset(sets), sampler is None
    return DataLoader(joined, config.batch_size, shuffle=shuffle, sampler=sampler, generator=generator)


def _feature_views(frozen: nn.Module, parts: list[CourseData], config: TrainConfig) -> tuple[int, list[str]]:
    """How many views fit under FEATURE_CACHE_BYTES (one image through the frozen layers tells the size)."""
    views = config.feature_views if config.augment else 1
    size = parts[0].image_size
    with torch.inference_mode():
        device = next(frozen.parameters()).device
        per_image = frozen.eval()(torch.zeros(1, 3, size, size, device=device)).numel() * 4
    images = sum(len(part.splits["train"].labels) for part in parts)
    if per_image * images * views <= FEATURE_CACHE_BYTES:
        return views, []
    fewer = max(1, FEATURE_CACHE_BYTES // (per_image * images))
    return fewer, [f"Stored {fewer} view(s) to stay under {FEATURE_CACHE_BYTES / 1e9:.1f} GB."]


def _frozen_batches(
    frozen: nn.Module, parts: list[CourseData], config: TrainConfig, generator: torch.Generator
) -> tuple[dict, list[str]]:
    """Lesson 03's way: run the frozen layers once (validation images plain, training images plain plus
    augmented views), then every epoch trains the rest on the stored outputs."""
    start = time.perf_counter()
    size = parts[0].image_size
    views, notes = _feature_views(frozen, parts, config)
    augmented = _view_transform(config, size, per_image=True)
    transforms = [eval_transform(size)] + [augmented] * (views - 1)
    images = sum(len(part.splits["train"].labels) for part in parts)
    print(f"Frozen layers: one pass over {images} training images x {views} view(s), then validation ...")
    trains, vals = ([p.splits[s] for p in parts if len(p.splits[s].labels)] for s in ("train", "val"))
    train = [frozen_features(frozen, split, transforms) for split in trains]  # a dataset's empty split: none
    val = [frozen_features(frozen, split, [eval_transform(size)]) for split in vals]
    notes.append(
        f"  done in {time.perf_counter() - start:.0f} s ({'plain + augmented' if views > 1 else 'plain'} "
        f"views; {sum(len(v) for v in val)} validation images): the epochs train only the layers after them."
    )
    loader = _loader(train, [t.tensors[1] for t in train], config, generator)  # type: ignore[misc]
    return {"train": loader, "val": DataLoader(ConcatDataset(val), 256)}, notes


def _image_batches(
    parts: list[CourseData], config: TrainConfig, device: torch.device, generator: torch.Generator
) -> dict:
    """Lesson 01's FaceDataset in a DataLoader, augmented by lesson 04's batch_augmentation on the device
    (or by lesson 01's train_transform, one image at a time)."""
    size = parts[0].image_size
    per_image = not (config.augment and config.batch_augment)
    transform = _view_transform(config, size, per_image)
    trains = [part.splits["train"] for part in parts]
    sets = [FaceDataset(split.images, split.labels, transform) for split in trains]
    batches: Iterable = _loader(sets, [split.labels for split in trains], config, generator)
    if not per_image:
        augment = batch_augmentation(size, config.augmentation).to(device)
        batches = AugmentOnDevice(batches, augment, device)  # type: ignore[arg-type]
    vals = [part.splits["val"] for part in parts]
    val = eval_batches(torch.cat([s.images for s in vals]), torch.cat([s.labels for s in vals]))
    return {"train": batches, "val": val}


def _run_identity(model: nn.Module, data: list[CourseData]) -> dict:
    """What a resume file shares with the run that continues it: model, input size, trainable layers, data."""
    return {
        "backbone": model.backbone,
        "image_size": data[0].image_size,
        "trainable": [name for name, p in model.named_parameters() if p.requires_grad],
        "fingerprint": data_fingerprint(data),
    }


class _AfterEpoch:
    """fit()'s on_epoch: the best checkpoint when the epoch is the best, the resume file, a printed line."""

    def __init__(
        self,
        model: nn.Module,
        data: list[CourseData],
        config: TrainConfig,
        checkpoint: Path,
        optimizer: Optimizer,
        scheduler: LRScheduler,
    ) -> None:
        self.model, self.data, self.config, self.checkpoint = model, data, config, checkpoint
        self.optimizer, self.scheduler = optimizer, scheduler
        self.tick = time.perf_counter()

    def __call__(self, history: list[dict]) -> None:
        row = history[-1]
        row["seconds"] = time.perf_counter() - self.tick
        improved = best_row(history) is row
        config = asdict(self.config)
        if improved:
            save_checkpoint(self.checkpoint, self.model, self.data, history, config=config)
        resume = {
            "format": "face-mask-course resume state",
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "history": history,
            "config": config,
            **_run_identity(self.model, self.data),
        }
        atomic_save(resume, resume_path(self.checkpoint))
        if self.shown(row["epoch"]):
            best = best_row(history)["epoch"]
            print(
                f"epoch {row['epoch']:>3}/{self.config.epochs}  train loss {row['train_loss']:.4f} acc "
                f"{row['train_accuracy']:6.2%}  val loss {row['val_loss']:.4f} acc {row['val_accuracy']:6.2%}"
                f"  {row['seconds']:4.1f} s  best so far: epoch {best}"
            )
        self.tick = time.perf_counter()

    def shown(self, epoch: int) -> bool:
        """The first epoch, then about eight lines a run: a log to read, not to scroll (history keeps all)."""
        every = max(1, round(self.config.epochs / 8))
        return epoch == 1 or epoch % every == 0 or epoch == self.config.epochs


def _read_resume(path: Path, model: nn.Module, data: list[CourseData]) -> dict:
    """The resume state, checked against this run: same backbone, image size, trainable layers and data."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many types for a truncated or foreign file
        raise CheckpointError(f"{path}: not a readable resume file ({type(exc).__name__}: {exc})") from None
    if not isinstance(state, dict) or state.get("format") != "face-mask-course resume state":
        raise CheckpointError(f"{path}: not a resume file saved by fit(); start a fresh run (resume=False)")
    for key, value in _run_identity(model, data).items():
        if state[key] != value:
            what = "other data" if key == "fingerprint" else f"{key}={state[key]!r}, this run has {value!r}"
            raise CheckpointError(
                f"{path}: saved for {what}. Resume with the same settings and data, or start a fresh run."
            )
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
    """Lesson 04's train_epochs with the plumbing around it: returns the history, keeps the best checkpoint.

    data: one dataset, or a list of datasets (each split on its own) trained on together: their splits are
    joined with ConcatDataset. resume=True continues an interrupted run from <checkpoint>.resume.pt (same
    settings, same data) up to config.epochs; a fresh run keeps any earlier checkpoint as <name>.previous.pt.
    """
    if not all(hasattr(model, name) for name in ("backbone", "weights", "features", "head")):
        raise ValueError(
            f"fit() got a {type(model).__name__} without the labels a checkpoint needs (backbone, weights): "
            "build it with helpers.models.build_model, e.g. build_model('cnn', pretrained=False) for lesson "
            "02's SmallCNN, or train it with lesson 04's train_epochs and save_checkpoint(..., backbone=...)"
        )
    parts = as_list(data)
    class_names = parts[0].class_names
    outputs = len(getattr(model, "class_names", class_names))
    if outputs != len(class_names):
        raise ValueError(
            f"the model answers {outputs} classes, the data has {list(class_names)}: build it with "
            f"build_model(..., classes={len(class_names)})"
        )
    config = config or TrainConfig()
    device = device or pick_device()
    checkpoint = Path(checkpoint) if checkpoint else default_checkpoint(model.backbone)
    seed_everything(config.seed)
    start = time.perf_counter()
    model.to(device, memory_format=torch.channels_last)  # about twice as fast on CPUs, faster on GPUs
    state, notes = None, []
    if resume and resume_path(checkpoint).exists():
        state = _read_resume(resume_path(checkpoint), model, parts)
        model.load_state_dict(state["model"])
        notes.append(
            f"Resumed after epoch {len(state['history'])} from {display_path(resume_path(checkpoint))}."
        )
    elif resume:
        notes.append(f"No {display_path(resume_path(checkpoint))} to resume from: starting a fresh run.")
    if state is None:
        backup_previous(checkpoint)  # quietly: a message about an earlier run would be stale in this one
    generator = torch.Generator()  # the shuffle; SeededEpochs seeds it at every epoch
    frozen, trainable = split_frozen(model)
    if frozen is None:
        batches, more = _image_batches(parts, config, device, generator), []
    else:
        batches, more = _frozen_batches(frozen, parts, config, generator)
    notes += more
    for note in notes:
        print(note)
    parameters = [p for p in trainable.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(parameters, lr=config.lr, weight_decay=config.weight_decay)
    schedule = partial(warmup_cosine, epochs=config.epochs, warmup=config.warmup_epochs)
    scheduler = LambdaLR(optimizer, schedule)
    labels = torch.cat([part.splits["train"].labels for part in parts])
    weight = class_weights(labels, len(class_names)).to(device) if config.balance == "weights" else None
    loss_fn = nn.CrossEntropyLoss(weight=weight)
    history = []
    epochs = SeededEpochs(batches["train"], generator, config.seed)
    if state is not None:
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        for group, base in zip(optimizer.param_groups, scheduler.base_lrs, strict=True):
            group["lr"] = base * schedule(scheduler.last_epoch)  # as planned now, if `epochs` changed
        history = state["history"]
        epochs.epoch = len(history)
    batches["train"] = _Progress(epochs, "epoch", progress)
    on_epoch = _AfterEpoch(model, parts, config, checkpoint, optimizer, scheduler)
    one_epoch = partial(run_epoch, trainable, batches, loss_fn, optimizer, scheduler)
    history = train_epochs(one_epoch, config.epochs, config.patience, on_epoch, history)
    best = best_row(history)
    model.load_state_dict(read_checkpoint(checkpoint)["model"])  # back to the best epoch
    save_checkpoint(checkpoint, model, parts, history, config=asdict(config), best=best)  # all the curves
    stopped_early = len(history) < config.epochs
    if stopped_early:
        notes.append(f"Stopped early: no better validation score for {config.patience} epochs.")
    model.eval()
    return FitResult(
        backbone=model.backbone,
        weights=model.weights,
        history=history,
        best=best,
        checkpoint=checkpoint,
        seconds=time.perf_counter() - start,
        device=str(device),
        stopped_early=stopped_early,
        notes=notes,
    )


# ----------------------------------------------------------------------------------------------- recipes
@dataclass(frozen=True)
class Recipe:
    """Settings that work for a backbone on a 2-core CPU; the notebooks and the CLI share them."""

    image_size: int
    config: TrainConfig


RECIPES: dict[str, Recipe] = {
    # 64 px keeps the mask's edge and the nose (32 px blurs them) at a quarter of 128 px's cost.
    "cnn": Recipe(64, TrainConfig(epochs=25, lr=3e-3, patience=8, warmup_epochs=2)),
    # Frozen ImageNet features: computed once (plain + 3 augmented views), then only the head trains, an
    # epoch being one pass over all stored views. Its epochs cost a fraction of a second each, so all 25 run
    # (no early stopping); lr 1e-3 (Adam's default).
    "mobilenet_v2": Recipe(160, TrainConfig(epochs=25, lr=1e-3, patience=25)),
    # VGG16 costs several times MobileNetV2's time per image on a CPU: two views keep the one-off pass short.
    "vgg16": Recipe(128, TrainConfig(epochs=15, lr=1e-3, feature_views=2)),
}


def recipe(backbone: str, **changes: object) -> Recipe:
    """The backbone's recipe, with config fields changed (e.g. epochs=2), checked like any TrainConfig."""
    if backbone not in RECIPES:
        raise ValueError(f"backbone={backbone!r}: expected one of {list(RECIPES)}")
    base = RECIPES[backbone]
    image_size = int(changes.pop("image_size", base.image_size))
    return Recipe(image_size, replace(base.config, **changes))  # replace() runs TrainConfig's checks
