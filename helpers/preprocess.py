"""One owner for turning pixels into model inputs, for training, evaluation, inference, export and the CLIs.

Lesson 01 writes `Augmentation`, `train_transform` and `eval_transform` (kept identical here: a test checks).
Everything that feeds a model goes through `resize_square` and `eval_batch`, so a face gets the same tensor
whether it comes from the training cache, a photo, the command line or a video frame.

`augment_batch` is lesson 01's augmentation for a whole batch at once (lesson 04 measures the speed-up): it
reads the same `Augmentation`, draws the same random parameters per image, and applies the same operations in
the same order as `train_transform` (tests/test_preprocess.py checks both give the same image for the same
draw), so what lesson 01 previews is what training applies.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torchvision.transforms import v2

from helpers.constants import IMAGENET_MEAN, IMAGENET_STD


# Kept identical in notebooks/01_data_loaders_and_augmentation.ipynb (the lesson writes it).
@dataclass(frozen=True)
class Augmentation:
    """How far a training image may change: each epoch draws new values from these ranges."""

    crop_scale: tuple[float, float] = (0.7, 1.0)  # share of the image's area a random crop keeps
    aspect: tuple[float, float] = (0.85, 1.18)  # width / height of that crop, before it is resized
    flip: float = 0.5  # chance of a mirror image
    brightness: tuple[float, float] = (0.7, 1.3)  # multiplies the pixel values
    contrast: tuple[float, float] = (0.7, 1.3)
    saturation: tuple[float, float] = (0.7, 1.3)  # 0 would be grey, 1 unchanged
    hue: tuple[float, float] = (-0.05, 0.05)  # turns of the colour wheel: masks come in every colour
    grayscale: float = 0.1  # chance of a black-and-white image


AUGMENTATION = Augmentation()


# Kept identical in notebooks/01_data_loaders_and_augmentation.ipynb (the lesson writes it).
def train_transform(size: int, aug: Augmentation = AUGMENTATION) -> v2.Compose:
    """A new random crop, mirror image and lighting every epoch: the model must learn masks, not photos."""
    return v2.Compose(
        [
            v2.ToDtype(torch.float32, scale=True),  # uint8 0-255 -> float 0.0-1.0
            v2.RandomResizedCrop(size, scale=aug.crop_scale, ratio=aug.aspect, antialias=True),
            v2.RandomHorizontalFlip(aug.flip),
            v2.ColorJitter(brightness=aug.brightness),  # one change per step keeps the order fixed
            v2.ColorJitter(contrast=aug.contrast),
            v2.ColorJitter(saturation=aug.saturation),
            v2.ColorJitter(hue=aug.hue),
            v2.RandomGrayscale(aug.grayscale),
            v2.Normalize(IMAGENET_MEAN, IMAGENET_STD),  # the scale ImageNet backbones were trained on
        ]
    )


# Kept identical in notebooks/01_data_loaders_and_augmentation.ipynb (the lesson writes it).
def eval_transform(size: int) -> v2.Compose:
    """No randomness for validation, testing and use: the same image always gives the same numbers."""
    return v2.Compose(
        [
            v2.ToDtype(torch.float32, scale=True),
            v2.Resize((size, size), antialias=True),  # cached images are already this size: no change
            v2.Normalize(IMAGENET_MEAN, IMAGENET_STD),
        ]
    )


# ----------------------------------------------------------------------------------------------- pixels
def resize_square(image: np.ndarray | Image.Image, size: int) -> np.ndarray:
    """Any RGB image -> uint8 size x size x 3, squashed to a square (faces keep chin and mask; no crop cuts
    them). The one resize of the course: the training cache, inference, export checks and the CLIs use it."""
    picture = image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image, np.uint8))
    return np.asarray(picture.convert("RGB").resize((size, size), Image.Resampling.BILINEAR))


def to_batch(images: Sequence[np.ndarray | Image.Image], size: int) -> torch.Tensor:
    """Pictures of any size -> uint8 N x 3 x size x size, the layout of the training cache."""
    if not images:
        return torch.zeros(0, 3, size, size, dtype=torch.uint8)
    stacked = np.stack([resize_square(image, size) for image in images])
    return torch.from_numpy(stacked).permute(0, 3, 1, 2).contiguous()


def eval_batch(
    images: torch.Tensor, mean: Sequence[float] = IMAGENET_MEAN, std: Sequence[float] = IMAGENET_STD
) -> torch.Tensor:
    """uint8 N x 3 x S x S -> normalised floats: eval_transform for a whole batch (the same functions)."""
    batch = v2.functional.to_dtype(images, torch.float32, scale=True)
    return v2.functional.normalize(batch, list(mean), list(std)).contiguous(memory_format=torch.channels_last)


def denormalize(
    batch: torch.Tensor, mean: Sequence[float] = IMAGENET_MEAN, std: Sequence[float] = IMAGENET_STD
) -> torch.Tensor:
    """Normalised floats back to 0-1, for showing what the network sees."""
    shape = (-1, 1, 1) if batch.dim() == 3 else (1, -1, 1, 1)
    mean_t, std_t = torch.tensor(mean).view(shape), torch.tensor(std).view(shape)
    return (batch.cpu() * std_t + mean_t).clamp(0, 1)


# ----------------------------------------------------------------------------------------------- batches
@dataclass
class AugmentDraw:
    """The random values behind one augmentation of n images: integer crop boxes as RandomResizedCrop
    draws them, then a flip, colour factors and a greyscale choice per image."""

    boxes: torch.Tensor  # n x 4: top, left, height, width in pixels
    flip: torch.Tensor  # n, bool
    brightness: torch.Tensor  # n
    contrast: torch.Tensor
    saturation: torch.Tensor
    hue: torch.Tensor
    grayscale: torch.Tensor  # n, bool


def _uniform(n: int, bounds: tuple[float, float], generator: torch.Generator) -> torch.Tensor:
    low, high = bounds
    return low + (high - low) * torch.rand(n, generator=generator, dtype=torch.float64)


def _crop_boxes(n: int, side: int, aug: Augmentation, generator: torch.Generator) -> torch.Tensor:
    """RandomResizedCrop's draw for n square images: up to 10 tries for a crop that fits, else the image."""
    tries = 10
    area = side * side * _uniform(n * tries, aug.crop_scale, generator)
    log_ratio = _uniform(n * tries, (np.log(aug.aspect[0]), np.log(aug.aspect[1])), generator)
    width = torch.round(torch.sqrt(area * log_ratio.exp())).long().view(n, tries)
    height = torch.round(torch.sqrt(area / log_ratio.exp())).long().view(n, tries)
    fits = (width > 0) & (width <= side) & (height > 0) & (height <= side)
    first = fits.long().argmax(dim=1)
    rows = torch.arange(n)
    width = torch.where(fits.any(dim=1), width[rows, first], side)
    height = torch.where(fits.any(dim=1), height[rows, first], side)
    top = (torch.rand(n, generator=generator) * (side - height + 1)).long()
    left = (torch.rand(n, generator=generator) * (side - width + 1)).long()
    return torch.stack([top, left, height, width], dim=1)


