"""What the notebooks recorded when they ran in this pytest session (`pytest --nbval-lax notebooks tests`).

Each lesson ends with one short check cell; the longer checks of its results live here. Where a figure can
only hold for a well-trained model (real photos, a full run), the test says so and checks it only then; on the
quick CI subset and the synthetic demo data it checks what must hold for any model.
"""

from __future__ import annotations

import json
import os

import pytest

from helpers.runtime import work_dir

RESULTS = work_dir() / "results"  # read at import, before the unit tests' private work folders


def _record(name: str) -> dict:
    if not os.environ.get("MASK_NOTEBOOKS_IN_SESSION"):
        pytest.skip(
            "the notebooks did not run in this session: `pytest --nbval-lax notebooks tests` runs them first"
        )
    path = RESULTS / f"{name}.json"
    assert path.is_file(), f"{path}: the notebook did not record its results"
    record = json.loads(path.read_text())
    assert record["recorded_at"] >= float(os.environ["MASK_SESSION_START"]), f"{path} is from an earlier run"
    return record


def _full_real_run(record: dict) -> bool:
    """A model trained on real photos with the full recipe: the results a learner is promised."""
    return record["environment"]["quick_mode"] == "False" and "SYNTHETIC" not in json.dumps(record)


def test_01_data() -> None:
    record = _record("01_data")
    assert record["batch_shape"] == [32, 3, 128, 128] and record["groups_across_splits"] == 0
    counts = record["counts"]
    assert record["images"] == sum(sum(row.values()) for row in counts.values())
    assert all(
        counts[split]["mask"] > 0 and counts[split]["no_mask"] > 0 for split in ("train", "val", "test")
    )


def test_02_cnn() -> None:
    record = _record("02_cnn")
    history = record["history"]
    assert [row["epoch"] for row in history] == list(range(1, len(history) + 1)) and record["parameters"] > 0
    assert all(0 <= row["val_accuracy"] <= 1 and row["train_loss"] > 0 for row in history)
    if _full_real_run(record):
        assert record["val_accuracy"] > 0.9, "a from-scratch CNN learns real faces in 12 epochs"


def test_03_transfer() -> None:
    record = _record("03_transfer")
    mobilenet = record["mobilenet_v2"]
    assert mobilenet["weights"].startswith("ImageNet-1k"), "transfer learning from real ImageNet weights"
    assert abs(mobilenet["val_accuracy"] - record["head_val"]) < 0.01, (
        "the head on stored features = the model"
    )
    test = record["range_test"]
    assert test["rates"] == sorted(test["rates"]) and len(test["rates"]) == len(test["losses"])
    assert test["lowest"] == test["rates"][test["losses"].index(min(test["losses"]))]
    assert test["lr"] == pytest.approx(test["lowest"] / 10), "the peak rate: a step below the lowest loss"
    finetune = record["finetune"]["history"]
    assert [row["epoch"] for row in finetune] == list(range(1, len(finetune) + 1))
    assert all(0 <= row["val_accuracy"] <= 1 and row["seconds"] > 0 for row in finetune)
    assert min(record["seconds"].values()) > 0
    if _full_real_run(record):
        assert mobilenet["val_accuracy"] > 0.97
        assert finetune[-1]["val_accuracy"] > 0.97, "fine-tuning keeps what stage 1 reached"
        assert len(test["rates"]) < 80, "the range test reached rates where the loss broke down"


def test_04_training() -> None:
    record = _record("04_training")
    history, best = record["history"], record["best"]
    assert best == max(history, key=lambda row: (row["val_accuracy"], -row["val_loss"]))
    assert record["fit_matches_loop"] and record["same_answers"], "fit() is the lesson's loop; reloads agree"
    assert record["resumed_epochs"] == list(range(1, len(record["resumed_epochs"]) + 1))
    assert record["first_epochs"] < len(record["resumed_epochs"]) and record["speed_up"] > 1
    lrs = [row["lr"] for row in history]
    assert lrs[0] < max(lrs) and (len(lrs) < 4 or lrs[-1] < max(lrs)), "warm-up, then decay"
    if _full_real_run(record):
        assert best["val_accuracy"] > 0.95


