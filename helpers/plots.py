"""Figures the notebooks show; they draw what they are given (tensors, counts, names), never scan data."""

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from helpers.constants import CLASS_NAMES
from helpers.preprocess import denormalize


def data_title(source: object, what: str) -> str:
    """Every figure says which data it shows (source: a DataSource); synthetic demo data is named as such."""
    tag = "SYNTHETIC demo data" if source.synthetic else source.root.name  # type: ignore[attr-defined]
    return f"{what} — {tag}"


def show_images(
    images: list[np.ndarray], titles: list[str], columns: int = 4, title: str = "", size: float = 3.0,
    fontsize: int = 9,
) -> Figure:
    """RGB arrays (H x W x 3) of any sizes in a grid: photos, frames, heat maps (two-line titles fit)."""
    columns = max(1, min(columns, len(images)))
    rows = max(1, -(-len(images) // columns))
    figsize = (size * columns, (size + 0.6) * rows)
    fig, axes = plt.subplots(rows, columns, figsize=figsize, squeeze=False, layout="constrained")
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, text in zip(axes.flat, images, titles, strict=False):
        ax.imshow(image)
        ax.set_title(text, fontsize=fontsize)
    if title:
        fig.suptitle(title)
    return fig


def show_grid(images: list[torch.Tensor], titles: list[str], columns: int = 8, title: str = "") -> Figure:
    """Small CHW tensors (a batch or a list, uint8 or normalised) in a grid: samples, mistakes."""
    arrays = [(x if x.dtype == torch.uint8 else denormalize(x)).permute(1, 2, 0).numpy() for x in images]
    return show_images(arrays, titles, columns, title, size=1.6, fontsize=8)


def show_augmentations(image: torch.Tensor, transform: Callable, title: str = "") -> Figure:
    """One image and eleven augmented versions: what the network sees across epochs."""
    titles = ["original"] + [f"augmented {i + 1}" for i in range(11)]
    return show_grid([image] + [transform(image) for _ in range(11)], titles, columns=6, title=title)


def show_mistakes(
    images: torch.Tensor, labels: np.ndarray, probabilities: np.ndarray, indices: np.ndarray, title: str = ""
) -> Figure | None:
    """The first 16 wrongly classified images (indices), with the true label and the model's belief."""
    if not (picks := list(indices[:16])):
        print("No mistakes to show.")
        return None
    said = [f"said {CLASS_NAMES[p.argmax()]} {min(p.max(), 0.99):.0%}" for p in probabilities]  # never 100%
    titles = [f"true {CLASS_NAMES[labels[i]]}\n{said[i]}" for i in picks]
    return show_grid([images[i] for i in picks], titles, columns=min(8, len(picks)), title=title)


def plot_class_balance(counts: dict[str, dict[str, int]], title: str) -> Figure:
    """Images per class (inner keys) and split (outer keys): is the dataset balanced?"""
    fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
    splits, names = list(counts), list(next(iter(counts.values())))
    width, x = 0.76 / len(names), np.arange(len(splits))
    for k, name in enumerate(names):
        shift = (k - (len(names) - 1) / 2) * width
        ax.bar_label(ax.bar(x + shift, [counts[s][name] for s in splits], width, label=name), fontsize=8)
    ax.set(xticks=x, xticklabels=splits, ylabel="images", title=title)
    ax.legend()
    return fig


def plot_image_sizes(sizes: np.ndarray, title: str) -> Figure | None:
    """Original sizes (N x 2) before caching; when all are equal (the demo data), that is said instead."""
    if len(sizes) == 0 or (sizes == sizes[0]).all():
        shape = "x".join(map(str, sizes[0])) if len(sizes) else "no"
        print(f"All {len(sizes)} images are {shape} px: nothing to plot ({title}).")
        return None
    fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
    ax.hist(sizes.min(axis=1), bins=30)
    ax.set(xlabel="shorter side of the original image (px)", ylabel="images", title=title)
    return fig


def plot_history(history: list[dict], title: str, saved_epoch: int) -> Figure:
    """Loss and accuracy per epoch, training and validation; a dashed line at the epoch that was saved."""
    epochs = [row["epoch"] for row in history]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4), layout="constrained")
    for ax, metric in zip(axes, ("loss", "accuracy"), strict=True):
        ax.plot(epochs, [row[f"train_{metric}"] for row in history], "o-", label="train (augmented)")
        ax.plot(epochs, [row[f"val_{metric}"] for row in history], "s-", label="validation")
        ax.set(xlabel="epoch", ylabel=metric)
        ax.grid(alpha=0.3)
        ax.legend()
    saved = (saved_epoch, next(row["val_accuracy"] for row in history if row["epoch"] == saved_epoch))
    axes[1].axvline(saved_epoch, color="gray", linestyle="--", linewidth=1)
    axes[1].annotate(f"saved (epoch {saved_epoch})", saved, xytext=(4, -12), textcoords="offset points")
    fig.suptitle(title)
    return fig


def plot_confusion_matrix(matrix: np.ndarray, class_names: tuple[str, ...], title: str = "") -> Figure:
    """Counts with row percentages: row = true class, column = what the model said."""
    fig, ax = plt.subplots(figsize=(4.2, 3.8), layout="constrained")
    ax.imshow(matrix, cmap="Blues")
    totals = matrix.sum(axis=1).clip(min=1)
    for (i, j), count in np.ndenumerate(matrix):
        color = "white" if count > matrix.max() / 2 else "black"
        ax.text(j, i, f"{count}\n{count / totals[i]:.1%}", ha="center", va="center", color=color)
    ticks = range(len(class_names))
    ax.set(xticks=ticks, xticklabels=class_names, yticks=ticks, yticklabels=class_names)
    ax.set(xlabel="predicted", ylabel="true")
    ax.set_title(title, fontsize=10)
    return fig
