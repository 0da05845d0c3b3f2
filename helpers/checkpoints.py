"""Checkpoint files: what a trained model is saved with, and reading it back with clear errors.

A checkpoint holds everything needed to use a model later: its backbone and options (to rebuild the
architecture without downloading anything), the weights' origin, classes, input size and normalisation, the
training settings, the history, and a fingerprint of the data and split it was trained on.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import nn

from helpers.constants import ALL_CLASS_NAMES, CLASS_NAMES, IMAGENET_MEAN, IMAGENET_STD, SPLITS
from helpers.models import build_model

if TYPE_CHECKING:  # for type hints only: predicting must not import the data scanner
    from helpers.data import CourseData

CHECKPOINT_FORMAT = "face-mask-course checkpoint v2"


class CheckpointError(ValueError):
    """A checkpoint that cannot be used here; the message names the file and what was expected."""


# ----------------------------------------------------------------------------------------------- writing
def atomic_save(payload: dict, path: Path) -> None:
    """Write beside the target, then rename: a crash mid-save never leaves a broken checkpoint."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)


def as_list(data: CourseData | Sequence[CourseData]) -> list[CourseData]:
    """One dataset or several trained together (each split on its own), as a list; several must share the
    image size and class list, which a checkpoint records once."""
    parts = list(data) if isinstance(data, list | tuple) else [data]
    if not parts:
        raise ValueError("data=[]: expected a CourseData, or a list of them to train on together")
    first = parts[0]
    for part in parts[1:]:
        if (part.image_size, part.class_names) != (first.image_size, first.class_names):
            raise ValueError(
                f"datasets trained together need one image size and one class list: {first.image_size} px "
                f"{list(first.class_names)} vs {part.image_size} px {list(part.class_names)}"
            )
    return parts


def data_fingerprint(data: CourseData | Sequence[CourseData]) -> str:
    """Same files and split -> same fingerprint, at any image size: tells which checkpoints fit this data
    (several datasets trained together: all of them, in order)."""
    digest = hashlib.sha256()
    for k, part in enumerate(as_list(data)):
        digest.update((b"\n--\n" if k else b"") + str(part.source.root.resolve()).encode())
        for split in SPLITS:
            for path in part.splits[split].paths:
                digest.update(f"{split}|{Path(path).name}\n".encode())
    return digest.hexdigest()[:16]


def data_facts(data: CourseData | Sequence[CourseData]) -> dict:
    parts = as_list(data)
    return {
        "description": "; ".join(part.source.describe() for part in parts),
        "synthetic": all(part.source.synthetic for part in parts),
        "quick": any("Quick mode" in note for part in parts for note in part.report.notes),
        "fingerprint": data_fingerprint(parts),
        "counts": {split: sum(len(part.splits[split].labels) for part in parts) for split in SPLITS},
    }


def checkpoint_facts(model: nn.Module, data: CourseData | Sequence[CourseData], **facts: object) -> dict:
    """Everything but the weights: how to rebuild the model, what it expects, and what it learned from.
    backbone, weights and options default to the labels build_model gives a model."""
    return {
        "format": CHECKPOINT_FORMAT,
        "backbone": facts.get("backbone") or model.backbone,
        "options": dict(facts.get("options") or getattr(model, "options", {})),
        "weights": facts.get("weights") or model.weights,
        "class_names": list(getattr(model, "class_names", CLASS_NAMES)),
        "image_size": as_list(data)[0].image_size,
        "normalization": {"mean": list(IMAGENET_MEAN), "std": list(IMAGENET_STD)},
        "trainable": [name for name, p in model.named_parameters() if p.requires_grad],
        "config": facts.get("config") or {},
        "data": data_facts(data),
        "torch": str(torch.__version__),
    }


def save_checkpoint(
    path: str | Path,
    model: nn.Module,
    data: CourseData | Sequence[CourseData],
    history: list[dict],
    **facts: object,
) -> Path:
    """The model as it is now, saved as the best epoch: the last row of history, or facts["best"].

    facts: backbone ("cnn", "vgg16", "mobilenet_v2"), weights (where the starting weights came from) and
    options (e.g. channels) for models that build_model did not label; config (the training settings).
    """
    path = Path(path)
    best = facts.pop("best", None) or history[-1]
    payload = checkpoint_facts(model, data, **facts)
    payload |= {
        "model": model.state_dict(),
        "epoch": best["epoch"],
        "metrics": best,
        "history": list(history),
    }
    atomic_save(payload, path)
    return path


def resume_path(checkpoint: Path) -> Path:
    """The last epoch's full state (with the optimizer) beside the best checkpoint."""
    return checkpoint.with_name(checkpoint.stem + ".resume" + checkpoint.suffix)


def backup_previous(checkpoint: Path) -> Path | None:
    """A fresh run never destroys the last run's best model: it is kept as <name>.previous.pt."""
    if not checkpoint.exists():
        return None
    backup = checkpoint.with_name(checkpoint.stem + ".previous" + checkpoint.suffix)
    os.replace(checkpoint, backup)
    return backup


# ----------------------------------------------------------------------------------------------- reading
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
    saved_format = str(payload.get("format")) if isinstance(payload, dict) else ""
    if saved_format.startswith("face-mask-course") and saved_format != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"{path}: saved by an older version of the course ({saved_format}; this one reads "
            f"{CHECKPOINT_FORMAT}): train it again"
        )
    if saved_format != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"{path}: a PyTorch file but not a course checkpoint (expected one saved by save_checkpoint or "
            "fit(); "
            "a bare state_dict or torchvision weights file does not say which backbone and classes it has)"
        )
    return payload


def check_compatible(
    payload: dict, path: Path, backbone: str | None, class_names: tuple[str, ...] | None
) -> None:
    """class_names None: the two-class course or the three-class mode, whichever the checkpoint has."""
    if backbone is not None and payload["backbone"] != backbone:
        raise CheckpointError(
            f"{path}: trained with backbone {payload['backbone']!r}, but {backbone!r} was expected. "
            "Use a checkpoint of that backbone, or build the model to match."
        )
    allowed = (CLASS_NAMES, ALL_CLASS_NAMES) if class_names is None else (tuple(class_names),)
    if tuple(payload["class_names"]) not in allowed:
        raise CheckpointError(
            f"{path}: classes {payload['class_names']}, but this course predicts "
            f"{' or '.join(str(list(c)) for c in allowed)}."
        )


def model_from_checkpoint(payload: dict, path: Path) -> nn.Module:
    """Rebuild the architecture without downloading anything, then load the trained weights."""
    backbone = payload["backbone"]
    model = build_model(backbone, pretrained=False, **payload.get("options", {}))
    try:
        model.load_state_dict(payload["model"])
    except (RuntimeError, KeyError) as exc:
        raise CheckpointError(f"{path}: weights do not fit the {backbone} architecture ({exc})") from None
    model.weights = payload["weights"]
    model.class_names = tuple(payload["class_names"])
    return model


def load_checkpoint(
    path: str | Path,
    backbone: str | None = None,
    class_names: tuple[str, ...] | None = None,
    device: torch.device | str = "cpu",
) -> tuple[nn.Module, dict]:
    """A trained model ready for prediction (eval mode), with its checkpoint's facts (image size, metrics)."""
    path = Path(path)
    payload = read_checkpoint(path)
    check_compatible(payload, path, backbone, class_names)
    model = model_from_checkpoint(payload, path).to(device).eval()
    info = {k: v for k, v in payload.items() if k not in {"model", "optimizer", "scheduler"}}
    info["path"] = path
    return model, info
