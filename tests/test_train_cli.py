"""`python -m helpers.train`: a JSON summary on stdout, and one clear error line for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import weights
from helpers.train import main
from tests.conftest import make_flat


def test_cli_trains_and_prints_json(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    data = make_flat(tmp_path / "data", per_class=12)
    out = tmp_path / "ckpt" / "cnn.pt"
    args = ["--data", str(data), "--model", "cnn", "--epochs", "1", "--image-size", "32", "--out", str(out)]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["model"] == "cnn" and summary["epochs_run"] == 1 and out.exists()
    assert 0 <= summary["test_accuracy"] <= 1 and set(summary["test"]["per_class"]) == {"mask", "no_mask"}
    assert summary["weights"].startswith("random initialisation")
    assert summary["photo_checks"]["total"] == 20


def test_cli_bad_data_folder(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["--data", str(tmp_path / "nope"), "--model", "cnn"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "nope" in err and "Traceback" not in err


def test_cli_vgg16_without_weights_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(weights, "weights_url", lambda backbone: "http://127.0.0.1:9/vgg16-397923af.pth")
    data = make_flat(tmp_path / "data", per_class=4)
    assert main(["--data", str(data), "--model", "vgg16", "--epochs", "1", "--image-size", "32"]) == 2
    err = capsys.readouterr().err
    assert "ImageNet weights for vgg16" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [("--epochs", "-3", "epochs=-3"), ("--epochs", "0", "epochs=0"), ("--image-size", "0", "image_size=0")],
)
def test_cli_bad_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture, option: str, value: str, message: str
) -> None:
    data = make_flat(tmp_path / "data", per_class=4)
    assert main(["--data", str(data), "--model", "cnn", option, value]) == 2
    assert message in capsys.readouterr().err
