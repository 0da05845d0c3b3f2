"""Feeding batches to a model: the Dataset, loaders, augmentation and samplers of lessons 01, 04 and 09."""

from collections.abc import Callable, Iterator

import kornia.augmentation as K
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset, WeightedRandomSampler, default_collate

from helpers.constants import CLASS_NAMES, IMAGENET_MEAN, IMAGENET_STD, SPLITS
from helpers.data import CourseData
from helpers.preprocess import AUGMENTATION, Augmentation, eval_batch, eval_transform, train_transform


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


# Kept identical in notebooks/04_training_and_validation.ipynb (the lesson writes it).
def class_weights(labels: torch.Tensor, n_classes: int = len(CLASS_NAMES)) -> torch.Tensor:
    """Inverse class frequency, averaging 1 over the images: each class weighs the same in total."""
    counts = torch.bincount(labels, minlength=n_classes).float().clamp(min=1)
    return counts.sum() / (n_classes * counts)


# Kept identical in notebooks/04_training_and_validation.ipynb (the lesson writes it).
def batch_augmentation(size: int, aug: Augmentation = AUGMENTATION) -> nn.Module:
    """Lesson 01's augmentation for a batch of 0-1 floats at once, on its device; new values per image."""
    colour = (aug.brightness, aug.contrast, aug.saturation, aug.hue)
    return nn.Sequential(
        K.RandomResizedCrop((size, size), scale=aug.crop_scale, ratio=aug.aspect),
        K.RandomHorizontalFlip(p=aug.flip),
        K.ColorJitter(*colour, p=1.0, order=[0, 1, 2, 3]),  # brightness, contrast, saturation, hue
        K.RandomGrayscale(p=aug.grayscale),
        K.Normalize(torch.tensor(IMAGENET_MEAN), torch.tensor(IMAGENET_STD)),
    )


# Kept identical in notebooks/04_training_and_validation.ipynb (the lesson writes it).
class AugmentOnDevice:
    """A DataLoader of uint8 images whose batches are moved to the device and augmented there as a whole."""

    def __init__(self, loader: DataLoader, augment: nn.Module, device: torch.device) -> None:
        self.loader, self.augment, self.device = loader, augment, device

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for images, labels in self.loader:
            images = images.to(self.device).float() / 255  # uint8 0-255 -> float 0.0-1.0
            yield self.augment(images).contiguous(memory_format=torch.channels_last), labels.to(self.device)


# Kept identical in notebooks/09_real_scenes.ipynb (the lesson writes it).
def balanced_sampler(
    labels: list[torch.Tensor], generator: torch.Generator | None = None
) -> WeightedRandomSampler:
    """Draws every (dataset, class) pair equally often, given one label tensor per dataset of a ConcatDataset:
    a small dataset's rare class is seen as often as a large dataset's common one."""
    weights = torch.cat([1.0 / torch.bincount(part)[part].double() for part in labels])
    return WeightedRandomSampler(weights, num_samples=len(weights), replacement=True, generator=generator)


def _normalised(items: list) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch normalised by eval_batch, as the app's batches are: a model answers both bit for bit."""
    images, labels = default_collate(items)
    return eval_batch(images), labels


def eval_batches(images: torch.Tensor, labels: torch.Tensor, batch_size: int = 64) -> DataLoader:
    """Fixed-order, normalised, unaugmented batches of uint8 images: validation and testing."""
    return DataLoader(TensorDataset(images, labels), batch_size, collate_fn=_normalised)
