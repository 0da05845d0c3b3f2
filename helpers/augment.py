"""Augmentation and normalisation of whole batches on the training device.

Lesson 01's torchvision transforms work one image at a time, which costs ~2 ms per image on a CPU. The same
ideas applied to a whole batch at once (one affine warp, a few multiplications) cost a few milliseconds per
*batch*, and run on the GPU when there is one. fit() uses these; eval_batch() matches eval_transform().
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from helpers.data import IMAGENET_MEAN, IMAGENET_STD

# Ranges match helpers.data.train_transform: crops keep 70-100 % of the area, +-10 degrees, +-30 % lighting.
CROP_SCALE = (0.7, 1.0)
ASPECT = (0.85, 1.18)
MAX_DEGREES = 10.0
LIGHTING = 0.3
HUE = 0.05  # fraction of a full turn of the colour wheel: mask colours vary, so should the training data's
GRAYSCALE_P = 0.1


def normalize(batch: torch.Tensor) -> torch.Tensor:
    """[0, 1] floats -> ImageNet statistics, the inputs pretrained backbones were trained on."""
    mean = torch.tensor(IMAGENET_MEAN, device=batch.device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=batch.device).view(1, 3, 1, 1)
    return (batch - mean) / std


def to_unit(batch: torch.Tensor) -> torch.Tensor:
    """uint8 0-255 -> float 0-1 (float input is taken as already scaled)."""
    return batch.float().div_(255) if batch.dtype == torch.uint8 else batch.float()


def eval_batch(images: torch.Tensor, image_size: int) -> torch.Tensor:
    """Resize (if needed) and normalise; no randomness, so the same image always scores the same."""
    batch = to_unit(images)
    if batch.shape[-2:] != (image_size, image_size):
        batch = F.interpolate(batch, size=(image_size, image_size), mode="bilinear", antialias=True)
    return normalize(batch).contiguous(memory_format=torch.channels_last)


def _uniform(n: int, low: float, high: float, generator: torch.Generator) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=generator)


def random_affine(n: int, generator: torch.Generator) -> torch.Tensor:
    """n affine matrices (crop scale and aspect, shift inside the image, rotation, mirror) for affine_grid."""
    area = _uniform(n, *CROP_SCALE, generator)
    log_ratio = _uniform(n, math.log(ASPECT[0]), math.log(ASPECT[1]), generator)
    ratio = log_ratio.exp()
    scale_x = (area * ratio).sqrt().clamp(max=1.0)
    scale_y = (area / ratio).sqrt().clamp(max=1.0)
    shift_x = (1 - scale_x) * _uniform(n, -1, 1, generator)
    shift_y = (1 - scale_y) * _uniform(n, -1, 1, generator)
    angle = torch.deg2rad(_uniform(n, -MAX_DEGREES, MAX_DEGREES, generator))
    flip = torch.where(torch.rand(n, generator=generator) < 0.5, -1.0, 1.0)
    cos, sin = angle.cos(), angle.sin()
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = cos * scale_x * flip
    theta[:, 0, 1] = -sin * scale_y
    theta[:, 1, 0] = sin * scale_x * flip
    theta[:, 1, 1] = cos * scale_y
    theta[:, 0, 2] = shift_x
    theta[:, 1, 2] = shift_y
    return theta


def _gray(batch: torch.Tensor) -> torch.Tensor:
    weights = torch.tensor([0.299, 0.587, 0.114], device=batch.device).view(1, 3, 1, 1)
    return (batch * weights).sum(dim=1, keepdim=True)


def hue_matrices(turns: torch.Tensor) -> torch.Tensor:
    """3x3 RGB matrices rotating colours around the grey axis (a hue shift without HSV conversion)."""
    angle = 2 * math.pi * turns
    cos, sin = angle.cos().view(-1, 1, 1), angle.sin().view(-1, 1, 1)
    third = 1.0 / 3.0
    root = math.sqrt(third)
    ones = torch.full((3, 3), third)
    cross = torch.tensor([[0.0, -root, root], [root, 0.0, -root], [-root, root, 0.0]])
    return cos * (torch.eye(3) - ones) + ones + sin * cross


def augment_batch(images: torch.Tensor, image_size: int, generator: torch.Generator) -> torch.Tensor:
    """A randomly cropped, tilted, mirrored and relit copy of every image, normalised, channels-last.

    Random numbers come from generator (on the CPU), so a seed fixes the augmentation on any device.
    """
    n = images.shape[0]
    device = images.device
    batch = to_unit(images)
    theta = random_affine(n, generator).to(device)
    grid = F.affine_grid(theta, [n, 3, image_size, image_size], align_corners=False)
    batch = F.grid_sample(batch, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    brightness, contrast, saturation = (
        _uniform(n, 1 - LIGHTING, 1 + LIGHTING, generator).view(n, 1, 1, 1).to(device) for _ in range(3)
    )
    batch = batch * brightness
    mean = _gray(batch).mean(dim=(2, 3), keepdim=True)
    batch = (batch - mean) * contrast + mean
    gray = _gray(batch)
    batch = (batch - gray) * saturation + gray
    hue = hue_matrices(_uniform(n, -HUE, HUE, generator)).to(device)
    batch = torch.einsum("nij,njhw->nihw", hue, batch)
    to_gray = (torch.rand(n, generator=generator) < GRAYSCALE_P).view(n, 1, 1, 1).to(device)
    batch = torch.where(to_gray, _gray(batch).expand_as(batch), batch)
    return normalize(batch.clamp_(0, 1)).contiguous(memory_format=torch.channels_last)
