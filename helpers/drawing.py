"""Boxes and labels drawn with OpenCV (lesson 07's), sized to the picture: alike on thumbnails and posters."""

import cv2
import numpy as np

from helpers.constants import LABEL_RGB, LABEL_TEXT
from helpers.faces import Face
from helpers.inference import Prediction


# Kept identical in notebooks/07_opencv_face_highlighting.ipynb (the lesson writes it).
def draw_label(
    image: np.ndarray, text: str, box: tuple[int, int, int, int], colour: tuple[int, int, int]
) -> None:
    """White text on a filled bar above the box (inside it at the top), sized to the box and the picture."""
    font, x, y, width = cv2.FONT_HERSHEY_SIMPLEX, box[0], box[1], image.shape[1]
    scale = max(0.3, min(box[2], width) / 180)
    (text_w, _), _ = cv2.getTextSize(text, font, scale, 1)
    scale = min(scale, scale * (width - 6) / text_w)  # shrink until it fits across the picture
    thickness = max(1, round(1.6 * scale))
    (text_w, text_h), base = cv2.getTextSize(text, font, scale, thickness)
    x = min(x, width - text_w - 4)
    top = y - text_h - base - 4 if y - text_h - base - 4 >= 0 else y
    cv2.rectangle(image, (x, top), (x + text_w + 4, top + text_h + base + 4), colour, cv2.FILLED)
    cv2.putText(image, text, (x + 2, top + text_h + 2), font, scale, (255, 255, 255), thickness, cv2.LINE_AA)


# Kept identical in notebooks/07_opencv_face_highlighting.ipynb (the lesson writes it).
def draw_predictions(image: np.ndarray, predictions: list[Prediction]) -> np.ndarray:
    """A copy with a box and "mask 97%" (or "no mask 88%") per face, or the label in the corner if no box."""
    out = image.copy()
    thickness = max(1, round(max(image.shape[:2]) / 300))
    for prediction in predictions:
        colour = LABEL_RGB[prediction.label]
        text = f"{LABEL_TEXT[prediction.label]} {min(prediction.probability, 0.99):.0%}"  # never "100%"
        if prediction.box is not None:
            x, y, w, h = prediction.box
            cv2.rectangle(out, (x, y), (x + w - 1, y + h - 1), colour, thickness)
        draw_label(out, text, prediction.box or (0, 0, image.shape[1], image.shape[0]), colour)
    return out


def draw_faces(image: np.ndarray, faces: list[Face], colour: tuple = (255, 200, 0)) -> np.ndarray:
    """A copy with each detected face boxed (detection only, no mask label yet) and its score, if any."""
    out = image.copy()
    thickness = max(1, round(max(out.shape[:2]) / 250))
    for face in faces:
        x, y, w, h = face.box
        cv2.rectangle(out, (x, y), (x + w - 1, y + h - 1), colour, thickness)
        if face.score is not None:
            draw_label(out, f"{face.score:.2f}", face.box, colour)
    return out
