"""Scenes with known true boxes: faces pasted on a wall, still or drifting; no camera, video or annotation."""

from collections.abc import Sequence
from itertools import zip_longest
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np
from PIL import Image

from helpers.boxes import match_boxes
from helpers.images import read_image

WIDTH, HEIGHT, FACE_PX = 640, 480, 120  # the scene and each face picture's width in it


class SceneFace(NamedTuple):
    box: tuple[int, int, int, int]  # where the face picture was pasted (x, y, w, h)
    label: str


def scene(faces: Sequence[tuple[np.ndarray, str]], t: float = 0.5) -> tuple[np.ndarray, list[SceneFace]]:
    """The faces (RGB arrays, labelled) on a grid, drifting sideways as t goes 0 -> 1; their true boxes."""
    if not faces:
        raise ValueError("a scene needs at least one face; the detector found none of the faces it was shown")
    rng = np.random.default_rng(0)  # the same wall in every scene: two colours, top to bottom, a little noise
    top, bottom = rng.integers(60, 200, size=(2, 3))
    frame = (np.linspace(top, bottom, HEIGHT)[:, None] + rng.normal(0, 4, (HEIGHT, WIDTH, 3))).astype("uint8")
    truth = []
    columns = min(len(faces), WIDTH // (FACE_PX + 10))
    cell_w, cell_h = WIDTH / columns, HEIGHT / -(-len(faces) // columns)
    for i, (face, label) in enumerate(faces):
        h = round(FACE_PX * face.shape[0] / face.shape[1])
        row, column = divmod(i, columns)
        x = round(column * cell_w + (cell_w - FACE_PX) / 2 + (t - 0.5) * max(0.0, cell_w - FACE_PX) * 0.8)
        y = round(row * cell_h + (cell_h - h) / 2)
        picture = Image.fromarray(face).resize((FACE_PX, h), Image.LANCZOS)
        frame[y : y + h, x : x + FACE_PX] = np.asarray(picture)
        truth.append(SceneFace((x, y, FACE_PX, h), label))
    return frame, truth


def scene_faces(
    detector: object, paths: Sequence[str | Path], labels: Sequence[str], per_class: int = 3,
    times: Sequence[float] = (0.5,),
) -> tuple[list[tuple[np.ndarray, str]], dict[str, str]]:
    """per_class faces of each label (of its first 40) that the detector finds in the scene at all times."""
    names = sorted(set(labels))
    queue = {name: [p for p, lab in zip(paths, labels, strict=True) if lab == name][:40] for name in names}
    chosen, tried = {name: [] for name in names}, dict.fromkeys(names, 0)
    while True:  # every round swaps out at least one face or ends: the queues are finite
        for name in names:  # top up each label from its queue
            more = queue[name][tried[name] : tried[name] + per_class - len(chosen[name])]
            chosen[name] += [read_image(path) for path in more]
            tried[name] += len(more)
        rounds = zip_longest(*([(face, name) for face in chosen[name]] for name in names))
        faces = [pair for pairs in rounds for pair in pairs if pair is not None]
        missed = set()
        for frame, truth in (scene(faces, t=t) for t in times) if faces else ():
            found = match_boxes([face.box for face in detector.detect(frame)], [face.box for face in truth])
            missed |= {i for i, hit in enumerate(found) if hit is None}
        if not missed:
            return faces, {name: f"{len(chosen[name])} found of {tried[name]} tried" for name in names}
        for face, name in (faces[i] for i in missed):  # swapped for the next: scenes test the classifier
            chosen[name] = [f for f in chosen[name] if f is not face]


def make_clip(path: str | Path, faces: Sequence, seconds: float = 2.0, fps: int = 10) -> tuple[Path, list]:
    """A short .mp4 of the faces (RGB arrays, labelled) drifting across a wall; their labels left to right."""
    path, count = Path(path), round(seconds * fps)
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = [scene(faces, t=i / max(1, count - 1))[0] for i in range(count)]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (WIDTH, HEIGHT))
    if not writer.isOpened():
        raise ValueError(f"{path}: OpenCV cannot write an mp4v video there")
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path, [label for _, label in faces]
