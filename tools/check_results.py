"""What the notebooks recorded in a run, checked after it: `python -m tools.check_results --since START
[LESSON...]` (`make test`, `make test-notebooks` and `make run` call it once the notebooks ran).

Each lesson ends with one short check cell; the longer checks of its results live here. A record written
before START is from an earlier run and counts as missing. Where a figure can only hold for a well-trained
model (real photos, a full run), the check says so and applies only then; on the quick subset and the
synthetic demo data it checks what must hold for any model.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from helpers.runtime import work_dir
from tools.notebooks import absolute_env_paths, notebook_paths

Checks = Iterator[tuple[bool, str]]  # (holds, what it means), one pair a check


def lesson_01(record: dict, full: bool) -> Checks:
    counts = record["counts"]
    yield record["batch_shape"] == [32, 3, 128, 128], "a training batch is 32 RGB images of 128 px"
    yield record["groups_across_splits"] == 0, "no near-duplicate group spans two splits"
    both = [counts[split]["mask"] > 0 and counts[split]["no_mask"] > 0 for split in ("train", "val", "test")]
    yield all(both), "every split holds both classes"


def lesson_02(record: dict, full: bool) -> Checks:
    history = record["history"]
    yield all(0 <= row["val_accuracy"] <= 1 and row["train_loss"] > 0 for row in history), "epochs logged"
    if full:
        yield record["val_accuracy"] > 0.9, "a from-scratch CNN learns real faces in 12 epochs"


def lesson_03(record: dict, full: bool) -> Checks:
    mobilenet, test = record["mobilenet_v2"], record["range_test"]
    finetune = record["finetune"]["history"]
    yield mobilenet["weights"].startswith("ImageNet-1k"), "transfer learning from real ImageNet weights"
    head = abs(mobilenet["val_accuracy"] - record["head_val"]) < 0.01
    yield head, "the head on stored features answers as the whole model"
    yield test["rates"] == sorted(test["rates"]), "the range test raises the rate step by step"
    lowest = test["rates"][test["losses"].index(min(test["losses"]))]
    yield test["lowest"] == lowest, "the range test reports the rate of its lowest loss"
    step_below = abs(test["lr"] - test["lowest"] / 10) <= 1e-6 * test["lowest"]
    yield step_below, "the peak rate: a step below the lowest loss"
    yield all(0 <= row["val_accuracy"] <= 1 for row in finetune), "fine-tuning epochs logged"
    if full:
        yield mobilenet["val_accuracy"] > 0.97, "the MobileNetV2 head on real faces"
        yield finetune[-1]["val_accuracy"] > 0.97, "fine-tuning keeps what stage 1 reached"
        yield len(test["rates"]) < 80, "the range test reached rates where the loss broke down"


def lesson_04(record: dict, full: bool) -> Checks:
    yield record["fit_matches_loop"], "fit() trains as the lesson's loop does"
    yield record["same_answers"], "a reloaded checkpoint answers as the model did"
    yield record["first_epochs"] < len(record["resumed_epochs"]), "resuming goes on past the first run"
    yield record["speed_up"] > 1, "the faster input pipeline is faster"
    if full:
        yield record["best"]["val_accuracy"] > 0.95, "SmallCNN on real faces"


def lesson_05(record: dict, full: bool) -> Checks:
    best = record["best"]
    yield record["models"][0]["name"] == Path(best["path"]).stem, "the best-ranked model is the one tested"
    yield len(record["photo_checks"]) == 20, "the portrait in four mask colours, darker and lighter"
    if full:
        yield record["test_accuracy"] > 0.95, "the best model on real test faces"
        right = sum((p >= 0.5) == (truth == "mask") for truth, p in record["photo_checks"].values())
        yield right >= 18, "the real portrait, masked in four colours, darker and lighter"


def lesson_06(record: dict, full: bool) -> Checks:
    folder = record["folder"]
    yield len(record["grace_hopper"]) == 5, "the portrait in five variants"
    yield len(record["errors"]) == 4, "each bad input is reported, none stops the app"
    yield any("no such file" in error for error in record["errors"]), "a missing file is named as such"
    yield len(folder) == 8 and all(label in ("mask", "no_mask") for label, _ in folder), "a folder labelled"
    yield all("found by YuNet" in region for _, region in folder[:2]), "the portraits' faces are found"
    if full:
        yield record["face_right"] == 5, "a model trained on real faces gets every colour right"


def lesson_07(record: dict, full: bool) -> Checks:
    yield set(record["portraits"].values()) == {1}, "YuNet finds the face, masked or not"
    yield None not in record["said"] and len(record["truth"]) >= 4, "every face of the scene found"
    yield record["right"] >= len(record["truth"]) - 1, "the scene's faces labelled, one miss at most"
    if full:
        yield record["said"] == record["truth"], "a model trained on real faces labels every scene face"


def lesson_08(record: dict, full: bool) -> Checks:
    frames, truth, labels = record["frames"], record["truth"], record["labels"]
    faces = frames * len(truth)
    yield sum(labels.values()) >= 0.9 * faces, "nine in ten faces found in every frame"
    yield record["fps_after_warmup"] > 0, "frames per second measured"
    yield record["onnx_difference"] < 1e-4 and record["same_answer"] == 1.0, "ONNX answers as PyTorch does"
    yield set(record["stage_ms"]) == {"detect", "classify", "draw"}, "each stage of a frame timed"
    if full:
        yield abs(labels["mask"] - frames * truth.count("mask")) <= 0.1 * faces, "nine in ten labels right"
        yield record["gradcam_lower_share"]["masked"] > 0.5, "for masked faces the model looks at the mask"


def lesson_09(record: dict, full: bool) -> Checks:
    table, recall = record["table"], record["recall"]
    yield set(table) == {"faces", "scenes", "both"}, "a model trained on each dataset and on both"
    shares = [value for row in table.values() for pair in row.values() for value in pair]
    yield all(0 <= value <= 1 for value in shares), "accuracies are shares"
    found = {name: sum(f for f, _ in buckets.values()) for name, buckets in recall.items()}
    yield found["photo"] >= found["one pass"], "the photo setting finds at least the faces one pass finds"
    balanced = record["draws"]["balanced sampler"]
    even = max(balanced) - min(balanced) < 0.5 * sum(balanced) / len(balanced)
    yield len(balanced) == len(record["pairs"]) and even, "every (dataset, class) pair drawn alike"
    no_face = record["no_face_boxes"]
    yield all(0 <= empty <= boxes for empty, boxes in no_face.values()), "boxes on faces nobody marked"
    yield all(0 <= right <= total for right, total in record["crowd"].values()), "crowd labels counted"
    if full:
        yield table["both"]["faces"][0] > 0.98, "the combined model on real portraits"
        yield table["both"]["scenes ≥ 32 px"][1] > 0.9, "the combined model on scene faces of 32 px or more"
        yield table["both"]["scenes"][1] > table["faces"]["scenes"][1], "training on scenes helps on scenes"
        yield recall["photo"][">=32"][0] >= 0.95 * recall["photo"][">=32"][1], "YuNet finds faces of 32 px"


CHECKS: dict[str, tuple[str, Callable[[dict, bool], Checks]]] = {
    "01": ("01_data", lesson_01),
    "02": ("02_cnn", lesson_02),
    "03": ("03_transfer", lesson_03),
    "04": ("04_training", lesson_04),
    "05": ("05_test", lesson_05),
    "06": ("06_run_app", lesson_06),
    "07": ("07_faces", lesson_07),
    "08": ("08_video", lesson_08),
    "09": ("09_scenes", lesson_09),
}


def full_real_run(record: dict) -> bool:
    """A model trained on real photos with the full recipe: the results a learner is promised."""
    return record["environment"]["quick_mode"] == "False" and "SYNTHETIC" not in json.dumps(record)


def problems(results: Path, since: float, lessons: list[str]) -> list[str]:
    """What is wrong with the given lessons' records in the folder results: missing, stale or failed."""
    found = []
    for lesson in lessons:
        name, check = CHECKS[lesson]
        path = results / f"{name}.json"
        record = json.loads(path.read_text()) if path.is_file() else None
        if record is None or record.get("recorded_at", 0) < since:
            found.append(f"{name}: no results recorded by this run in {path.parent}")
            continue
        try:
            for holds, what in check(record, full_real_run(record)):
                if not holds:
                    found.append(f"{name}: {what}: does not hold")
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            found.append(f"{name}: the record lacks what the checks read ({type(exc).__name__}: {exc})")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="*", help=f"of {', '.join(CHECKS)}; default: every lesson")
    parser.add_argument("--since", type=float, required=True, help="the run's start (seconds since 1970)")
    args = parser.parse_args(argv)
    if set(args.lessons) - set(CHECKS):
        parser.error(f"no checks for lesson(s) {', '.join(sorted(set(args.lessons) - set(CHECKS)))}")
    absolute_env_paths()  # a relative MASK_WORK_DIR means what it meant to the notebooks' kernels
    lessons = args.lessons or [path.name[:2] for path in notebook_paths() if path.name[:2] in CHECKS]
    found = problems(work_dir() / "results", args.since, lessons)
    print("\n".join(found) if found else f"recorded results of lessons {', '.join(lessons)}: all checks hold")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
