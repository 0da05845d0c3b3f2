"""Using a model: inputs checked with clear errors, faces classified in one batch, the app's words."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import cv2
import matplotlib
import numpy as np
import pytest
import torch
from PIL import Image

from helpers.app import run_app
from helpers.boxes import crop_face
from helpers.checkpoints import CheckpointError, read_checkpoint
from helpers.constants import ALL_CLASS_NAMES, CLASS_NAMES, LABEL_RGB
from helpers.drawing import draw_predictions
from helpers.faces import Face
from helpers.images import ImageLoadError, image_files, read_image
from helpers.inference import (
    MaskModel,
    Prediction,
    classify_faces,
    load_mask_model,
    message,
    percent,
    predict_image,
)
from helpers.models import build_model
from helpers.samples import grace_hopper
from helpers.video import FrameAnnotator, write_video
from tests.test_video import WEBCAM, lesson_08

matplotlib.use("Agg")


def answer(p_mask: float, **facts: object) -> Prediction:
    """A two-class answer with this P(mask)."""
    return Prediction.from_probabilities(np.array([p_mask, 1 - p_mask]), CLASS_NAMES, **facts)


class FixedDetector:
    """Finds the boxes it was given: tests the pipeline without a detector model."""

    name = "fixed"
    description = "fixed boxes"

    def __init__(self, boxes: list[tuple[int, int, int, int]]) -> None:
        self.boxes = boxes

    def detect(self, image: np.ndarray) -> list[Face]:
        return [Face(box, 0.9) for box in self.boxes]


@pytest.fixture(scope="module")
def model(tiny_checkpoint: Path) -> MaskModel:
    return load_mask_model(tiny_checkpoint, device="cpu")


@pytest.fixture
def photo_file(tmp_path: Path) -> Path:
    path = tmp_path / "photo.jpg"
    grace_hopper().resize((128, 150)).save(path)
    return path


def p_mask(model: MaskModel, crops: list[np.ndarray]) -> np.ndarray:
    return model.probabilities(crops)[:, CLASS_NAMES.index("mask")]


def test_model_facts(model: MaskModel, tiny_checkpoint: Path) -> None:
    assert model.image_size == 32 and model.name == "tiny" and "random initialisation" in model.weights
    assert "tiny: cnn at 32 px" in model.describe()


def test_batch_equals_one_by_one(model: MaskModel) -> None:
    rng = np.random.default_rng(0)
    crops = [rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8) for h, w in ((40, 30), (90, 90), (20, 64))]
    together = p_mask(model, crops)
    alone = np.concatenate([p_mask(model, [crop]) for crop in crops])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    assert p_mask(model, []).shape == (0,)


def test_every_face_is_classified_in_one_batch(model: MaskModel) -> None:
    image = np.asarray(grace_hopper())
    boxes = [(300, 100, 80, 90), (-20, 500, 100, 150), (10, 10, 60, 70)]  # one sticks out of the image
    predictions = classify_faces(image, model, FixedDetector(boxes))
    assert [p.box for p in predictions] == boxes
    one_by_one = [p_mask(model, [crop_face(image, box)])[0] for box in boxes]
    np.testing.assert_allclose([p.p_mask for p in predictions], one_by_one, atol=1e-5)
    for p in predictions:
        assert p.label in ("mask", "no_mask") and 0.5 <= p.probability <= 1 and p.region == "face (fixed)"
    assert crop_face(image, (-20, 500, 100, 150)).shape == (130, 100, 3), "cut at the picture edges"


def test_predict_image_uses_the_largest_face_or_says_whole_image(model: MaskModel, photo_file: Path) -> None:
    found = predict_image(photo_file, model, FixedDetector([(5, 5, 20, 20), (30, 30, 60, 70)]))
    assert found.box == (30, 30, 60, 70) and found.region == "largest of 2 face(s) found by fixed"
    none = predict_image(photo_file, model, FixedDetector([]))
    assert none.box is None and none.region == "whole image (fixed found no face)"
    whole = predict_image(np.asarray(Image.open(photo_file)), model, None)
    assert whole.region == "whole image (no face detector)"
    assert whole.probability == pytest.approx(max(whole.p_mask, 1 - whole.p_mask)) and whole.box is None
    low = answer(np.float32(0.1234567))
    assert (
        low.label == "no_mask"
        and low.probability == pytest.approx(1 - low.p_mask)
        and type(low.probability) is float
    )


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda d: d / "missing.jpg", "no such file"),
        (lambda d: d, "is a folder"),
        (lambda d: _write(d / "notes.jpg", b"shopping list"), "not an image file"),
        (lambda d: _write(d / "page.png", b"<!DOCTYPE html><html></html>"), "HTML page"),
        (lambda d: _write(d / "empty.jpg", b""), "empty file"),
        (lambda d: _truncated(d / "cut.jpg"), "corrupt or truncated"),
    ],
)
def test_bad_files_are_named(tmp_path: Path, model: MaskModel, make, reason: str) -> None:  # noqa: ANN001
    path = make(tmp_path)
    with pytest.raises(ImageLoadError, match=re.escape(str(path)) + ".*" + reason):
        predict_image(path, model, None)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _truncated(path: Path) -> Path:
    grace_hopper().save(path)
    return _write(path, path.read_bytes()[:2000])


@pytest.mark.parametrize(
    ("array", "expected"),
    [
        (np.zeros((10, 10, 3), dtype=np.int64), "expected uint8 0-255, or floats 0-1"),
        (np.full((10, 10, 3), 200.0), "float images must be scaled 0-1"),
        (np.zeros((10,), dtype=np.uint8), "expected an image"),
        (np.zeros((10, 10, 2), dtype=np.uint8), "expected an image"),
        (np.zeros((0, 10, 3), dtype=np.uint8), "expected an image"),
    ],
)
def test_bad_arrays_are_described(array: np.ndarray, expected: str) -> None:
    with pytest.raises(ValueError, match=re.escape(expected)):
        read_image(array)


def test_good_arrays_become_rgb() -> None:
    assert read_image(np.zeros((8, 6), dtype=np.uint8)).shape == (8, 6, 3)
    assert read_image(np.zeros((8, 6, 4), dtype=np.uint8)).shape == (8, 6, 3)
    assert read_image(np.ones((8, 6, 3))).max() == 255
    with pytest.raises(TypeError, match="got int"):
        read_image(42)  # type: ignore[arg-type]


def test_messages_are_friendly_and_gender_neutral() -> None:
    sure = message(answer(0.97))
    unsure = message(answer(0.45))
    assert sure.startswith("Mask on") and "97% sure" in sure
    assert unsure.startswith("No mask") and "unsure" in unsure
    for text in (sure, unsure):
        assert not re.search(r"\b(he|she|his|her|him|man|woman|sir|madam)\b", text, re.IGNORECASE)


def test_a_confidence_is_never_said_as_certain() -> None:
    assert percent(0.9994) == "more than 99%" and percent(0.004) == "less than 1%" and percent(0.97) == "97%"
    assert "(more than 99% sure)" in message(answer(0.9994))
    assert "(more than 99% sure)" in message(answer(0.0006)), "no mask, just as sure"


def test_run_app_on_a_file_and_a_folder(
    tmp_path: Path, model: MaskModel, capsys: pytest.CaptureFixture
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("a.jpg", "b.png"):
        grace_hopper().resize((64, 75)).save(folder / name)
    _write(folder / "broken.jpg", b"not really")
    _write(folder / ".DS_Store", b"junk")
    (single,) = run_app(folder / "a.jpg", model, detector=None)
    assert single == predict_image(folder / "a.jpg", model, None)
    answers = run_app(folder, model, detector=None)
    said = capsys.readouterr().out
    assert len(answers) == 2 and "broken.jpg: skipped, not an image file" in said and ".DS_Store" not in said
    assert said.count("the person in this picture") == 3 and "a.jpg: " in said and "b.png: " in said


def test_run_app_bad_paths(tmp_path: Path, model: MaskModel) -> None:
    with pytest.raises(ImageLoadError, match="nowhere.jpg: no such file"):
        run_app(tmp_path / "nowhere.jpg", model, detector=None)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ImageLoadError, match="empty: a folder with no images"):
        run_app(tmp_path / "empty", model, detector=None)
    _write(tmp_path / "notes.txt", b"hello")
    with pytest.raises(ImageLoadError, match="notes.txt: not an image file"):
        run_app(tmp_path / "notes.txt", model, detector=None)
    with pytest.raises(ImageLoadError):
        image_files(tmp_path / "empty")


def test_bad_checkpoint_is_named(tmp_path: Path) -> None:
    page = _write(tmp_path / "model.pt", b"<!DOCTYPE html>")
    with pytest.raises(CheckpointError, match="model.pt"):
        load_mask_model(page)


def test_drawing_stays_inside_the_picture_and_leaves_it_unchanged() -> None:
    image = np.zeros((60, 80, 3), dtype=np.uint8)
    boxes = [
        answer(0.9, box=(0, 0, 30, 30)),
        answer(0.1, box=(50, 30, 30, 30)),
    ]
    drawn = draw_predictions(image, boxes)
    assert drawn.shape == image.shape and image.max() == 0, "the original is not changed"
    assert tuple(drawn[29, 0]) == (0, 160, 60) and tuple(drawn[59, 79]) == (220, 40, 40)
    whole = draw_predictions(image, [answer(0.2)])  # no box: the label in the corner
    assert tuple(whole[1, 1]) == (220, 40, 40) and whole[59, 79].max() == 0


@pytest.mark.parametrize("size", [(40, 30), (128, 128), (1200, 900)])
def test_labels_fit_across_any_picture(size: tuple[int, int]) -> None:
    image = np.zeros((size[1], size[0], 3), dtype=np.uint8)
    drawn = draw_predictions(image, [answer(0.2)])  # "no mask 80%" across the top
    columns = np.flatnonzero(drawn.max(axis=(0, 2)))
    assert columns.max() < size[0] and columns.max() - columns.min() > size[0] * 0.3, "readable, not clipped"


def test_predicting_does_not_load_the_data_scanner_or_training(
    tiny_checkpoint: Path, photo_file: Path
) -> None:
    """The app, the CLI and the export import what prediction needs, not the scanner and demo generator."""
    code = (
        "import sys, matplotlib; matplotlib.use('Agg')\n"
        "import helpers.app, helpers.inference, helpers.predict, helpers.export, helpers.video\n"
        "model = helpers.inference.load_mask_model(sys.argv[1], device='cpu')\n"
        "helpers.app.run_app(sys.argv[2], model, None)\n"
        "heavy = {'helpers.data', 'helpers.demo_data', 'helpers.training', 'helpers.loaders'}\n"
        "print(sorted(m for m in sys.modules if m in heavy))"
    )
    args = [sys.executable, "-c", code, str(tiny_checkpoint), str(photo_file)]
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]" and "photo.jpg: " in done.stdout


@pytest.fixture(scope="module")
def incorrect_checkpoint(tiny_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A three-class checkpoint (the tiny one's facts) whose last layer answers "incorrect" to everything."""
    net = build_model("cnn", pretrained=False, classes=3, channels=(4, 8))
    torch.nn.init.zeros_(net.head[-1].weight)
    net.head[-1].bias.data = torch.tensor([0.0, 0.0, 5.0])
    payload = read_checkpoint(tiny_checkpoint) | {
        "class_names": list(ALL_CLASS_NAMES),
        "model": net.state_dict(),
    }
    payload["options"] = dict(payload["options"]) | {"classes": 3}
    path = tmp_path_factory.mktemp("three") / "incorrect.pt"
    torch.save(payload, path)
    return path