def test_05_test() -> None:
    record = _record("05_test")
    matrix, metrics = record["confusion_matrix"], record["metrics"]
    total = sum(map(sum, matrix))
    assert abs(record["test_accuracy"] - (matrix[0][0] + matrix[1][1]) / total) < 1e-9
    assert metrics["mask"]["support"] == sum(matrix[0]) and metrics["no_mask"]["support"] == sum(matrix[1])
    assert metrics["mask"]["recall"] == pytest.approx(matrix[0][0] / sum(matrix[0]))
    models = record["models"]
    ranks = [(m["val_accuracy"], m.get("val_loss", 0)) for m in models]
    assert models[0]["name"] == record["best"]["path"].rsplit("/", 1)[-1].removesuffix(".pt")
    assert len(ranks) == record["models_tested"] and len(record["photo_checks"]) == 20
    if _full_real_run(record):
        assert record["test_accuracy"] > 0.95
        right = sum((p >= 0.5) == (truth == "mask") for truth, p in record["photo_checks"].values())
        assert right >= 18, "the real portrait, masked in four colours, darker and lighter"


def test_06_run_app() -> None:
    record = _record("06_run_app")
    assert len(record["grace_hopper"]) == 5 and len(record["errors"]) == 4
    assert any("no such file" in error for error in record["errors"])
    assert len(record["folder"]) == 8 and all(label in ("mask", "no_mask") for label, _ in record["folder"])
    assert all("found by YuNet" in region for _, region in record["folder"][:2]), "the portraits' faces"
    if _full_real_run(record):
        assert record["face_right"] == 5, "a model trained on real faces gets every colour right"


def test_07_faces() -> None:
    record = _record("07_faces")
    assert set(record["portraits"].values()) == {1}, "YuNet finds the face, masked or not"
    assert None not in record["said"] and len(record["truth"]) >= 4, "every face of the scene found"
    assert record["right"] >= len(record["truth"]) - 1
    if _full_real_run(record):
        assert record["said"] == record["truth"]


def test_08_video() -> None:
    record = _record("08_video")
    frames, truth = record["frames"], record["truth"]
    faces = frames * len(truth)
    assert sum(record["labels"].values()) >= 0.9 * faces and record["fps_after_warmup"] > 0
    assert record["onnx_difference"] < 1e-4 and record["same_answer"] == 1.0
    assert set(record["stage_ms"]) == {"detect", "classify", "draw"}
    if _full_real_run(record):
        assert abs(record["labels"]["mask"] - frames * truth.count("mask")) <= 0.1 * faces, (
            "nine in ten right"
        )
        assert record["gradcam_lower_share"]["masked"] > 0.5, "for masked faces the model looks at the mask"


def test_09_scenes() -> None:
    record = _record("09_scenes")
    table, recall = record["table"], record["recall"]
    assert set(table) == {"faces", "scenes", "both"}
    assert all(0 <= value <= 1 for row in table.values() for pair in row.values() for value in pair)
    totals = {name: {b: t for b, (_, t) in buckets.items()} for name, buckets in recall.items()}
    assert totals["photo"] == totals["one pass"], "both detector settings met the same faces"
    found = {name: sum(f for f, _ in buckets.values()) for name, buckets in recall.items()}
    assert found["photo"] >= found["one pass"], "the photo setting finds at least the faces one pass finds"
    shuffled, balanced = record["draws"]["shuffled"], record["draws"]["balanced sampler"]
    assert len(shuffled) == len(record["pairs"]) == 4 and sum(balanced) == sum(shuffled), "one epoch each"
    assert max(balanced) - min(balanced) < 0.5 * sum(balanced) / 4, "every (dataset, class) pair drawn alike"
    no_face = record["no_face_boxes"]
    assert set(no_face) == set(recall) and all(0 <= empty <= boxes for empty, boxes in no_face.values())
    assert len(record["crowd"]) == 4 and all(0 <= right <= total for right, total in record["crowd"].values())
    if _full_real_run(record):
        assert table["both"]["faces"][0] > 0.98 and table["both"]["scenes ≥ 32 px"][1] > 0.9
        assert table["both"]["scenes"][1] > table["faces"]["scenes"][1], "training on scenes helps on scenes"
        assert recall["photo"][">=32"][0] >= 0.95 * recall["photo"][">=32"][1]
