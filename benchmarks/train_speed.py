"""Training speed, in one run on the same images: fit() with lesson 01's per-image v2 transforms against fit()
with lesson 04's whole-batch kornia augmentation (SmallCNN, 64 px), and MobileNetV2's frozen-feature path.

    python benchmarks/train_speed.py [--data DIR] [--epochs 3] [--only {cnn,mobilenet_v2}]

Both SmallCNN runs use the same seed, data, model and settings; only `TrainConfig.batch_augment` differs. The
first epoch is left out of the per-epoch figure (it warms up kernels and memory). Figures are printed, never
asserted: timings on a shared machine vary, so this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import tempfile
from pathlib import Path

from helpers.data import load_course_data
from helpers.models import build_model
from helpers.runtime import describe_environment
from helpers.training import FitResult, fit, recipe


def timed_fit(backbone: str, data_dir: str | None, folder: Path, epochs: int, **changes: object) -> FitResult:
    """fit() with the backbone's recipe (a few epochs), its log kept (in result.notes) but not printed."""
    plan = recipe(backbone, epochs=epochs, patience=epochs, **changes)
    data = load_course_data(data_dir, image_size=plan.image_size)
    model = build_model(backbone, pretrained=backbone != "cnn")
    with contextlib.redirect_stdout(io.StringIO()) as log:
        result = fit(model, data, plan.config, folder / f"{backbone}.pt", progress=False)
    result.notes.extend(log.getvalue().splitlines())
    return result


def seconds_per_epoch(result: FitResult) -> float:
    rows = result.history[1:] or result.history
    return statistics.median(row["seconds"] for row in rows)


def compare_cnn(data_dir: str | None, folder: Path, epochs: int) -> None:
    runs = {
        "lesson 01: v2 transforms, one image at a time": timed_fit(
            "cnn", data_dir, folder, epochs, batch_augment=False
        ),
        "lesson 04: kornia, whole batches": timed_fit("cnn", data_dir, folder, epochs, batch_augment=True),
    }
    base = seconds_per_epoch(next(iter(runs.values())))
    print(f"SmallCNN, 64 px, {epochs} epochs each (median seconds per epoch after the first):")
    for name, result in runs.items():
        each = seconds_per_epoch(result)
        accuracy = result.best["val_accuracy"]
        print(f"  {name:<48} {each:6.2f} s/epoch  ({base / each:4.2f}x)  best val {accuracy:.2%}")


def measure_transfer(data_dir: str | None, folder: Path, epochs: int) -> None:
    result = timed_fit("mobilenet_v2", data_dir, folder, epochs)
    frozen = next((note for note in result.notes if note.startswith("Frozen layers")), "Frozen layers: ?")
    one_off = result.seconds - sum(row["seconds"] for row in result.history)
    print(
        f"MobileNetV2, 160 px, frozen features, {epochs} epochs: fit() {result.seconds:.0f} s in all, "
        f"{seconds_per_epoch(result):.2f} s per head epoch, best val {result.best['val_accuracy']:.2%}"
    )
    print(f"  {frozen}: about {one_off:.0f} s before the first epoch")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="dataset folder (default: MASK_DATA_DIR, ..., the demo data)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--only", choices=("cnn", "mobilenet_v2"))
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error(f"--epochs {args.epochs}: expected at least 2 (the first epoch is a warm-up)")
    hardware = describe_environment()
    print(f"{hardware['device']}, {hardware['cpu_threads']} CPU threads, torch {hardware['torch']}")
    with tempfile.TemporaryDirectory() as folder:
        if args.only in (None, "cnn"):
            compare_cnn(args.data, Path(folder), args.epochs)
        if args.only in (None, "mobilenet_v2"):
            measure_transfer(args.data, Path(folder), args.epochs)


if __name__ == "__main__":
    main()
