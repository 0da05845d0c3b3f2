"""Shared fixtures: tiny image datasets made in tmp_path, and a private work folder for every test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image


@pytest.fixture(autouse=True)
def private_work_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Caches and demo data of a test never touch the checkout's outputs/ or another test's files."""
    work = tmp_path_factory.mktemp("work")
    monkeypatch.setenv("MASK_WORK_DIR", str(work))
    monkeypatch.delenv("MASK_DATA_DIR", raising=False)
    monkeypatch.delenv("MASK_QUICK", raising=False)
    return work


def write_image(path: Path, seed: int, size: tuple[int, int] = (40, 32), fmt: str | None = None) -> Path:
    """A small noisy RGB image whose content depends only on seed (so equal seeds make duplicate files)."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, format=fmt or "JPEG", quality=90)
    return path


def make_flat(
    root: Path, per_class: int = 20, names: tuple[str, str] = ("with_mask", "without_mask")
) -> Path:
    for k, name in enumerate(names):
        for i in range(per_class):
            write_image(root / name / f"img_{i:03d}.jpg", seed=1000 * k + i)
    return root


def make_presplit(
    root: Path,
    names: tuple[str, str] = ("faceWithMask", "faceWithoutMask"),
    splits: tuple[str, ...] = ("train", "valid", "test"),
    per_class: int = 6,
) -> Path:
    for s, split in enumerate(splits):
        for k, name in enumerate(names):
            for i in range(per_class):
                write_image(root / split / name / f"{i}.jpg", seed=10_000 * s + 1000 * k + i)
    return root


@pytest.fixture
def flat_dataset(tmp_path: Path) -> Path:
    return make_flat(tmp_path / "flat")


@pytest.fixture
def presplit_dataset(tmp_path: Path) -> Path:
    return make_presplit(tmp_path / "covid19-face-mask-data")
