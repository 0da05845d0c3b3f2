"""The lessons' models built by name (ImageNet weights through torchvision's `weights=`), freezing, and the
facts tables."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torchvision

from helpers import weights
from helpers.models import BACKBONES, SmallCNN, build_model, unfreeze_last_blocks
from helpers.training import split_frozen


@pytest.mark.parametrize("backbone", BACKBONES)
def test_output_shape_without_downloading(backbone: str) -> None:
    model = build_model(backbone, pretrained=False).eval()
    with torch.inference_mode():
        out = model(torch.randn(2, 3, 64, 64))
    assert out.shape == (2, 2) and hasattr(model, "features") and hasattr(model, "head")
    assert "pretrained" not in model.weights.replace("not pretrained", "")


def test_cnn_has_no_pretrained_weights() -> None:
    with pytest.raises(ValueError, match="from scratch"):
        build_model("cnn", pretrained=True)


def test_unknown_backbone_is_named() -> None:
    with pytest.raises(ValueError, match="resnet50"):
        build_model("resnet50")


def _trainable(model: torch.nn.Module) -> set[str]:
    return {name for name, p in model.named_parameters() if p.requires_grad}


def _counts(model: torch.nn.Module) -> tuple[int, int]:
    """(all, trainable) parameters."""
    params = list(model.parameters())
    return sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad)


def test_transfer_models_train_only_the_new_head() -> None:
    model = build_model("mobilenet_v2", pretrained=False)
    assert _trainable(model) == {f"head.{name}" for name, _ in model.head.named_parameters()}
    frozen, trainable = split_frozen(model)
    assert len(frozen) == len(model.features) and list(trainable) == [model.head]


def test_fine_tuning_unfreezes_exactly_the_last_blocks() -> None:
    model = build_model("mobilenet_v2", pretrained=False)
    unfreeze_last_blocks(model, 2)
    blocks = {name.split(".")[1] for name in _trainable(model) if name.startswith("features.")}
    assert blocks == {"17", "18"}  # MobileNetV2 has blocks 0-18, then pooling and flattening
    frozen, trainable = split_frozen(model)
    assert len(frozen) == 17, "the frozen blocks run once; blocks 17 and 18 and the head learn"
    assert not any(p.requires_grad for p in frozen.parameters()) and all(
        p.requires_grad for p in trainable.parameters()
    )


def test_vgg16_frozen_features_new_classifier() -> None:
    model = build_model("vgg16", pretrained=False)
    total, trainable = _counts(model)
    assert total - trainable == 14_714_688  # VGG16's 13 conv layers, all frozen
    assert trainable == 512 * 256 + 256 + 256 * 2 + 2  # the new classifier only
    assert model.head[-1].out_features == 2


def test_small_cnn_channels_and_init() -> None:
    model = build_model("cnn", pretrained=False, channels=(8, 16))
    assert isinstance(model, SmallCNN) and model.options == {"channels": (8, 16)}
    assert model.head[1].in_features == 16 and len(split_frozen(model)[0]) == 0, "nothing frozen"
    conv = model.features[0][0]
    assert conv.weight.std() > 0.05  # He init, not PyTorch's default uniform
    assert torch.equal(
        conv.weight, build_model("cnn", pretrained=False, channels=(8, 16)).features[0][0].weight
    )


def test_pretrained_mobilenet_is_built_with_torchvisions_weights_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("MASK_WEIGHTS_DIR", raising=False)
    model = build_model("mobilenet_v2")
    assert model.weights.startswith("ImageNet-1k") and not any(
        p.requires_grad for p in model.features.parameters()
    )
    weights = torchvision.models.MobileNet_V2_Weights.IMAGENET1K_V1
    imagenet = weights.get_state_dict(progress=False)  # the file build_model placed in torch.hub's cache
    assert torch.equal(model.features[0][0].weight, imagenet["features.0.0.weight"])
    assert torch.equal(model.features[18][1].running_var, imagenet["features.18.1.running_var"])


def test_vgg16_without_its_file_is_not_built_pretrained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(weights, "weights_url", lambda w: "http://127.0.0.1:9/vgg16-397923af.pth")
    with pytest.raises(weights.WeightsUnavailableError, match="vgg16-397923af.pth"):
        build_model("vgg16")


def test_the_cnn_trains_all_its_parameters() -> None:
    assert _counts(build_model("cnn", pretrained=False)) == (393_618, 393_618)
