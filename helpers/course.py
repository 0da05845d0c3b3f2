"""Lessons 05-08's model: the best checkpoint for the data in use, or a quick one trained in plain sight."""

from __future__ import annotations

from pathlib import Path

from helpers.data import DataSource, find_data, load_course_data
from helpers.evaluation import SavedModel, find_checkpoints
from helpers.models import build_model
from helpers.runtime import quick_mode
from helpers.training import default_checkpoint, fit, recipe
from helpers.weights import imagenet_weights_available


def course_model(source: DataSource | str | Path | None = None) -> SavedModel:
    """The best checkpoint trained on the data in use (chosen on validation), else a quick one trained now:
    MobileNetV2's frozen features if its weights are here, else the small CNN; 10 epochs (fewer guess)."""
    source = find_data(source)
    if not (matching := find_checkpoints(source)[0]):
        print(f"No checkpoint trained on {source.describe().removeprefix('Data: ')}: training a quick one.")
        weights = imagenet_weights_available("mobilenet_v2", allow_download=False)
        backbone = "mobilenet_v2" if weights else "cnn"
        plan = recipe(backbone, epochs=10, feature_views=1 if quick_mode() else 2)  # views: augmented copies
        model, data = build_model(backbone, pretrained=weights), load_course_data(source, plan.image_size)
        fit(model, data, plan.config, default_checkpoint(f"{backbone}_quick"))
        if not (matching := find_checkpoints(source)[0]):
            raise RuntimeError(f"the quick model does not count for this data: {find_checkpoints(source)[1]}")
    return matching[0]
