"""The model lessons 05-08 use on their own: the best checkpoint trained on the data in use, or a quick one
trained now, in a cell that says so (training is never a side effect of predicting)."""

from __future__ import annotations

from pathlib import Path

from helpers.data import DataSource, find_data, load_course_data
from helpers.evaluation import SavedModel, find_checkpoints
from helpers.models import build_model
from helpers.runtime import quick_mode
from helpers.training import default_checkpoint, fit, recipe
from helpers.weights import imagenet_weights_available


def train_quick_model(source: DataSource) -> Path:
    """MobileNetV2 on frozen ImageNet features if its weights are here (no download), else the small CNN;
    10 epochs even in quick mode (seconds on its subset): fewer leave a model that guesses."""
    backbone = "mobilenet_v2" if imagenet_weights_available("mobilenet_v2", allow_download=False) else "cnn"
    plan = recipe(backbone, epochs=10, feature_views=1 if quick_mode() else 2)  # augmented copies per image
    model = build_model(backbone, pretrained=backbone != "cnn")
    data = load_course_data(source, image_size=plan.image_size)
    return fit(model, data, plan.config, checkpoint=default_checkpoint(f"{backbone}_quick")).checkpoint


def course_model(source: DataSource | str | Path | None = None) -> SavedModel:
    """The best checkpoint trained on the data in use (chosen on validation), training a quick one if none."""
    source = find_data(source)
    if not (matching := find_checkpoints(source)[0]):
        print(f"No checkpoint trained on {source.describe().removeprefix('Data: ')}: training a quick one.")
        train_quick_model(source)
        matching, skipped = find_checkpoints(source)
        if not matching:
            raise RuntimeError(f"the quick model does not count for this data: {skipped}")
    return matching[0]
