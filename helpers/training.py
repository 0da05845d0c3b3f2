"""One training loop for every model in the course: fit(), evaluate(), and checkpoints that reload anywhere.

fit() trains on the cached uint8 images of a CourseData: batches are cut from one tensor, augmented as whole
batches on the device (helpers.augment), and, when the backbone is frozen, the backbone runs once per image
(times feature_views augmented copies) instead of once per image per epoch.
"""

from __future__ import annotations

import copy
import hashlib
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from helpers.augment import augment_batch, eval_batch
from helpers.data import CLASS_NAMES, IMAGENET_MEAN, IMAGENET_STD, CourseData, SplitData
from helpers.metrics import ClassificationReport
from helpers.models import MaskClassifier, build_model, small_cnn
from helpers.runtime import display_path, pick_device, quick_mode, seed_everything, work_dir

CHECKPOINT_FORMAT = "face-mask-course checkpoint v1"
BALANCE_CHOICES = ("weights", "sampler", "none")
FEATURE_CACHE_BYTES = 1_500_000_000  # cap on cached frozen features (float16); fewer views if larger


class CheckpointError(ValueError):
    """A checkpoint that cannot be used here; the message names the file and what was expected."""


@dataclass
class TrainConfig:
    """Everything that decides a training run; saved in every checkpoint so a result can be reproduced."""

    epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 1e-4
    patience: int = 5  # early stopping: epochs without a better validation score before giving up
    augment: bool = True
    balance: str = "weights"  # class weights in the loss, a balanced sampler, or none
    feature_views: int = 4  # frozen backbone: augmented copies of each image whose features are computed once
    warmup_fraction: float = 0.1  # share of the steps during which the learning rate ramps up
    amp: bool = True  # mixed precision on CUDA only
    seed: int = 0

    def __post_init__(self) -> None:
        checks = {
            "epochs": isinstance(self.epochs, int) and self.epochs >= 1,
            "batch_size": isinstance(self.batch_size, int) and self.batch_size >= 1,
            "lr": isinstance(self.lr, int | float) and 0 < self.lr < 10,
            "weight_decay": isinstance(self.weight_decay, int | float) and self.weight_decay >= 0,
            "patience": isinstance(self.patience, int) and self.patience >= 1,
            "balance": self.balance in BALANCE_CHOICES,
            "feature_views": isinstance(self.feature_views, int) and self.feature_views >= 1,
            "warmup_fraction": 0 <= self.warmup_fraction < 1,
        }
        wrong = [name for name, ok in checks.items() if not ok]
        if wrong:
            name = wrong[0]
            expected = {
                "balance": f"one of {list(BALANCE_CHOICES)}",
                "lr": "a number between 0 and 10",
                "weight_decay": "a number of at least 0",
                "warmup_fraction": "a number from 0 up to (not including) 1",
            }.get(name, "a whole number of at least 1")
            raise ValueError(f"{name}={getattr(self, name)!r}: expected {expected}")


@dataclass
class FitResult:
    """What a run produced: per-epoch history, the best epoch and where its checkpoint is."""

    backbone: str
    weights: str
    history: list[dict]
    best_epoch: int
    best: dict
    checkpoint: Path
    seconds: float
    device: str
    stopped_early: bool = False
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.backbone} ({self.weights}): best epoch {self.best_epoch} of {len(self.history)} — "
            f"val accuracy {self.best['val_accuracy']:.2%}, val loss {self.best['val_loss']:.4f}; "
            f"{self.seconds:.0f} s on {self.device}"
            + (" (stopped early)" if self.stopped_early else "")
            + f"; checkpoint {display_path(self.checkpoint)}"
        )


# ----------------------------------------------------------------------------------------------- pieces
def class_weights(labels: torch.Tensor, n_classes: int = len(CLASS_NAMES)) -> torch.Tensor:
    """Inverse class frequency (averaging 1 over the training images): each class weighs the same in total."""
    counts = torch.bincount(labels, minlength=n_classes).float().clamp(min=1)
    return counts.sum() / (n_classes * counts)


