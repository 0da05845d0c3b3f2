"""Lesson 06's app, `show_predictions` and `run_app` (kept identical to its cells): photo in, answer out."""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from helpers.constants import LABEL_RGB, LABEL_TEXT
from helpers.faces import FaceDetector
from helpers.images import read_images
from helpers.inference import MaskModel, Prediction, message, percent, predict_image
from helpers.plots import show_images


# Kept identical in notebooks/06_run_app.ipynb (the lesson writes it).
def show_predictions(shown: list[tuple[np.ndarray, Prediction, str]]) -> None:
    """The pictures in one figure, each titled with its answer and its face boxed in the answer's colour."""
    titles = [f"{name[:28]}\n{LABEL_TEXT[p.label]} ({percent(p.probability)})" for _, p, name in shown]
    figure = show_images([image for image, _, _ in shown], titles, size=5.0 if len(shown) == 1 else 3.0)
    for axes, (_, prediction, _) in zip(figure.axes, shown, strict=False):  # a grid may have empty cells
        colour = np.array(LABEL_RGB[prediction.label]) / 255  # matplotlib takes colours as 0-1
        axes.title.set_color(colour)
        if prediction.box is not None:
            x, y, w, h = prediction.box
            axes.add_patch(Rectangle((x, y), w, h, fill=False, edgecolor=colour, linewidth=3))
    plt.show()


# Kept identical in notebooks/06_run_app.ipynb (the lesson writes it).
def run_app(img_path: str | Path, model: MaskModel, detector: FaceDetector | None) -> list[Prediction]:
    """Say whether the person in a photo wears a mask, and show it; a folder does every image in it."""
    answers, shown = [], []
    for name, image in read_images(img_path):  # one file, or every readable image in a folder
        prediction = predict_image(image, model, detector)
        print(f"{name}: {message(prediction)} [{prediction.region}]")
        answers.append(prediction)
        shown.append((image, prediction, name))
    show_predictions(shown)  # matplotlib, not cv2.imshow: it works in notebooks, on Kaggle and in CI
    return answers
