"""Grad-CAM (Selvaraju et al., 2017) with plain torch hooks: where in the face does the model look?

The last convolutional feature maps keep a coarse picture of the face (5 x 5 cells for MobileNetV2 at
160 px). Weighting each map by how much it raises the chosen class's score (its mean gradient) and keeping
the positive sum shows which cells drove the answer. A mask model should light up the mouth and nose.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from helpers.augment import eval_batch
from helpers.data import CLASS_NAMES


def last_conv_layer(model: nn.Module) -> nn.Module:
    """The last Conv2d of the feature extractor: its maps still know where things are in the image."""
    convolutions = [module for module in model.modules() if isinstance(module, nn.Conv2d)]
    if not convolutions:
        raise ValueError(f"{type(model).__name__} has no Conv2d layer to explain")
    return convolutions[-1]


def grad_cam(
    model: nn.Module,
    images: torch.Tensor,
    image_size: int,
    target: str | None = None,
    layer: nn.Module | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Heat maps (N x image_size x image_size, each scaled to 0-1) and probabilities (N x classes).

    images are uint8 N x 3 x H x W. target is the class to explain ("mask" or "no_mask"); None explains each
    image's predicted class. Works with frozen backbones: gradients are taken w.r.t. the activations only.
    """
    layer = layer or last_conv_layer(model)
    device = next(model.parameters()).device
    saved: dict[str, torch.Tensor] = {}

    def keep_activation(_module: nn.Module, _inputs: tuple, output: torch.Tensor) -> None:
        saved["activation"] = output
        output.register_hook(lambda grad: saved.__setitem__("gradient", grad))

    handle = layer.register_forward_hook(keep_activation)
    was_training = model.training
    model.eval()
    try:
        batch = eval_batch(images.to(device), image_size).requires_grad_(
            True
        )  # so frozen layers pass gradients
        with torch.enable_grad():
            logits = model(batch)
            classes = (
                logits.argmax(dim=1)
                if target is None
                else torch.full((len(images),), CLASS_NAMES.index(target), device=device)
            )
            logits.gather(1, classes[:, None]).sum().backward()
    finally:
        handle.remove()
        model.train(was_training)
        model.zero_grad(set_to_none=True)
    weights = saved["gradient"].mean(dim=(2, 3), keepdim=True)
    cam = F.relu((weights * saved["activation"]).sum(dim=1, keepdim=True))
    cam = F.interpolate(cam, size=(image_size, image_size), mode="bilinear", align_corners=False)[:, 0]
    peak = cam.flatten(1).amax(dim=1).clamp(min=1e-8)[:, None, None]
    return (cam / peak).detach().cpu().numpy(), logits.softmax(dim=1).detach().cpu().numpy()


def lower_face_share(heatmaps: np.ndarray, start: float = 0.5) -> np.ndarray:
    """Share of each heat map's mass in the lower part of the crop (below start): mouth, nose, chin."""
    cut = round(heatmaps.shape[1] * start)
    total = heatmaps.sum(axis=(1, 2)).clip(min=1e-8)
    return heatmaps[:, cut:].sum(axis=(1, 2)) / total


def overlay(image: np.ndarray, heatmap: np.ndarray, alpha: float = 0.45) -> np.ndarray:
    """The heat map in colour (matplotlib's jet) over an RGB uint8 image of the same size."""
    from matplotlib import colormaps

    colours = colormaps["jet"](heatmap)[..., :3] * 255
    return np.clip((1 - alpha) * image + alpha * colours, 0, 255).astype(np.uint8)