def learning_rate(step: int, total_steps: int, base_lr: float, warmup_fraction: float) -> float:
    """Linear warm-up, then cosine decay to 1 % of base_lr. Depends on the step only: resuming is exact."""
    warmup = int(total_steps * warmup_fraction)
    if step < warmup:
        return base_lr * (step + 1) / warmup
    progress = (step - warmup) / max(1, total_steps - warmup)
    return base_lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def epoch_order(labels: torch.Tensor, balance: str, generator: torch.Generator) -> torch.Tensor:
    """Shuffled indices for one epoch; with a balanced sampler each class is drawn equally often."""
    if balance != "sampler":
        return torch.randperm(len(labels), generator=generator)
    per_sample = class_weights(labels)[labels]
    return torch.multinomial(per_sample, len(labels), replacement=True, generator=generator)


def data_fingerprint(data: CourseData) -> str:
    """Same files and split -> same fingerprint, at any image size: tells which checkpoints fit this data."""
    digest = hashlib.sha256(str(data.source.root.resolve()).encode())
    for split in ("train", "val", "test"):
        for path in data.splits[split].paths:
            digest.update(f"{split}|{Path(path).name}\n".encode())
    return digest.hexdigest()[:16]


def _data_info(data: CourseData) -> dict:
    return {
        "description": data.source.describe(),
        "synthetic": data.source.synthetic,
        "quick": any("Quick mode" in note for note in data.report.notes),
        "fingerprint": data_fingerprint(data),
        "counts": {split: len(data.splits[split].labels) for split in data.splits},
    }


@torch.inference_mode()
def compute_features(
    model: MaskClassifier,
    images: torch.Tensor,
    image_size: int,
    device: torch.device,
    generator: torch.Generator | None = None,
    batch_size: int = 64,
    description: str = "",
    progress: bool = True,
) -> torch.Tensor:
    """Run the frozen backbone once over images (augmented when a generator is given); float16 on device."""
    from tqdm.auto import tqdm

    model.eval()
    chunks = []
    starts = range(0, len(images), batch_size)
    for start in tqdm(starts, desc=description or "Features", leave=False, disable=not progress):
        batch = images[start : start + batch_size].to(device, non_blocking=True)
        inputs = (
            augment_batch(batch, image_size, generator)
            if generator is not None
            else eval_batch(batch, image_size)
        )
        with _autocast(device, True):
            chunks.append(model.features(inputs).to(torch.float16))
    return torch.cat(chunks)


def _autocast(device: torch.device, enabled: bool) -> torch.autocast:
    return torch.autocast("cuda", dtype=torch.float16, enabled=enabled and device.type == "cuda")


# ----------------------------------------------------------------------------------------------- evaluation
@dataclass
class Predictions:
    """Probabilities for every image of a split, with the true labels and paths, for reports and plots."""

    probabilities: np.ndarray  # N x classes
    labels: np.ndarray
    paths: list[Path]
    loss: float
    class_names: tuple[str, ...] = CLASS_NAMES

    @property
    def predicted(self) -> np.ndarray:
        return self.probabilities.argmax(axis=1)

    @property
    def accuracy(self) -> float:
        return float((self.predicted == self.labels).mean()) if len(self.labels) else float("nan")

    def report(self) -> ClassificationReport:
        return ClassificationReport.from_predictions(self.labels, self.predicted, self.class_names)

    def mistakes(self) -> np.ndarray:
        """Indices of wrong predictions, most confident mistakes first."""
        wrong = np.flatnonzero(self.predicted != self.labels)
        return wrong[np.argsort(-self.probabilities[wrong].max(axis=1))]


@torch.inference_mode()
def predict_probabilities(
    model: nn.Module,
    images: torch.Tensor,
    image_size: int,
    device: torch.device | None = None,
    batch_size: int = 128,
) -> torch.Tensor:
    """Softmax probabilities for uint8 images (N x 3 x H x W); no gradients, no augmentation."""
    device = device or next(model.parameters()).device
    model.eval()
    outputs = []
    for start in range(0, len(images), batch_size):
        batch = eval_batch(images[start : start + batch_size].to(device), image_size)
        with _autocast(device, True):
            outputs.append(model(batch).float().softmax(dim=1).cpu())
    return torch.cat(outputs) if outputs else torch.zeros(0, len(CLASS_NAMES))


def evaluate(
    model: nn.Module, split: SplitData, image_size: int, device: torch.device | None = None
) -> Predictions:
    probabilities = predict_probabilities(model, split.images, image_size, device)
    loss = (
        F.nll_loss(probabilities.clamp(min=1e-7).log(), split.labels).item()
        if len(split.labels)
        else float("nan")
    )
    return Predictions(probabilities.numpy(), split.labels.numpy(), list(split.paths), loss)


