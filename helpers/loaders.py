"""Feeding batches to a model: lesson 01's Dataset and DataLoaders, and the faster batched paths fit() uses.

`FaceDataset` and `make_loaders` are written in lesson 01 and kept identical here (a test checks). They
augment one image at a time, as torchvision's transforms do. `AugmentedBatches` applies the same augmentation
(helpers.preprocess.augment_batch) to a whole batch at once on the training device; lesson 04 measures what
that saves. `FeatureBatches` serves a frozen backbone's stored outputs (lesson 03).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import torch
from torch.utils.data import DataLoader, Dataset

from helpers.constants import CLASS_NAMES, SPLITS
from helpers.preprocess import (
    AUGMENTATION,
    Augmentation,
    augment_batch,
    degrade,
    eval_batch,
    eval_transform,
    train_transform,
)

if TYPE_CHECKING:  # for type hints only: predicting must not import the data scanner
    from helpers.data import CourseData


# Kept identical in notebooks/01_data_loaders_and_augmentation.ipynb (the lesson writes it).
class FaceDataset(Dataset):
    """Decoded images and their labels; the transform runs every time an image is read (every epoch)."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, transform: Callable | None = None) -> None:
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image = self.images[index]
        if self.transform is not None:
            image = self.transform(image)
        return image, int(self.labels[index])


# Kept identical in notebooks/01_data_loaders_and_augmentation.ipynb (the lesson writes it).
def make_loaders(data: CourseData, batch_size: int = 64, num_workers: int = 0) -> dict[str, DataLoader]:
    """Shuffled, augmented batches for training; fixed order and no randomness for validation and test."""
    loaders = {}
    for split in SPLITS:
        training = split == "train"
        transform = train_transform(data.image_size) if training else eval_transform(data.image_size)
        dataset = FaceDataset(data.splits[split].images, data.splits[split].labels, transform)
        loaders[split] = DataLoader(dataset, batch_size, shuffle=training, num_workers=num_workers)
    return loaders


# ----------------------------------------------------------------------------------------------- batched
# Kept identical in notebooks/04_training_and_validation.ipynb (the lesson writes it).
def class_weights(labels: torch.Tensor, n_classes: int = len(CLASS_NAMES)) -> torch.Tensor:
    """Inverse class frequency, averaging 1 over the images: each class weighs the same in total."""
    counts = torch.bincount(labels, minlength=n_classes).float().clamp(min=1)
    return counts.sum() / (n_classes * counts)


def epoch_order(labels: torch.Tensor, balanced: bool, generator: torch.Generator) -> torch.Tensor:
    """Shuffled indices for one epoch; balanced draws each class equally often (with replacement)."""
    if not balanced:
        return torch.randperm(len(labels), generator=generator)
    weights = class_weights(labels.cpu())[labels.cpu()]
    return torch.multinomial(weights, len(labels), replacement=True, generator=generator)


class EpochBatches:
    """Batches for one epoch per pass. With shuffle, each pass draws its order, augmentation and dropout from
    the seed and the epoch number, so a run resumed after epoch k repeats what the uninterrupted run did."""

    def __init__(
        self,
        labels: torch.Tensor,
        batch_size: int,
        seed: int = 0,
        balanced: bool = False,
        shuffle: bool = True,
    ) -> None:
        self.labels, self.batch_size, self.seed = labels, batch_size, seed
        self.balanced, self.shuffle = balanced, shuffle
        self.groups: torch.Tensor | None = None  # what a balanced order balances (default: the labels)
        self.epoch = 0  # passes made so far; set it to resume

    def __len__(self) -> int:
        return math.ceil(len(self.labels) / self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        self.epoch += 1
        generator = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        if self.shuffle:
            torch.manual_seed(self.seed * 100_003 + self.epoch)  # dropout inside the model
            groups = self.labels if self.groups is None else self.groups
            order = epoch_order(groups, self.balanced, generator).to(self.labels.device)
        else:
            order = torch.arange(len(self.labels), device=self.labels.device)
        for start in range(0, len(order), self.batch_size):
            index = order[start : start + self.batch_size]
            yield self.inputs(index, generator), self.labels[index]

    def inputs(self, index: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        raise NotImplementedError


class AugmentedBatches(EpochBatches):
    """Batches cut from a uint8 image tensor and augmented as a whole on its device (fast on CPU and GPU);
    aug=None gives the plain, normalised images."""

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        size: int,
        batch_size: int,
        aug: Augmentation | None = AUGMENTATION,
        seed: int = 0,
        balanced: bool = False,
        shuffle: bool = True,
    ) -> None:
        super().__init__(labels, batch_size, seed, balanced, shuffle)
        self.images, self.size, self.aug = images, size, aug
        self.degrade = 0.0  # share of images made to look like small crowd-photo faces (preprocess.degrade)

    def inputs(self, index: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        images = self.images[index]
        if self.aug is None:
            return eval_batch(images)
        images = degrade(images, self.degrade, generator)
        return augment_batch(images, self.size, generator, self.aug)


class FeatureBatches(EpochBatches):
    """A frozen backbone's stored outputs: views x N x ..., one random view per image and epoch (view 0 is
    the plain image, the others augmented copies)."""

    def __init__(
        self,
        views: torch.Tensor,
        labels: torch.Tensor,
        batch_size: int,
        seed: int = 0,
        balanced: bool = False,
        shuffle: bool = True,
    ) -> None:
        super().__init__(labels, batch_size, seed, balanced, shuffle)
        self.views = views

    def inputs(self, index: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        view = torch.randint(len(self.views), (len(index),), generator=generator).to(index.device)
        return self.views[view, index].float()


def eval_batches(images: torch.Tensor, labels: torch.Tensor, batch_size: int = 64) -> AugmentedBatches:
    """Fixed-order, normalised, unaugmented batches of uint8 images: validation and testing."""
    return AugmentedBatches(images, labels, images.shape[-1], batch_size, aug=None, shuffle=False)
