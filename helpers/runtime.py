"""Where things live and how the run behaves: quick mode, writable folders, seeds, device, versions."""

import json
import os
import platform
import random
import sys
import time
from collections.abc import Iterable
from importlib import import_module
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm
from tqdm.std import tqdm as text_tqdm

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
    """A path as a reader should see it: relative to the work folder or the checkout, else its own name."""
    path = Path(path)
    for base in filter(None, (work_dir(), project_root())):
        if path.is_relative_to(base):  # an absolute path inside it
            return path.relative_to(base).as_posix() or "."
    return path.name or str(path)


def work_dir() -> Path:
    """A writable folder: MASK_WORK_DIR, else /kaggle/working, else the checkout's outputs/, else ~/.cache."""
    fallback = root / "outputs" if (root := project_root()) else Path.home() / ".cache" / "face-mask-course"
    chosen = os.environ.get("MASK_WORK_DIR") or (KAGGLE_WORKING if KAGGLE_WORKING.is_dir() else fallback)
    path = Path(chosen).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def seed_everything(seed: int = 0) -> None:
    """Same seed, same shuffles and augmentations, so learners can compare runs."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def pick_device() -> torch.device:
    """cuda, then Apple's mps, then cpu: the fastest device the machine has."""
    mps = torch.backends.mps.is_available()
    return torch.device("cuda" if torch.cuda.is_available() else "mps" if mps else "cpu")


def describe_environment() -> dict[str, str]:
    """Versions and hardware, so results say where they came from (cv2 and co. imported only when asked)."""
    cv2, torchvision, matplotlib = (import_module(name) for name in ("cv2", "torchvision", "matplotlib"))
    info = {"python": sys.version.split()[0], "platform": platform.platform(), "opencv": cv2.__version__}
    info |= {module.__name__: module.__version__ for module in (torch, torchvision, np, matplotlib)}
    info |= {"device": str(pick_device()), "cpu_threads": str(torch.get_num_threads())}
    return info | ({"gpu": torch.cuda.get_device_name(0)} if torch.cuda.is_available() else {})


def print_environment() -> None:
    """The versions and hardware at the top of each notebook."""
    print("\n".join(f"{key:>12}: {value}" for key, value in describe_environment().items()))


def record_result(notebook: str, results: dict, headline: str = "") -> None:
    """A notebook's headline numbers and hardware, for `make run`'s table (None: a lesson's last call)."""
    environment = {**describe_environment(), "quick_mode": str(quick_mode())}
    del environment["platform"]
    record = {**results, "headline": headline, "environment": environment, "recorded_at": time.time()}
    (work_dir() / "results").mkdir(exist_ok=True)
    (work_dir() / "results" / f"{notebook}.json").write_text(json.dumps(record, indent=2, default=str))


def progress(iterable: Iterable | None = None, **kwargs: Any) -> Any:
    """tqdm's bar; text where a saved notebook shows how it ended (MASK_TEXT_BARS=1): none if leave=False."""
    if os.environ.get("MASK_TEXT_BARS"):
        hidden = kwargs.pop("disable", False) or kwargs.get("leave") is False
        return text_tqdm(iterable, file=sys.stdout, disable=hidden, **kwargs)
    return tqdm(iterable, **kwargs)
