"""Figures the notebooks show: sample grids, class balance, augmentation previews, image sizes."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from helpers.constants import CLASS_NAMES, SPLITS
from helpers.data import CourseData
from helpers.preprocess import denormalize
from helpers.training import best_row


def data_title(data: CourseData, what: str) -> str:
    """Every figure says which data it shows; synthetic demo data is named as such."""
    tag = "SYNTHETIC demo data" if data.source.synthetic else data.source.root.name
    return f"{what} — {tag}"


def _as_image(tensor: torch.Tensor) -> np.ndarray:
    """CHW uint8 or normalised float -> HWC array for imshow."""
    if tensor.dtype == torch.uint8:
        return tensor.permute(1, 2, 0).numpy()
    return denormalize(tensor).permute(1, 2, 0).numpy()


def show_grid(
    images: list[torch.Tensor] | torch.Tensor, titles: list[str], columns: int = 8, title: str = ""
) -> Figure:
    """Small CHW tensors (uint8 or normalised) in a grid: samples, augmentations, mistakes."""
    return show_images([_as_image(image) for image in images], titles, columns, title, size=1.6, fontsize=8)


def show_samples(data: CourseData, split: str = "train", count: int = 16, seed: int = 0) -> Figure:
    """A random but repeatable set of images with their labels."""
    part = data.splits[split]
    picks = torch.randperm(len(part.labels), generator=torch.Generator().manual_seed(seed))[:count]
    titles = [CLASS_NAMES[int(part.labels[i])] for i in picks]
    return show_grid([part.images[i] for i in picks], titles, title=data_title(data, f"{split} samples"))


def plot_class_balance(data: CourseData) -> Figure:
    """Images per class and split: an imbalanced dataset needs class weights or a balanced sampler."""
    fig, ax = plt.subplots(figsize=(6, 3.2))
    width = 0.38
    x = np.arange(len(SPLITS))
    for k, name in enumerate(CLASS_NAMES):
        counts = [data.report.counts[s][name] for s in SPLITS]
        bars = ax.bar(x + (k - 0.5) * width, counts, width, label=name)
        ax.bar_label(bars, fontsize=8)
    ax.set_xticks(x, SPLITS)
    ax.set_ylabel("images")
    ax.legend()
    ax.set_title(data_title(data, "class balance"))
    fig.tight_layout()
    return fig


def show_augmentations(image: torch.Tensor, transform: Callable, count: int = 11, title: str = "") -> Figure:
    """One image and many augmented versions: what the network sees across epochs."""
    images = [image] + [transform(image) for _ in range(count)]
    titles = ["original"] + [f"augmented {i + 1}" for i in range(count)]
    return show_grid(images, titles, columns=6, title=title)


def plot_image_sizes(data: CourseData) -> Figure | None:
    """Original sizes before caching: tiny images hold little detail of the mask edge. When every image
    has the same size (the demo data), a histogram would be one bar: that is said instead."""
    sizes = data.report.sizes
    if len(sizes) == 0 or (sizes == sizes[0]).all():
        shape = "x".join(map(str, sizes[0])) if len(sizes) else "no"
        print(f"All {len(sizes)} images are {shape} px: nothing to plot ({data_title(data, 'image sizes')}).")
        return None
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.hist(sizes.min(axis=1), bins=30)
    ax.set_xlabel("shorter side of the original image (px)")
    ax.set_ylabel("images")
    ax.set_title(data_title(data, "image sizes"))
    fig.tight_layout()
    return fig


def plot_history(history: list[dict], title: str = "", saved_epoch: int | None = None) -> Figure:
    """Loss and accuracy per epoch for training and validation: the gap between them shows overfitting.
    The dashed line marks the epoch whose weights were saved (saved_epoch, else fit()'s rule, best_row)."""
    epochs = [row["epoch"] for row in history]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    for ax, metric in zip(axes, ("loss", "accuracy"), strict=True):
        ax.plot(epochs, [row[f"train_{metric}"] for row in history], "o-", label="train (augmented)")
        ax.plot(epochs, [row[f"val_{metric}"] for row in history], "s-", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    best = best_row(history) if saved_epoch is None else next(r for r in history if r["epoch"] == saved_epoch)
    axes[1].axvline(best["epoch"], color="gray", linestyle="--", linewidth=1)
    axes[1].annotate(
        f"saved (epoch {best['epoch']})",
        (best["epoch"], best["val_accuracy"]),
        textcoords="offset points",
        xytext=(4, -12),
    )
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_confusion_matrix(matrix: np.ndarray, class_names: tuple[str, ...], title: str = "") -> Figure:
    """Counts with row percentages: row = true class, column = what the model said."""
    fig, ax = plt.subplots(figsize=(4.2, 3.8))
    ax.imshow(matrix, cmap="Blues")
    totals = matrix.sum(axis=1, keepdims=True).clip(min=1)
    for (i, j), count in np.ndenumerate(matrix):
        color = "white" if count > matrix.max() / 2 else "black"
        ax.text(j, i, f"{count}\n{count / totals[i, 0]:.1%}", ha="center", va="center", color=color)
    ax.set_xticks(range(len(class_names)), class_names)
    ax.set_yticks(range(len(class_names)), class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def show_mistakes(
    images: torch.Tensor,
    labels: np.ndarray,
    probabilities: np.ndarray,
    indices: np.ndarray,
    class_names: tuple[str, ...] = CLASS_NAMES,
    count: int = 16,
    title: str = "",
) -> Figure | None:
    """The wrongly classified images, most confident first, with the true label and the model's belief."""
    picks = list(indices[:count])
    if not picks:
        print("No mistakes to show.")
        return None
    titles = [
        f"true {class_names[labels[i]]}\nsaid {class_names[probabilities[i].argmax()]} "
        f"{min(probabilities[i].max(), 0.99):.0%}"  # never "100%": no model is certain
        for i in picks
    ]
    return show_grid([images[i] for i in picks], titles, columns=min(8, len(picks)), title=title)


def show_images(
    images: list[np.ndarray],
    titles: list[str],
    columns: int = 4,
    title: str = "",
    size: float = 3.0,
    fontsize: int = 9,
) -> Figure:
    """RGB arrays (H x W x 3) of any sizes in a grid: photos, annotated frames, heat maps. Constrained
    layout keeps two-line titles clear of the row above."""
    columns = max(1, min(columns, len(images)))
    rows = max(1, int(np.ceil(len(images) / columns)))
    fig, axes = plt.subplots(
        rows, columns, figsize=(size * columns, (size + 0.6) * rows), squeeze=False, layout="constrained"
    )
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, text in zip(axes.flat, images, titles, strict=False):
        ax.imshow(image)
        ax.set_title(text, fontsize=fontsize)
    if title:
        fig.suptitle(title)
    return fig
