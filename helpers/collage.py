"""Test scenes whose true boxes are known: face pictures pasted on a wall, still or drifting across a short
clip, for lessons 07 and 08 and the benchmarks: no camera, no downloaded video, no annotation needed."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import zip_longest
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np
from PIL import Image

from helpers.boxes import match_boxes
from helpers.images import read_image


class SceneFace(NamedTuple):
    box: tuple[int, int, int, int]  # where the face picture was pasted (x, y, w, h)
    label: str


def _background(width: int, height: int, seed: int) -> np.ndarray:
    """A smooth two-colour gradient with a little noise: a wall, not a blank test card."""
    rng = np.random.default_rng(seed)
    top, bottom = rng.integers(60, 200, size=(2, 3))
    ramp = np.linspace(0, 1, height)[:, None, None]
    image = top * (1 - ramp) + bottom * ramp + rng.normal(0, 4, size=(height, width, 3))
    return np.clip(image, 0, 255).astype(np.uint8)


def scene(
    faces: Sequence[tuple[np.ndarray, str]],
    size: tuple[int, int] = (640, 480),
    t: float = 0.5,
    face_px: int = 120,
) -> tuple[np.ndarray, list[SceneFace]]:
    """An RGB picture with the faces (RGB arrays with their labels) on a grid, drifting sideways as t goes
    0 -> 1, and where each face is, with its true label."""
    if not faces:
        raise ValueError("a scene needs at least one face; the detector found none of the faces it was shown")
    (width, height), truth = size, []
    frame = _background(width, height, seed=0)
    columns = min(len(faces), max(1, width // (face_px + 10)))
    cell_w, cell_h = width / columns, height / -(-len(faces) // columns)
    for i, (face, label) in enumerate(faces):
        picture = Image.fromarray(face)
        picture = np.asarray(
            picture.resize((face_px, round(face_px * picture.height / picture.width)), Image.LANCZOS)
        )
        row, column = divmod(i, columns)
        x = round(column * cell_w + (cell_w - face_px) / 2 + (t - 0.5) * max(0.0, cell_w - face_px) * 0.8)
        y = round(row * cell_h + (cell_h - picture.shape[0]) / 2)
        frame[y : y + picture.shape[0], x : x + face_px] = picture
        truth.append(SceneFace((x, y, face_px, picture.shape[0]), label))
    return frame, truth


def scene_faces(
    detector: object,
    paths: Sequence[str | Path],
    labels: Sequence[str],
    per_class: int = 3,
    limit: int = 40,
    times: Sequence[float] = (0.5,),
) -> tuple[list[tuple[np.ndarray, str]], dict[str, str]]:
    """per_class face pictures of each label (paths in order) that the detector finds in their scene at every
    time in times (a missed one is swapped for the next: a scene should test the classifier, not the
    detector), and per label how many were tried."""
    names = sorted(set(labels))
    queue = {
        name: [path for path, label in zip(paths, labels, strict=True) if label == name][:limit]
        for name in names
    }
    chosen, tried = {name: [] for name in names}, dict.fromkeys(names, 0)
    while True:  # every round swaps out at least one face or ends: the queues are finite
        for name in names:  # top up each label from its queue
            while len(chosen[name]) < per_class and tried[name] < len(queue[name]):
                chosen[name].append(read_image(queue[name][tried[name]]))
                tried[name] += 1
        rounds = zip_longest(*([(face, name) for face in chosen[name]] for name in names))
        faces = [pair for pairs in rounds for pair in pairs if pair is not None]
        missed = set()
        for frame, truth in (scene(faces, t=t) for t in times) if faces else ():
            found = match_boxes([face.box for face in detector.detect(frame)], [face.box for face in truth])
            missed |= {i for i, hit in enumerate(found) if hit is None}
        if not missed:
            return faces, {name: f"{len(chosen[name])} found of {tried[name]} tried" for name in names}
        for face, name in (faces[i] for i in missed):
            chosen[name] = [f for f in chosen[name] if f is not face]


def make_clip(
    path: str | Path, faces: Sequence[tuple[np.ndarray, str]], seconds: float = 2.0, fps: int = 10
) -> tuple[Path, list[str]]:
    """A short .mp4 of the faces drifting across a wall, and their true labels, left to right."""
    path, count = Path(path), round(seconds * fps)
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = [scene(faces, t=i / max(1, count - 1))[0] for i in range(count)]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, frames[0].shape[1::-1])
    if not writer.isOpened():
        raise ValueError(f"{path}: OpenCV cannot write an mp4v video there")
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path, [label for _, label in faces]
