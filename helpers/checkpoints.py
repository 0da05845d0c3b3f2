"""Checkpoint files: a model with all it takes to rebuild and use it offline, read back with clear errors."""

from pathlib import Path

import torch
from torch import nn

from helpers.constants import ALL_CLASS_NAMES, CLASS_NAMES, IMAGENET_MEAN, IMAGENET_STD
from helpers.downloads import looks_like_html
from helpers.models import build_model

CHECKPOINT_FORMAT = "face-mask-course checkpoint v2"


class CheckpointError(ValueError):
    """A checkpoint that cannot be used here; the message names the file and what was expected."""


def atomic_save(payload: dict, path: Path) -> None:
    """Write beside the target, then rename: a crash mid-save never leaves a broken checkpoint."""
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(payload, path.with_name(path.name + ".tmp"))
    path.with_name(path.name + ".tmp").replace(path)


def save_checkpoint(path: str | Path, model: nn.Module, data: dict, history: list, **facts: object) -> Path:
    """The model as it is now, recorded as the best epoch (history's last row, or facts["best"])."""
    best = facts.pop("best", None) or history[-1]
    labels = {key: getattr(model, key) for key in ("backbone", "weights", "options") if hasattr(model, key)}
    payload = {"format": CHECKPOINT_FORMAT, "config": {}, **labels, **facts, "data": data}
    payload |= {
        "class_names": list(getattr(model, "class_names", CLASS_NAMES)),
        "image_size": data["image_size"],
        "normalization": {"mean": list(IMAGENET_MEAN), "std": list(IMAGENET_STD)},
        "trainable": [name for name, p in model.named_parameters() if p.requires_grad],
        "torch": str(torch.__version__),
        "model": model.state_dict(),
        "epoch": best["epoch"],
        "metrics": best,
        "history": list(history),
    }
    atomic_save(payload, Path(path))
    return Path(path)


def resume_path(checkpoint: Path) -> Path:
    """The last epoch's full state (with the optimizer) beside the best checkpoint."""
    return checkpoint.with_name(checkpoint.stem + ".resume" + checkpoint.suffix)


def read_checkpoint(path: str | Path) -> dict:
    """The one torch.load of the course: a checkpoint's dictionary, or a CheckpointError saying what it is."""
    path = Path(path)
    if not path.is_file():
        what = "is a folder, expected a checkpoint file (.pt)" if path.is_dir() else "no such file"
        raise CheckpointError(f"{path}: {what}. Train a model first (lessons 02-04 or helpers.train).")
    if looks_like_html(path):
        raise CheckpointError(f"{path}: an HTML page, not a checkpoint (a web page saved under this name)")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - torch raises many types (and pages of text) for a foreign file
        onnx = path.read_bytes()[:3:2] == b"\x08\x12"  # ONNX's protobuf: ir_version (08 ..), producer (12)
        what = "an ONNX model, not a PyTorch checkpoint" if onnx else "truncated or corrupt: copy it again"
        raise CheckpointError(f"{path}: not a readable checkpoint ({what})") from None
    saved = payload.get("format") if isinstance(payload, dict) else None
    if saved == CHECKPOINT_FORMAT:
        return payload
    bare = isinstance(payload, dict) and all(isinstance(v, torch.Tensor) for v in payload.values())
    what = "a bare state_dict: weights without backbone and classes" if bare else f"format {saved!r}"
    raise CheckpointError(f"{path}: a PyTorch file but not a course checkpoint ({what})")


def checkpoint_files(folder: Path) -> list[Path]:
    """Model checkpoints (*.pt) in folder, without fit()'s <name>.resume.pt and <name>.previous.pt files."""
    return sorted(p for p in Path(folder).glob("*.pt") if not p.stem.endswith((".resume", ".previous")))


def load_checkpoint(path: str | Path, device: str = "cpu") -> tuple[nn.Module, dict]:
    """A trained model in eval mode, rebuilt without downloading anything, and its checkpoint's facts."""
    payload = read_checkpoint(path)
    if tuple(payload["class_names"]) not in (CLASS_NAMES, ALL_CLASS_NAMES):
        expected = f"{list(CLASS_NAMES)} or {list(ALL_CLASS_NAMES)}"
        raise CheckpointError(f"{path}: classes {payload['class_names']}, but the course predicts {expected}")
    model = build_model(payload["backbone"], pretrained=False, **payload.get("options", {}))
    try:
        model.load_state_dict(payload.pop("model"))
    except (RuntimeError, KeyError) as exc:
        raise CheckpointError(f"{path}: weights that do not fit its {payload['backbone']} ({exc})") from None
    model.weights, model.class_names = payload["weights"], tuple(payload["class_names"])
    return model.to(device).eval(), payload | {"path": Path(path)}
