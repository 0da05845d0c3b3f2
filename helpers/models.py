"""The course's models as lessons 02 and 03 write them, built by name: ``features`` then a ``head``."""

from collections import OrderedDict

import torch
import torchvision
from torch import nn

from helpers.constants import ALL_CLASS_NAMES, CLASS_NAMES
from helpers.weights import IMAGENET_WEIGHTS, ensure_weights_file, imagenet_description

BACKBONES: tuple[str, ...] = ("cnn", "vgg16", "mobilenet_v2")


# Kept identical in notebooks/02_cnn_from_scratch.ipynb (the lesson writes it).
def conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """3x3 convolution (local patterns: edges, then straps and folds) -> BatchNorm -> ReLU -> half size."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


# Kept identical in notebooks/02_cnn_from_scratch.ipynb (the lesson writes it).
def init_weights(module: nn.Module) -> None:
    """He initialisation for convolutions followed by ReLU; BatchNorm starts as 'change nothing'."""
    if isinstance(module, nn.Conv2d):
        nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, 0, 0.01)
        nn.init.zeros_(module.bias)


# Kept identical in notebooks/02_cnn_from_scratch.ipynb (the lesson writes it).
class SmallCNN(nn.Module):
    """Conv blocks that halve the image and double the channels, average pooling, one linear layer."""

    def __init__(self, channels: tuple[int, ...] = (16, 32, 64, 128, 256), dropout: float = 0.3) -> None:
        super().__init__()
        widths = zip((3, *channels[:-1]), channels, strict=True)
        blocks = [conv_block(c_in, c_out) for c_in, c_out in widths]
        self.features = nn.Sequential(*blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(channels[-1], len(CLASS_NAMES)))
        self.apply(init_weights)  # runs init_weights on every layer

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images))


# Kept identical in notebooks/03_transfer_learning_vgg16.ipynb (the lesson writes it).
def new_classifier(in_features: int, hidden: int = 256, dropout: float = 0.5) -> nn.Sequential:
    """The classic transfer-learning head: a hidden layer, dropout against overfitting, two class scores."""
    return nn.Sequential(
        nn.Dropout(dropout / 2),
        nn.Linear(in_features, hidden),
        nn.ReLU(inplace=True),
        nn.Dropout(dropout),
        nn.Linear(hidden, len(CLASS_NAMES)),
    )


# Kept identical in notebooks/03_transfer_learning_vgg16.ipynb (the lesson writes it).
def frozen_backbone_classifier(net: nn.Module, head: nn.Module) -> nn.Sequential:
    """An ImageNet network's convolution layers, frozen, then a new classifier: only the head will learn."""
    features = nn.Sequential(*net.features, nn.AdaptiveAvgPool2d(1), nn.Flatten())
    features.requires_grad_(False)  # no gradients: ImageNet's filters stay exactly as they are
    return nn.Sequential(OrderedDict(features=features, head=head))


def build_model(
    backbone: str, pretrained: bool = True, seed: int = 0, classes: int = len(CLASS_NAMES), **options: object
) -> nn.Module:
    """A fresh course model by name and seed, its weights labelled: ImageNet's (sha256-checked) or random."""
    if backbone not in BACKBONES:
        raise ValueError(f"backbone={backbone!r}: expected one of {list(BACKBONES)}")
    if backbone == "cnn" and pretrained:
        raise ValueError("backbone='cnn' is trained from scratch: there are no pretrained weights")
    if classes not in (len(CLASS_NAMES), len(ALL_CLASS_NAMES)):
        raise ValueError(f"classes={classes!r}: expected 2 or 3")
    weights = IMAGENET_WEIGHTS[backbone] if pretrained else None
    if weights is not None:
        ensure_weights_file(weights)  # offline: a checked copy placed where torch.hub looks
    with torch.random.fork_rng(devices=[]):  # the seed's weights; the notebook's random numbers untouched
        torch.manual_seed(seed)
        if backbone == "cnn":
            model = SmallCNN(**options)
        elif backbone == "vgg16":  # lesson 03's head; MobileNetV2 keeps torchvision's one-layer classifier
            model = frozen_backbone_classifier(torchvision.models.vgg16(weights=weights), new_classifier(512))
        else:
            net = torchvision.models.mobilenet_v2(weights=weights)
            head = nn.Sequential(nn.Dropout(0.2), nn.Linear(net.last_channel, len(CLASS_NAMES)))
            model = frozen_backbone_classifier(net, head)
        if classes != len(CLASS_NAMES):  # the three-class mode: a new last layer, one output per class
            model.head[-1] = nn.Linear(model.head[-1].in_features, classes)
            options["classes"] = classes  # saved with the checkpoint, so it is rebuilt the same
    start = "trained from scratch" if backbone == "cnn" else "not pretrained"
    model.weights = imagenet_description(backbone) if pretrained else f"random initialisation ({start})"
    model.backbone, model.options, model.class_names = backbone, dict(options), ALL_CLASS_NAMES[:classes]
    return model


def unfreeze_last_blocks(model: nn.Module, blocks: int) -> None:
    """Fine-tuning (stage 2): the last `blocks` layers of the features learn again, with the head."""
    layers = [layer for layer in model.features if any(True for _ in layer.parameters())]
    if not isinstance(blocks, int) or not 0 <= blocks <= len(layers):
        raise ValueError(f"fine_tune_blocks={blocks!r}: expected a whole number from 0 to {len(layers)}")
    for layer in layers[len(layers) - blocks :]:
        layer.requires_grad_(True)
