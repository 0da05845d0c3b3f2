"""The model lessons 05-08 use when they run on their own: the best checkpoint trained on the data in use,
or, when there is none, a quick one trained now. Training is never a side effect of predicting: a lesson
calls course_model() in a cell of its own, and the cell says what it does.
"""

from __future__ import annotations

from pathlib import Path

from helpers.data import DataSource, find_data, load_course_data
from helpers.evaluation import SavedModel, find_checkpoints
from helpers.models import build_model
from helpers.runtime import display_path, quick_mode
from helpers.training import default_checkpoint, fit, recipe
from helpers.weights import imagenet_weights_available


def train_quick_model(source: DataSource | str | Path | None = None) -> Path:
    """MobileNetV2 on frozen ImageNet features if its weights are on this machine (no download), else the
    small CNN; the notebooks' recipes with 10 epochs and fewer views. Quick mode keeps the 10 epochs (on its
    small subset they take seconds): two would leave a model that guesses, and lessons 6-8 show it."""
    source = source if isinstance(source, DataSource) else find_data(source)
    backbone = "mobilenet_v2" if imagenet_weights_available("mobilenet_v2", allow_download=False) else "cnn"
    views = 1 if quick_mode() else 2  # augmented copies of each image for MobileNetV2's features
    plan = recipe(backbone, epochs=10, feature_views=views)
    data = load_course_data(source, image_size=plan.image_size)
    model = build_model(backbone, pretrained=backbone != "cnn")
    return fit(model, data, plan.config, checkpoint=default_checkpoint(f"{backbone}_quick")).checkpoint


def course_model(source: DataSource | str | Path | None = None) -> SavedModel:
    """The best checkpoint trained on the data in use (chosen on validation), training a quick one if none."""
    source = source if isinstance(source, DataSource) else find_data(source)
    search = find_checkpoints(source)
    if not search.matching:
        print(
            f"No checkpoint trained on {source.describe().removeprefix('Data: ')}: training a quick one now."
        )
        train_quick_model(source)
        search = find_checkpoints(source)
    best = search.best()
    if best is None:
        raise RuntimeError(f"no usable checkpoint in {display_path(search.folder)}:\n{search}")
    return best
