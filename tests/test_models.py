"""Backbones, freezing, ImageNet weight lookup, and the facts tables the notebooks show."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import torch

from helpers import models
from helpers.models import BACKBONES, build_model, count_parameters, freeze_features, small_cnn


@pytest.mark.parametrize("backbone", BACKBONES)
def test_output_shape_without_downloading(backbone: str) -> None:
    model = build_model(backbone, pretrained=False).eval()
    with torch.inference_mode():
        out = model(torch.randn(2, 3, 64, 64))
    assert out.shape == (2, 2)
    assert "pretrained" not in model.weights.replace("not pretrained", "")


def test_cnn_has_no_pretrained_weights() -> None:
    with pytest.raises(ValueError, match="from scratch"):
        build_model("cnn", pretrained=True)


def test_unknown_backbone_is_named() -> None:
    with pytest.raises(ValueError, match="resnet50"):
        build_model("resnet50")


def _trainable(model: torch.nn.Module) -> set[str]:
    return {name for name, p in model.named_parameters() if p.requires_grad}


def test_freezing_leaves_only_the_head_trainable() -> None:
    model = build_model("mobilenet_v2", pretrained=False)
    freeze_features(model)
    assert _trainable(model) == {f"head.{name}" for name, _ in model.head.named_parameters()}
    assert model.features_frozen()


def test_fine_tuning_unfreezes_exactly_the_last_blocks() -> None:
    model = build_model("mobilenet_v2", pretrained=False)
    freeze_features(model, trainable_blocks=2)
    blocks = {name.split(".")[2] for name in _trainable(model) if name.startswith("features.")}
    assert blocks == {"17", "18"}  # MobileNetV2 has blocks 0-18
    assert not model.features_frozen()


def test_vgg16_frozen_features_new_classifier() -> None:
    model = build_model("vgg16", pretrained=False)
    freeze_features(model)
    total, trainable = count_parameters(model)
    assert total - trainable == 14_714_688  # VGG16's 13 conv layers, all frozen
    assert trainable == 512 * 256 + 256 + 256 * 2 + 2  # the new classifier only
    assert model.head[-1].out_features == 2


def test_frozen_batchnorm_stays_in_eval_mode() -> None:
    model = build_model("mobilenet_v2", pretrained=False)
    freeze_features(model)
    model.train()
    norms = [m for m in model.features.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert norms and not any(m.training for m in norms)
    assert model.head.training


def test_small_cnn_channels_and_init() -> None:
    model = small_cnn((8, 16))
    assert model.options == {"channels": [8, 16]} and model.head[1].in_features == 16
    conv = model.features[0][0]
    assert conv.weight.std() > 0.05  # He init, not PyTorch's default uniform


def test_mobilenet_weights_come_from_offline_package_with_checksum() -> None:
    path, origin = models.find_imagenet_weights("mobilenet_v2", allow_download=False)
    assert path.name == "mobilenet_v2-b0353104.pth"
    assert hashlib.sha256(path.read_bytes()).hexdigest().startswith("b0353104")
    model = build_model("mobilenet_v2")
    assert model.weights.startswith("ImageNet-1k") and model.features_frozen()


def test_missing_weights_say_where_we_looked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("MASK_WEIGHTS_DIR", str(tmp_path / "mine"))
    with pytest.raises(models.WeightsUnavailableError, match="vgg16-397923af.pth") as info:
        models.find_imagenet_weights("vgg16", allow_download=False)
    assert str(tmp_path / "mine") in str(info.value) and "Kaggle" in str(info.value)


def test_wrong_weights_file_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("MASK_WEIGHTS_DIR", str(tmp_path))
    (tmp_path / "vgg16-397923af.pth").write_text("<html>not weights</html>")
    with pytest.raises(models.WeightsUnavailableError, match="wrong file"):
        models.find_imagenet_weights("vgg16", allow_download=False)


def test_weights_download_into_torch_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real download path, served offline: the file lands where torchvision would cache it."""
    import http.server
    import threading

    payload = b"weights" * 100
    name = f"tiny-{hashlib.sha256(payload).hexdigest()[:8]}.pth"
    (tmp_path / name).write_bytes(payload)
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path))  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
        monkeypatch.delenv("MASK_WEIGHTS_DIR", raising=False)
        url = f"http://127.0.0.1:{httpd.server_address[1]}/{name}"
        monkeypatch.setattr(models, "weights_url", lambda backbone: url)
        path, origin = models.find_imagenet_weights("vgg16")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert path == models.hub_checkpoint_dir() / name and path.read_bytes() == payload
    assert origin.startswith("a download from")


def test_model_facts_row() -> None:
    model = small_cnn()
    facts = models.model_facts(model, image_size=32)
    assert facts.total == facts.trainable > 0 and facts.frozen == 0 and facts.ms_per_image > 0
    assert "cnn" in facts.row()