def draw_augmentation(
    n: int, side: int, aug: Augmentation = AUGMENTATION, generator: torch.Generator | None = None
) -> AugmentDraw:
    """Random values for n images of side x side pixels; a seeded generator repeats them exactly."""
    generator = generator or torch.Generator().manual_seed(int(torch.randint(2**31, (1,))))
    return AugmentDraw(
        boxes=_crop_boxes(n, side, aug, generator),
        flip=torch.rand(n, generator=generator) < aug.flip,
        brightness=_uniform(n, aug.brightness, generator).float(),
        contrast=_uniform(n, aug.contrast, generator).float(),
        saturation=_uniform(n, aug.saturation, generator).float(),
        hue=_uniform(n, aug.hue, generator).float(),
        grayscale=torch.rand(n, generator=generator) < aug.grayscale,
    )


def _grey(batch: torch.Tensor) -> torch.Tensor:
    """torchvision's luminance weights, so colour changes match its ColorJitter."""
    r, g, b = batch.unbind(dim=1)
    return (0.2989 * r + 0.587 * g + 0.114 * b).unsqueeze(1)


def _blend(batch: torch.Tensor, other: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    factor = factor.view(-1, 1, 1, 1)
    return (batch * factor + other * (1 - factor)).clamp(0, 1)


def _shift_hue(batch: torch.Tensor, turns: torch.Tensor) -> torch.Tensor:
    """Hue rotation through HSV, per image, as torchvision's adjust_hue does it."""
    value, _ = batch.max(dim=1)
    low, _ = batch.min(dim=1)
    spread = value - low
    same = spread == 0
    saturation = spread / torch.where(same, torch.ones_like(value), value)
    divisor = torch.where(same, torch.ones_like(spread), spread).unsqueeze(1)
    rc, gc, bc = ((value.unsqueeze(1) - batch) / divisor).unbind(dim=1)
    r, g, _ = batch.unbind(dim=1)
    max_r, max_g = value == r, (value == g) & (value != r)
    hue = torch.where(max_r, bc - gc, torch.where(max_g, 2.0 + rc - bc, 4.0 + gc - rc))
    hue = (hue / 6.0 + 1.0).fmod(1.0)
    hue = (hue + turns.view(-1, 1, 1)).remainder(1.0)
    sector = torch.floor(hue * 6)
    fraction = hue * 6 - sector
    sector = sector.long().remainder(6)
    p = (value * (1 - saturation)).clamp(0, 1)
    q = (value * (1 - saturation * fraction)).clamp(0, 1)
    t = (value * (1 - saturation * (1 - fraction))).clamp(0, 1)
    table = torch.stack([value, p, q, t], dim=1)
    select = torch.tensor([[0, 2, 1, 1, 3, 0], [3, 0, 0, 2, 1, 1], [1, 1, 3, 0, 0, 2]], device=batch.device)
    return table.gather(1, select[:, sector].permute(1, 0, 2, 3))


def _crop_grid(boxes: torch.Tensor, flip: torch.Tensor, side: int, size: int) -> torch.Tensor:
    """One sampling grid per image that cuts its crop box (mirrored where flip) and resizes it to size x size:
    RandomResizedCrop and RandomHorizontalFlip for a whole batch. Positions beyond the box's edge pixels are
    clamped to them, as when the crop is cut out first."""
    top, left, height, width = boxes.float().unbind(dim=1)
    n = len(boxes)
    theta = torch.zeros(n, 2, 3, device=boxes.device)
    theta[:, 0, 0] = torch.where(flip, -1.0, 1.0) * width / side
    theta[:, 0, 2] = (2 * left + width) / side - 1
    theta[:, 1, 1] = height / side
    theta[:, 1, 2] = (2 * top + height) / side - 1
    grid = F.affine_grid(theta, [n, 3, size, size], align_corners=False)
    for axis, (start, extent) in enumerate(((left, width), (top, height))):
        first, last = (2 * start + 1) / side - 1, (2 * (start + extent) - 1) / side - 1
        clamped = torch.maximum(grid[..., axis], first.view(-1, 1, 1))
        grid[..., axis] = torch.minimum(clamped, last.view(-1, 1, 1))
    return grid


def apply_augmentation(images: torch.Tensor, draw: AugmentDraw, size: int) -> torch.Tensor:
    """Crop, flip, brightness, contrast, saturation, hue and greyscale in train_transform's order, then
    ImageNet normalisation, for a uint8 batch of square images."""
    device = images.device
    draw = AugmentDraw(*(getattr(draw, name).to(device) for name in AugmentDraw.__dataclass_fields__))
    batch = v2.functional.to_dtype(images, torch.float32, scale=True)
    grid = _crop_grid(draw.boxes, draw.flip, images.shape[-1], size)
    batch = F.grid_sample(batch, grid, mode="bilinear", padding_mode="border", align_corners=False)
    batch = _blend(batch, torch.zeros_like(batch), draw.brightness)
    batch = _blend(batch, _grey(batch).mean(dim=(1, 2, 3), keepdim=True), draw.contrast)
    batch = _blend(batch, _grey(batch), draw.saturation)
    batch = _shift_hue(batch, draw.hue)
    batch = torch.where(draw.grayscale.view(-1, 1, 1, 1), _grey(batch).expand_as(batch), batch)
    normalized = v2.functional.normalize(batch, list(IMAGENET_MEAN), list(IMAGENET_STD))
    return normalized.contiguous(memory_format=torch.channels_last)


def augment_batch(
    images: torch.Tensor, size: int, generator: torch.Generator, aug: Augmentation = AUGMENTATION
) -> torch.Tensor:
    """train_transform for a whole uint8 batch at once, on the batch's device; random values come from
    generator (on the CPU), so a seed fixes the augmentation on any device. Crops are only ever enlarged, as
    when the data is cached at the training size (load_course_data(image_size=size)): shrinking would need
    the antialiasing that RandomResizedCrop adds and one sampling grid does not."""
    if images.shape[-1] > size:
        raise ValueError(
            f"images of {images.shape[-1]} px for size={size}: augment_batch enlarges crops only; load the "
            f"data at the training size (load_course_data(image_size={size}))"
        )
    return apply_augmentation(images, draw_augmentation(len(images), images.shape[-1], aug, generator), size)


# ----------------------------------------------------------------------------------------------- small faces
LOW_RES_PX: tuple[int, int] = (12, 40)  # widths crowd-photo faces have (face-mask-scenes: median 22 px)
JPEG_QUALITY: tuple[int, int] = (25, 85)


def degrade(images: torch.Tensor, share: float, generator: torch.Generator) -> torch.Tensor:
    """The look of a small face in a crowd photo, for a share of a uint8 batch: shrunk to 12-40 px and grown
    back (the detail is gone, as when a 20-px face is cropped and resized), then JPEG-compressed."""
    if share <= 0:
        return images
    chosen = torch.nonzero(torch.rand(len(images), generator=generator) < share).flatten().tolist()
    if not chosen:
        return images
    out = images.clone()
    side = images.shape[-1]
    for i in chosen:
        small = int(torch.randint(LOW_RES_PX[0], LOW_RES_PX[1] + 1, (1,), generator=generator))
        quality = int(torch.randint(JPEG_QUALITY[0], JPEG_QUALITY[1] + 1, (1,), generator=generator))
        face = images[i : i + 1].float()
        face = F.interpolate(face, size=(small, small), mode="area")
        face = F.interpolate(face, size=(side, side), mode="bilinear", align_corners=False)
        face = face.round().clamp(0, 255).to(torch.uint8)[0].permute(1, 2, 0).cpu().numpy()
        out[i] = torch.from_numpy(_jpeg(face, quality)).permute(2, 0, 1).to(images.device)
    return out


def _jpeg(pixels: np.ndarray, quality: int) -> np.ndarray:
    """The picture after a round trip through JPEG at this quality (PIL, as photos on the web were saved)."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=quality)
    return np.array(Image.open(buffer).convert("RGB"))  # a writable copy, for torch.from_numpy
