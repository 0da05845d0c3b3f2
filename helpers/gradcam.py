"""Grad-CAM (Selvaraju et al., 2017), written in lesson 08: where in the face does the model look? The last
convolutional maps, weighted by how much each raises the class's score, show which cells drove the answer."""

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


# Kept identical in notebooks/08_video_and_webcam.ipynb (the lesson writes it).
def grad_cam(model: nn.Module, layer: nn.Module, batch: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
    """Where the evidence for each image's class lies: the layer's maps, weighted by their mean gradient."""
    saved = {}
    hook = layer.register_forward_hook(lambda module, inputs, output: saved.update(maps=output))
    with torch.enable_grad():
        logits = model(batch.requires_grad_(True))  # frozen layers still pass gradients back
        score = logits.gather(1, classes[:, None]).sum()  # each image's score for its class
    hook.remove()
    (gradients,) = torch.autograd.grad(score, saved["maps"])  # how each map cell moves the score
    weights = gradients.mean(dim=(2, 3), keepdim=True)  # one weight per map
    heat = torch.relu((weights * saved["maps"]).sum(dim=1))  # only the evidence *for* the class
    return (heat / heat.flatten(1).amax(dim=1).clamp(min=1e-8)[:, None, None]).detach()


def last_conv_layer(model: nn.Module) -> nn.Module:
    """The last Conv2d of the feature extractor: its maps still know where things are in the image."""
    convolutions = [module for module in model.modules() if isinstance(module, nn.Conv2d)]
    if not convolutions:
        raise ValueError(f"{type(model).__name__} has no Conv2d layer to explain")
    return convolutions[-1]


def upsample(heat: torch.Tensor, size: int) -> np.ndarray:
    """Coarse maps (N x h x w) -> N x size x size, smoothly, to lay over the pictures."""
    return F.interpolate(heat[:, None].float().cpu(), size=(size, size), mode="bilinear")[:, 0].numpy()


def lower_face_share(heatmaps: np.ndarray, start: float = 0.5) -> np.ndarray:
    """Share of each heat map's mass in the lower part of the crop (below start): mouth, nose, chin."""
    lower = heatmaps[:, round(heatmaps.shape[1] * start) :].sum(axis=(1, 2))
    return lower / heatmaps.sum(axis=(1, 2)).clip(min=1e-8)


def overlay(image: np.ndarray, heatmap: np.ndarray, alpha: float = 0.45) -> np.ndarray:
    """The heat map in colour (matplotlib's jet) over an RGB uint8 image of the same size."""
    from matplotlib import colormaps

    colours = colormaps["jet"](heatmap)[..., :3] * 255
    return np.clip((1 - alpha) * image + alpha * colours, 0, 255).astype(np.uint8)
