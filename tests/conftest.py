"""Shared fixtures: tiny image datasets made in tmp_path, and a private work folder for every test.

The whole test session runs PyTorch on one thread: the tests' tensors are tiny, and on a shared 2-core machine
thread hand-offs cost more than they save (tests/test_training.py took 18.7 s with default threads, 6.2 s
with one, measured under load)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image


def pytest_configure() -> None:
    torch.set_num_threads(1)


def tiny_cnn() -> torch.nn.Module:
    """Lesson 02's SmallCNN with two small blocks, labelled by build_model: fast enough for any test."""
    from helpers.models import build_model

    return build_model("cnn", pretrained=False, channels=(4, 8))


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


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A loopback HTTP server playing a model hub: yields its base URL and the folder it serves."""
    www = tmp_path / "www"
    www.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, directory=str(www), **kwargs)

        def log_message(self, *args) -> None:  # keep test output clean
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", www
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small CNN trained for one epoch on noise images: enough to test everything that loads a model."""
    from helpers.data import load_course_data
    from helpers.training import TrainConfig, fit

    base = tmp_path_factory.mktemp("tiny_model")
    with pytest.MonkeyPatch.context() as patch:  # session fixtures start before private_work_dir: own caches
        patch.setenv("MASK_WORK_DIR", str(base / "work"))
        data = load_course_data(make_flat(base / "flat", per_class=12), image_size=32, quick=False)
        path = base / "tiny.pt"
        config = TrainConfig(epochs=1, batch_size=8, lr=1e-2)
        fit(tiny_cnn(), data, config, path, device=torch.device("cpu"), progress=False)
    return path


@pytest.fixture(scope="session")
def yunet_file() -> Path:
    """The YuNet file shipped in helpers/assets (checked by sha256), or MASK_YUNET_MODEL where CI sets one."""
    from helpers.faces import yunet_model_path

    return yunet_model_path()