# ----------------------------------------------------------------------------------------------- checkpoints
def _atomic_save(payload: dict, path: Path) -> None:
    """Write beside the target, then rename: a crash mid-save never leaves a broken checkpoint."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)


def resume_path(checkpoint: Path) -> Path:
    """The last epoch's full state (with the optimizer) beside the best checkpoint."""
    return checkpoint.with_name(checkpoint.stem + ".resume" + checkpoint.suffix)


def _checkpoint_payload(
    model: MaskClassifier, image_size: int, config: TrainConfig, data: CourseData
) -> dict:
    return {
        "format": CHECKPOINT_FORMAT,
        "backbone": model.backbone,
        "options": dict(model.options),
        "weights": model.weights,
        "class_names": list(CLASS_NAMES),
        "image_size": image_size,
        "normalization": {"mean": list(IMAGENET_MEAN), "std": list(IMAGENET_STD)},
        "trainable": [name for name, p in model.named_parameters() if p.requires_grad],
        "config": asdict(config),
        "data": _data_info(data),
        "torch": str(torch.__version__),
    }


def read_checkpoint(path: str | Path) -> dict:
    """Load a checkpoint file's dictionary, or raise CheckpointError saying what the file is instead."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(
            f"{path}: no such file. Train a model first (notebooks 02-04 or python -m helpers.train)."
        )
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder, expected a checkpoint file (.pt)")
    with open(path, "rb") as handle:
        head = handle.read(64).lstrip().lower()
    if head.startswith((b"<!doctype", b"<html")):
        raise CheckpointError(
            f"{path}: an HTML page, not a checkpoint (a browser saved a web page under this name)"
        )
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many types for a truncated or foreign file
        raise CheckpointError(
            f"{path}: not a readable PyTorch checkpoint ({type(exc).__name__}: {exc})"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"{path}: a PyTorch file but not a course checkpoint (expected one saved by fit(); "
            "a bare state_dict or torchvision weights file does not say which backbone and classes it has)"
        )
    return payload


def check_compatible(payload: dict, path: Path, backbone: str | None, class_names: tuple[str, ...]) -> None:
    if backbone is not None and payload["backbone"] != backbone:
        raise CheckpointError(
            f"{path}: trained with backbone {payload['backbone']!r}, but {backbone!r} was expected. "
            "Use a checkpoint of that backbone, or build the model to match."
        )
    if tuple(payload["class_names"]) != tuple(class_names):
        raise CheckpointError(
            f"{path}: classes {payload['class_names']}, but this course predicts {list(class_names)}."
        )


def model_from_checkpoint(payload: dict, path: Path) -> MaskClassifier:
    """Rebuild the architecture without downloading anything, then load the trained weights."""
    if payload["backbone"] == "cnn":
        model = small_cnn(**payload.get("options", {}))
    else:
        model = build_model(payload["backbone"], pretrained=False)
    try:
        model.load_state_dict(payload["model"])
    except (RuntimeError, KeyError) as exc:
        raise CheckpointError(
            f"{path}: weights do not fit the {payload['backbone']} architecture ({exc})"
        ) from None
    model.weights = payload["weights"]
    return model


def load_checkpoint(
    path: str | Path,
    backbone: str | None = None,
    class_names: tuple[str, ...] = CLASS_NAMES,
    device: torch.device | str = "cpu",
) -> tuple[MaskClassifier, dict]:
    """A trained model ready for prediction (eval mode), with its checkpoint's facts (image size, metrics)."""
    path = Path(path)
    payload = read_checkpoint(path)
    check_compatible(payload, path, backbone, class_names)
    model = model_from_checkpoint(payload, path).to(device).eval()
    info = {k: v for k, v in payload.items() if k not in {"model", "optimizer", "scaler"}}
    info["path"] = path
    return model, info


def _backup_previous(checkpoint: Path) -> str | None:
    """A fresh run never silently destroys the last run's best model: it is kept as <name>.previous.pt."""
    if not checkpoint.exists():
        return None
    backup = checkpoint.with_name(checkpoint.stem + ".previous" + checkpoint.suffix)
    os.replace(checkpoint, backup)
    return f"The earlier checkpoint was kept as {display_path(backup)}."


