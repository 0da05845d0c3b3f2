"""`python -m helpers.train`: a JSON summary on stdout (per dataset with several --data), and one clear error
line for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from helpers import weights
from helpers.constants import CLASS_NAMES
from helpers.data import load_course_data
from helpers.demo_data import generate_demo_dataset, generate_demo_scenes
from helpers.metrics import ClassificationReport
from helpers.train import main, summary
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
    assert summary["balance"] == "weights" and summary["degrade"] == 0, "one dataset: class weights"
    assert list(summary["test_by_dataset"]) == ["data"], "one dataset: no 'all' beside it"
    assert summary["test_by_dataset"]["data"]["images"] == sum(
        row["support"] for row in summary["test"]["per_class"].values()
    )


def test_cli_trains_on_two_datasets_and_reports_each(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    faces = generate_demo_dataset(tmp_path / "faces", n_per_class=20, size=48)
    scenes = generate_demo_scenes(tmp_path / "scenes", n_photos=16)
    args = ["--data", str(faces), "--data", str(scenes), "--model", "cnn", "--epochs", "1"]
    assert main([*args, "--image-size", "32", "--out", str(tmp_path / "both.pt")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["balance"] == "sampler" and summary["degrade"] == 0.3, "several: the balancing defaults"
    by_dataset = summary["test_by_dataset"]
    assert list(by_dataset) == ["faces", "scenes", "all"]
    for name, folder in (("faces", faces), ("scenes", scenes)):
        alone = load_course_data(folder, image_size=32, quick=False)
        assert by_dataset[name]["images"] == len(alone.splits["test"].labels) > 0, (
            "each test split on its own"
        )
        assert set(by_dataset[name]) == {"accuracy", "balanced_accuracy", "images", "wrong"}, "no face widths"
    assert by_dataset["all"]["images"] == by_dataset["faces"]["images"] + by_dataset["scenes"]["images"]
    assert by_dataset["all"]["wrong"] == by_dataset["faces"]["wrong"] + by_dataset["scenes"]["wrong"]
    assert "val_by_dataset" not in summary, "validation chose the epoch: the JSON reports the test splits"
    assert set(summary["test"]["per_class"]) == set(CLASS_NAMES) and set(summary["data"]) == {
        "faces",
        "scenes",
    }


def test_cli_bad_data_folder(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["--data", str(tmp_path / "nope"), "--model", "cnn"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "nope" in err and "Traceback" not in err
    good = make_flat(tmp_path / "data", per_class=2)
    assert main(["--data", str(good), "--data", str(tmp_path / "gone"), "--model", "cnn"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "gone" in err and len(err.strip().splitlines()) == 1


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
    [
        ("--epochs", "-3", "epochs=-3"),
        ("--epochs", "0", "epochs=0"),
        ("--image-size", "0", "image_size=0"),
        ("--batch-size", "0", "batch_size=0"),
        ("--lr", "0", "lr=0.0"),
        ("--degrade", "1.5", "degrade=1.5"),
        ("--seed", "-1", "seed=-1"),
        ("--fine-tune-blocks", "-1", "fine_tune_blocks=-1"),
    ],
)
def test_cli_bad_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture, option: str, value: str, message: str
) -> None:
    data = make_flat(tmp_path / "data", per_class=4)
    assert main(["--data", str(data), "--model", "cnn", option, value]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1


def test_summary_counts_images_and_mistakes() -> None:
    report = ClassificationReport(("mask", "no_mask"), np.array([[8, 0], [2, 0]]))
    assert summary(report) == {"accuracy": 0.8, "balanced_accuracy": 0.5, "images": 10, "wrong": 2}
