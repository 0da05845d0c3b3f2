"""Figures the notebooks show; they draw what they are given (tensors, counts, names), never scan data."""

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

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
