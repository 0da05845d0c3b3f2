"""Pixels into model inputs, one way everywhere: lesson 01's transforms, the one resize, batches, and
`small_faces`, which makes training faces look like the small faces of crowd photos (lesson 09)."""

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
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


def resize_square(image: np.ndarray | Image.Image, size: int) -> np.ndarray:
    """Any RGB image -> uint8 size x size x 3, squashed (no crop cuts chin or mask); the one resize."""
    picture = image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image, np.uint8))
    return np.asarray(picture.convert("RGB").resize((size, size), Image.Resampling.BILINEAR))


def to_batch(images: Sequence[np.ndarray | Image.Image], size: int) -> torch.Tensor:
    """Pictures of any size -> uint8 N x 3 x size x size, the layout of the training cache."""
    stacked = np.stack([resize_square(image, size) for image in images])  # callers handle no pictures
    return torch.from_numpy(stacked).permute(0, 3, 1, 2).contiguous()


def eval_batch(
    images: torch.Tensor, mean: Sequence[float] = IMAGENET_MEAN, std: Sequence[float] = IMAGENET_STD
) -> torch.Tensor:
    """uint8 N x 3 x S x S -> normalised floats: eval_transform for a whole batch (the same functions)."""
    batch = v2.functional.to_dtype(images, torch.float32, scale=True)
    return v2.functional.normalize(batch, list(mean), list(std)).contiguous(memory_format=torch.channels_last)


def denormalize(batch: torch.Tensor) -> torch.Tensor:
    """Normalised floats (one image or a batch) back to 0-1, for showing what the network sees."""
    mean, std = torch.tensor(IMAGENET_MEAN).view(-1, 1, 1), torch.tensor(IMAGENET_STD).view(-1, 1, 1)
    return (batch.cpu() * std + mean).clamp(0, 1)


def small_faces(share: float, size: int) -> v2.RandomApply:
    """For a `share` of uint8 size x size training images, the look of a crowd photo's small face (median
    22 px in face-mask-scenes): shrunk to 12-40 px and grown back, the detail gone, then JPEG-compressed."""
    shrink = v2.RandomResize(12, 41, antialias=True)  # a width from 12 to 40 px
    return v2.RandomApply([shrink, v2.Resize((size, size), antialias=False), _jpeg], p=share)


def _jpeg(image: torch.Tensor) -> torch.Tensor:
    """PIL's JPEG of a uint8 image, at a quality from 25 to 85 (torch's generator draws it), as on the web."""
    buffer = io.BytesIO()
    v2.functional.to_pil_image(image).save(buffer, "JPEG", quality=int(torch.randint(25, 86, ())))
    return v2.functional.pil_to_tensor(Image.open(buffer).convert("RGB"))