def test_a_three_class_checkpoint_s_classes_are_used_everywhere(
    incorrect_checkpoint: Path,
    photo_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import matplotlib.pyplot as plt

    model = load_mask_model(incorrect_checkpoint, device="cpu")
    assert model.class_names == ALL_CLASS_NAMES
    orange = np.array(LABEL_RGB["incorrect"]) / 255
    detector = FixedDetector([(20, 30, 60, 70)])
    (app,) = run_app(photo_file, model, detector)  # the app: its answer, its sentence, its box's colour
    assert app.label == "incorrect" and app.probability > 0.9 and "Mask worn wrong" in capsys.readouterr().out
    (box,) = [patch for patch in plt.gcf().axes[0].patches]
    np.testing.assert_allclose(box.get_edgecolor()[:3], orange)
    plt.close("all")
    frame = np.asarray(Image.open(photo_file).convert("RGB"))
    annotator = FrameAnnotator(model, detector)  # the video pipeline: every face, drawn in orange
    drawn = annotator(frame)
    assert [p.label for p in annotator.answers[0]] == ["incorrect"] and tuple(drawn[65, 20]) == LABEL_RGB[
        "incorrect"
    ]
    clip = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"mp4v"), 5, frame.shape[1::-1])
    for _ in range(3):
        writer.write(frame[:, :, ::-1].copy())
    writer.release()
    report = write_video(clip, tmp_path / "out.mp4", FrameAnnotator(model, detector))
    assert report.labels == {"mask": 0, "no_mask": 0, "incorrect": 3}

    class Camera:  # lesson 08's webcam loop on a fake capture: the photo until q, after two frames
        def read(self) -> tuple[bool, np.ndarray]:
            return True, frame[:, :, ::-1].copy()

        def release(self) -> None:
            pass

    lesson = lesson_08(*WEBCAM)
    shown = []
    monkeypatch.setattr(cv2, "imshow", lambda name, image: shown.append(image))
    monkeypatch.setattr(cv2, "waitKey", lambda ms: ord("q") if len(shown) == 2 else -1)
    monkeypatch.setattr(cv2, "getWindowProperty", lambda name, prop: 1.0)  # the window stays open
    monkeypatch.setattr(cv2, "destroyAllWindows", lambda: None)
    assert lesson["webcam"](FrameAnnotator(model, detector), Camera()) == 2
    assert tuple(shown[-1][65, 20]) == LABEL_RGB["incorrect"][::-1]  # BGR on the screen
    from helpers.predict import main as predict_main

    assert predict_main(["--model", str(incorrect_checkpoint), str(photo_file)]) == 0
    assert json.loads(capsys.readouterr().out)["label"] == "incorrect"
    pytest.importorskip("onnx")
    from helpers.export import OnnxMaskModel, export_onnx

    path = export_onnx(model, tmp_path / "three.onnx")
    assert json.loads(Path(f"{path}.json").read_text())["class_names"] == list(ALL_CLASS_NAMES)
    onnx_drawn = FrameAnnotator(OnnxMaskModel(path), detector)(frame)
    assert tuple(onnx_drawn[65, 20]) == LABEL_RGB["incorrect"]