# ----------------------------------------------------------------------------------------------- fit
@dataclass
class _Inputs:
    """What one epoch draws batches from: raw images (full model) or cached features (head only)."""

    train: torch.Tensor  # uint8 images, or views x N x D features
    train_labels: torch.Tensor
    val: torch.Tensor
    val_labels: torch.Tensor
    features: bool


def _prepare_inputs(
    model: MaskClassifier, data: CourseData, config: TrainConfig, device: torch.device, progress: bool
) -> tuple[_Inputs, list[str]]:
    train, val = data.splits["train"], data.splits["val"]
    if not model.features_frozen():
        return _Inputs(
            train.images.to(device),
            train.labels.to(device),
            val.images.to(device),
            val.labels.to(device),
            False,
        ), []
    size = data.image_size
    notes = []
    start = time.perf_counter()
    val_features = compute_features(
        model, val.images, size, device, description="Frozen features (val)", progress=progress
    )
    views = config.feature_views if config.augment else 1
    per_view = len(train.labels) * val_features.shape[1] * 2
    if per_view * views > FEATURE_CACHE_BYTES:
        views = max(1, FEATURE_CACHE_BYTES // per_view)
        notes.append(
            f"Feature cache limited to {views} view(s) to stay under {FEATURE_CACHE_BYTES / 1e9:.1f} GB."
        )
    generator = torch.Generator().manual_seed(config.seed)
    train_views = []
    for view in range(views):
        augmented = config.augment and view > 0  # view 0 is the plain image
        train_views.append(
            compute_features(
                model,
                train.images,
                size,
                device,
                generator if augmented else None,
                description=f"Frozen features (train, view {view + 1}/{views})",
                progress=progress,
            )
        )
    notes.append(
        f"Backbone frozen: computed its features once for {len(train.labels)} training images x {views} "
        f"view(s) ({'plain + augmented' if views > 1 else 'no augmentation'}) and {len(val.labels)} "
        f"validation images in {time.perf_counter() - start:.0f} s; epochs train only the head."
    )
    inputs = _Inputs(
        torch.stack(train_views), train.labels.to(device), val_features, val.labels.to(device), True
    )
    return inputs, notes


def _train_epoch(
    model: MaskClassifier,
    inputs: _Inputs,
    config: TrainConfig,
    image_size: int,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    loss_fn: nn.Module,
    epoch: int,
    steps_per_epoch: int,
    progress: bool,
) -> tuple[float, float]:
    from tqdm.auto import tqdm

    device = inputs.train_labels.device
    generator = torch.Generator().manual_seed(config.seed * 100_003 + epoch)
    torch.manual_seed(config.seed * 100_003 + epoch)  # dropout: the same per epoch, so resuming is exact
    order = epoch_order(inputs.train_labels.cpu(), config.balance, generator)
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    batches = range(steps_per_epoch)
    bar = tqdm(batches, desc=f"epoch {epoch}", leave=False, disable=not progress)
    for step in bar:
        idx = order[step * config.batch_size : (step + 1) * config.batch_size]
        labels = inputs.train_labels[idx.to(device)]
        if inputs.features:
            views = torch.randint(len(inputs.train), (len(idx),), generator=generator)
            batch = inputs.train[views.to(device), idx.to(device)].float()
        else:
            images = inputs.train[idx.to(device)]
            batch = (
                augment_batch(images, image_size, generator)
                if config.augment
                else eval_batch(images, image_size)
            )
        lr = learning_rate(
            (epoch - 1) * steps_per_epoch + step,
            config.epochs * steps_per_epoch,
            config.lr,
            config.warmup_fraction,
        )
        for group in optimizer.param_groups:
            group["lr"] = lr
        optimizer.zero_grad(set_to_none=True)
        with _autocast(device, config.amp):
            logits = model.head(batch) if inputs.features else model(batch)
            loss = loss_fn(logits.float(), labels)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        total_loss += loss.item() * len(idx)
        correct += int((logits.argmax(dim=1) == labels).sum())
        seen += len(idx)
        bar.set_postfix(loss=f"{total_loss / seen:.3f}")
    return total_loss / seen, correct / seen


@torch.inference_mode()
def _validate(model: MaskClassifier, inputs: _Inputs, image_size: int) -> tuple[float, float]:
    """Plain (unweighted) loss and accuracy on the validation split, comparable across runs and settings."""
    model.eval()
    device = inputs.val_labels.device
    losses, correct = 0.0, 0
    for start in range(0, len(inputs.val_labels), 256):
        labels = inputs.val_labels[start : start + 256]
        with _autocast(device, True):
            if inputs.features:
                logits = model.head(inputs.val[start : start + 256].float())
            else:
                logits = model(eval_batch(inputs.val[start : start + 256], image_size))
        losses += F.cross_entropy(logits.float(), labels, reduction="sum").item()
        correct += int((logits.argmax(dim=1) == labels).sum())
    n = max(1, len(inputs.val_labels))
    return losses / n, correct / n


def validation_score(val_accuracy: float, val_loss: float) -> tuple[float, float]:
    """How the course ranks epochs and models: higher validation accuracy, then (on a tie, common near
    100 %) lower validation loss. The test set never takes part."""
    return (val_accuracy, -val_loss)


def is_better(row: dict, best: dict | None) -> bool:
    if best is None:
        return True
    return validation_score(row["val_accuracy"], row["val_loss"]) > validation_score(
        best["val_accuracy"], best["val_loss"]
    )


def _load_resume(path: Path, payload_base: dict, model: MaskClassifier) -> dict:
    state = read_checkpoint(path)
    check_compatible(state, path, model.backbone, CLASS_NAMES)
    for key in ("image_size", "trainable"):
        if state[key] != payload_base[key]:
            raise CheckpointError(
                f"{path}: saved with {key}={state[key]!r}, but this run has {payload_base[key]!r}. "
                "Resume with the same settings, or start a fresh run (resume=False)."
            )
    if state["data"]["fingerprint"] != payload_base["data"]["fingerprint"]:
        raise CheckpointError(
            f"{path}: saved for other data ({state['data']['description']}); start a fresh run."
        )
    return state


def default_checkpoint(name: str) -> Path:
    return work_dir() / "checkpoints" / f"{name}.pt"


def fit(
    model: MaskClassifier,
    data: CourseData,
    config: TrainConfig | None = None,
    checkpoint: str | Path | None = None,
    resume: bool = False,
    device: torch.device | None = None,
    progress: bool = True,
) -> FitResult:
    """Train, validate every epoch, keep the best checkpoint, stop early, and return the history.

    resume=True continues an interrupted run from <checkpoint>.resume.pt (same settings, same data) up to
    config.epochs; a fresh run keeps any earlier checkpoint as <name>.previous.pt.
    """
    config = config or TrainConfig()
    device = device or pick_device()
    checkpoint = Path(checkpoint) if checkpoint else default_checkpoint(model.backbone)
    seed_everything(config.seed)
    size = data.image_size
    model.to(device).to(memory_format=torch.channels_last)
    base = _checkpoint_payload(model, size, config, data)
    notes = []
    state = None
    if resume and resume_path(checkpoint).exists():
        state = _load_resume(resume_path(checkpoint), base, model)
        model.load_state_dict(state["model"])
        notes.append(f"Resumed after epoch {state['epoch']} from {display_path(resume_path(checkpoint))}.")
    elif resume:
        notes.append(f"No {display_path(resume_path(checkpoint))} to resume from: starting a fresh run.")
    if state is None:
        backup = _backup_previous(checkpoint)
        notes += [backup] if backup else []
    start_time = time.perf_counter()
    inputs, input_notes = _prepare_inputs(model, data, config, device, progress)
    notes += input_notes
    for note in notes:
        print(note)
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(parameters, lr=config.lr, weight_decay=config.weight_decay)
    scaler = torch.amp.GradScaler("cuda", enabled=config.amp and device.type == "cuda")
    weight = class_weights(data.splits["train"].labels).to(device) if config.balance == "weights" else None
    loss_fn = nn.CrossEntropyLoss(weight=weight)
    steps = math.ceil(len(inputs.train_labels) / config.batch_size)
    history, best, best_state, bad_epochs, first_epoch = [], None, None, 0, 1
    if state is not None:
        optimizer.load_state_dict(state["optimizer"])
        if scaler.is_enabled() and state.get("scaler"):
            scaler.load_state_dict(state["scaler"])
        history, best, bad_epochs = state["history"], state["best"], state["bad_epochs"]
        first_epoch = state["epoch"] + 1
        if checkpoint.exists():
            best_state = read_checkpoint(checkpoint)["model"]
    stopped_early = bad_epochs >= config.patience  # a resumed run that had already stopped early
    for epoch in range(first_epoch, config.epochs + 1 if not stopped_early else first_epoch):
        tick = time.perf_counter()
        train_loss, train_acc = _train_epoch(
            model, inputs, config, size, optimizer, scaler, loss_fn, epoch, steps, progress
        )
        val_loss, val_acc = _validate(model, inputs, size)
        row = {
            "epoch": epoch,
            "train_loss": train_loss,
            "train_accuracy": train_acc,
            "val_loss": val_loss,
            "val_accuracy": val_acc,
            "lr": optimizer.param_groups[0]["lr"],
            "seconds": time.perf_counter() - tick,
        }
        history.append(row)
        improved = is_better(row, best)
        if improved:
            best, bad_epochs = row, 0
            best_state = copy.deepcopy(model.state_dict())
            _atomic_save(
                {**base, "model": best_state, "epoch": epoch, "metrics": row, "history": history}, checkpoint
            )
        else:
            bad_epochs += 1
        _atomic_save(
            {
                **base,
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scaler": scaler.state_dict() if scaler.is_enabled() else None,
                "epoch": epoch,
                "history": history,
                "best": best,
                "bad_epochs": bad_epochs,
                "metrics": row,
            },
            resume_path(checkpoint),
        )
        print(
            f"epoch {epoch:>3}/{config.epochs}  train loss {train_loss:.4f} acc {train_acc:6.2%}  "
            f"val loss {val_loss:.4f} acc {val_acc:6.2%}  lr {row['lr']:.1e}  {row['seconds']:5.1f} s"
            + ("  * best, saved" if improved else "")
        )
        if bad_epochs >= config.patience and epoch < config.epochs:
            stopped_early = True
            break
    if best is not None and history and history[-1]["epoch"] != best["epoch"]:
        # the best checkpoint also gets the full curves, for plots and reports
        _atomic_save(
            {**base, "model": best_state, "epoch": best["epoch"], "metrics": best, "history": history},
            checkpoint,
        )
    if best_state is not None:
        model.load_state_dict(best_state)
    if stopped_early:
        notes.append(f"Stopped early: no better validation score for {config.patience} epochs.")
    model.eval()
    return FitResult(
        backbone=model.backbone,
        weights=model.weights,
        history=history,
        best_epoch=best["epoch"] if best else 0,
        best=best or {},
        checkpoint=checkpoint,
        seconds=time.perf_counter() - start_time,
        device=str(device),
        stopped_early=stopped_early,
        notes=notes,
    )


def quick_epochs(epochs: int, quick: int = 2) -> int:
    """The lesson's number of epochs, or a couple in quick mode (CI), where only the code is checked."""
    return min(epochs, quick) if quick_mode() else epochs


# ----------------------------------------------------------------------------------------------- recipes
@dataclass(frozen=True)
class Recipe:
    """Settings that work for a backbone on a 2-core CPU; the notebooks and the CLI share them."""

    image_size: int
    config: TrainConfig


RECIPES: dict[str, Recipe] = {
    # 64 px keeps the mask's edge and the nose (32 px blurs them) at a quarter of 128 px's cost.
    "cnn": Recipe(64, TrainConfig(epochs=25, lr=3e-3, patience=8)),
    # Frozen ImageNet features: computed once (plain + 3 augmented views), then only the head trains.
    # 160 px: 3 test errors of 613 on face-mask-4k, against 6 at 128 px, for twice the feature cost.
    "mobilenet_v2": Recipe(160, TrainConfig(epochs=15, lr=3e-3)),
    # VGG16 on a CPU costs ~75 ms per 128 px image: two views (plain + augmented) keep the one-off pass short.
    "vgg16": Recipe(128, TrainConfig(epochs=15, lr=1e-3, feature_views=2)),
}


def recipe(backbone: str, **changes: object) -> Recipe:
    """The backbone's recipe, with config fields changed (e.g. epochs=2), checked like any TrainConfig."""
    if backbone not in RECIPES:
        raise ValueError(f"backbone={backbone!r}: expected one of {list(RECIPES)}")
    base = RECIPES[backbone]
    image_size = int(changes.pop("image_size", base.image_size))
    return Recipe(image_size, TrainConfig(**{**asdict(base.config), **changes}))
