"""Where things live and how the run behaves: quick mode, writable folders, seeds, device, versions."""

from __future__ import annotations

import json
import os
import platform
import random
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch

KAGGLE_INPUT = Path("/kaggle/input")
KAGGLE_WORKING = Path("/kaggle/working")


def quick_mode() -> bool:
    """CI sets MASK_QUICK=1 to shrink data and epochs; learners never need it."""
    return os.environ.get("MASK_QUICK", "").strip().lower() in {"1", "true", "yes", "on"}


def project_root() -> Path | None:
    """The repository folder when helpers is used from a checkout (pip install -e .), else None."""
    candidate = Path(__file__).resolve().parent.parent
    return candidate if (candidate / "pyproject.toml").is_file() else None


def display_path(path: Path) -> str:
    """A path as a reader should see it, never this machine's folders: relative to the work folder or the
    checkout (checkpoints/cnn.pt), else the file or folder's own name (a dataset, a photo of yours)."""
    path = Path(path)
    for base in (work_dir(), project_root()):
        if base is not None and path.is_absolute() and path.is_relative_to(base):
            return path.relative_to(base).as_posix() or "."
    return path.name or str(path)


def work_dir() -> Path:
    """A writable folder for caches, demo data, checkpoints and results.

    Order: MASK_WORK_DIR, then /kaggle/working (Kaggle's input is read-only), then outputs/ in the checkout,
    then ~/.cache/face-mask-course.
    """
    if os.environ.get("MASK_WORK_DIR"):
        path = Path(os.environ["MASK_WORK_DIR"]).expanduser()
    elif KAGGLE_WORKING.is_dir():
        path = KAGGLE_WORKING
    elif project_root() is not None:
        path = project_root() / "outputs"
    else:
        path = Path.home() / ".cache" / "face-mask-course"
    path.mkdir(parents=True, exist_ok=True)
    return path


def seed_everything(seed: int = 0) -> None:
    """Same seed, same shuffles and augmentations, so learners can compare runs."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def pick_device() -> torch.device:
    """cuda, then Apple's mps, then cpu: the fastest device the machine has."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def describe_environment() -> dict[str, str]:
    """Versions and hardware, printed at the top of each notebook so results say where they came from."""
    import cv2
    import matplotlib
    import torchvision

    device = pick_device()
    info = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "numpy": np.__version__,
        "opencv": cv2.__version__,
        "matplotlib": matplotlib.__version__,
        "device": str(device),
        "cpu_threads": str(torch.get_num_threads()),
    }
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def print_environment() -> None:
    for key, value in describe_environment().items():
        print(f"{key:>12}: {value}")


def record_result(notebook: str, results: dict, headline: str = "") -> None:
    """Save a notebook's headline numbers, with the hardware and versions they came from, so `make run`
    can print one short table of the course (a lesson's headline: a few words, "test accuracy 99.5 % of 613")
    and tests/test_lesson_results.py can check them. Returns nothing: it is a lesson's last call, and a
    notebook would show the file's path as the cell's output."""
    folder = work_dir() / "results"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{notebook}.json"
    environment = {**describe_environment(), "quick_mode": str(quick_mode())}
    environment.pop("platform")
    record = {**results, "headline": headline, "environment": environment, "recorded_at": time.time()}
    path.write_text(json.dumps(record, indent=2, default=str))


def progress(iterable: Iterable | None = None, **kwargs: Any) -> Any:
    """tqdm's bar: a widget in JupyterLab; plain text where a saved notebook must show how the bar ended
    (`make run` sets MASK_TEXT_BARS=1: a saved widget keeps only its first state, 0 %). There a bar that
    removes itself when done (leave=False, one per epoch) is not drawn: its end state is nothing."""
    if os.environ.get("MASK_TEXT_BARS"):
        from tqdm.std import tqdm

        hidden = kwargs.pop("disable", False) or kwargs.get("leave") is False
        return tqdm(iterable, file=sys.stdout, disable=hidden, **kwargs)
    from tqdm.auto import tqdm

    return tqdm(iterable, **kwargs)
