"""One preprocessing owner: lesson 01's per-image augmentation and the batched one are the same augmentation,
and a face gets the same tensor from the training cache, the app, the command line and the export."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torchvision.transforms import v2

from helpers.constants import IMAGENET_MEAN, IMAGENET_STD
from helpers.data import load_course_data
from helpers.export import Deployable
from helpers.images import read_image
from helpers.inference import load_mask_model, mask_probabilities
from helpers.loaders import eval_batches
from helpers.predict import main as predict_main
from helpers.preprocess import (
    Augmentation,
    apply_augmentation,
    augment_batch,
    draw_augmentation,
    eval_batch,
    eval_transform,
    train_transform,
)
from tests.conftest import make_flat

F = v2.functional
NOTHING = Augmentation((1.0, 1.0), (1.0, 1.0), 0.0, (1.0, 1.0), (1.0, 1.0), (1.0, 1.0), (0.0, 0.0), 0.0)


def _images(n: int = 6, size: int = 48) -> torch.Tensor:
    generator = torch.Generator().manual_seed(1)
    return torch.randint(0, 256, (n, 3, size, size), dtype=torch.uint8, generator=generator)


def _one_by_one(image: torch.Tensor, draw, k: int, size: int) -> torch.Tensor:  # noqa: ANN001
    """train_transform's steps with the k-th image's drawn values, through torchvision's own functions."""
    x = F.to_dtype(image, torch.float32, scale=True)
    top, left, height, width = draw.boxes[k].tolist()
    x = F.resized_crop(x, top, left, height, width, [size, size], antialias=True)
    x = F.horizontal_flip(x) if draw.flip[k] else x
    x = F.adjust_brightness(x, float(draw.brightness[k]))
    x = F.adjust_contrast(x, float(draw.contrast[k]))
    x = F.adjust_saturation(x, float(draw.saturation[k]))
    x = F.adjust_hue(x, float(draw.hue[k]))
    x = F.rgb_to_grayscale(x, 3) if draw.grayscale[k] else x
    return F.normalize(x, list(IMAGENET_MEAN), list(IMAGENET_STD))


@pytest.mark.parametrize(("seed", "size"), [(0, 48), (1, 48), (2, 56)])
def test_batched_augmentation_is_lesson_01s_for_the_same_draw(seed: int, size: int) -> None:
    strong = Augmentation(crop_scale=(0.3, 1.0), grayscale=0.5, hue=(-0.3, 0.3))
    images = _images(8)
    for aug in (Augmentation(), strong):
        draw = draw_augmentation(len(images), 48, aug, torch.Generator().manual_seed(seed))
        batched = apply_augmentation(images, draw, size)
        for k, image in enumerate(images):
            assert torch.allclose(batched[k], _one_by_one(image, draw, k, size), atol=1e-4), f"image {k}"


def test_shrinking_crops_is_refused_with_the_fix() -> None:
    with pytest.raises(ValueError, match="images of 48 px for size=32.*image_size=32"):
        augment_batch(_images(2), 32, torch.Generator())


def test_draws_follow_the_ranges_like_random_resized_crop() -> None:
    aug = Augmentation()
    draw = draw_augmentation(4000, 64, aug, torch.Generator().manual_seed(0))
    area = draw.boxes[:, 2] * draw.boxes[:, 3] / 64**2
    assert area.min() >= 0.65 and area.max() <= 1.0 and (draw.boxes[:, :2] >= 0).all()
    assert ((draw.boxes[:, 0] + draw.boxes[:, 2]) <= 64).all() and (
        (draw.boxes[:, 1] + draw.boxes[:, 3]) <= 64
    ).all()
    assert 0.45 < draw.flip.float().mean() < 0.55 and 0.07 < draw.grayscale.float().mean() < 0.13
    assert draw.hue.min() >= -0.05 and draw.hue.max() <= 0.05 and draw.brightness.min() >= 0.7


def test_no_augmentation_is_evaluation_on_both_paths() -> None:
    images = _images(3, 40)
    plain = eval_batch(images)
    assert torch.allclose(
        augment_batch(images, 40, torch.Generator().manual_seed(0), NOTHING), plain, atol=1e-5
    )
    for k, image in enumerate(images):
        assert torch.allclose(train_transform(40, NOTHING)(image), plain[k], atol=1e-6)
        assert torch.equal(eval_transform(40)(image), plain[k])


def test_a_seed_repeats_the_augmentation() -> None:
    images = _images()
    a, b, c = (augment_batch(images, 56, torch.Generator().manual_seed(s)) for s in (0, 0, 1))
    assert a.shape == (6, 3, 56, 56) and torch.equal(a, b) and not torch.equal(a, c)


def _capture_inputs() -> tuple[list[torch.Tensor], object]:
    """Every tensor a SmallCNN receives, from anywhere: a global forward pre-hook."""
    from helpers.models import SmallCNN

    seen: list[torch.Tensor] = []

    def keep(module: torch.nn.Module, args: tuple) -> None:
        if isinstance(module, SmallCNN):
            seen.append(args[0].detach().cpu().contiguous())

    return seen, torch.nn.modules.module.register_module_forward_pre_hook(keep)


def test_the_model_gets_the_same_tensor_on_every_path(
    tmp_path: Path, tiny_checkpoint: Path, capsys: pytest.CaptureFixture
) -> None:
    root = make_flat(tmp_path / "data", per_class=6)
    photo = root / "with_mask" / "img_003.jpg"
    from PIL import Image

    Image.fromarray(np.asarray(read_image(photo))).resize((77, 61)).save(photo)  # not the model's size
    data = load_course_data(root, image_size=32, quick=False)
    split, index = next(
        (s, p.index(photo)) for s, p in ((s, data.splits[s].paths) for s in data.splits) if photo in p
    )
    images = data.splits[split].images[index : index + 1]
    model = load_mask_model(tiny_checkpoint, device="cpu")
    seen, hook = _capture_inputs()
    try:
        (training,) = [batch for batch, _ in eval_batches(images, torch.zeros(1, dtype=torch.long))]
        model.net(training)  # the training and evaluation path: the cache, then eval_batch
        mask_probabilities(model, [read_image(photo)])  # the app (lessons 06-08)
        assert predict_main(["--model", str(tiny_checkpoint), str(photo)]) == 0  # the command line
        Deployable(model.net, model.mean, model.std)(images.float())  # the ONNX export's graph, in torch
    finally:
        hook.remove()
    assert json.loads(capsys.readouterr().out)["path"] == str(photo)
    assert len(seen) == 4
    for tensor in seen[1:]:
        assert torch.allclose(tensor, seen[0], atol=1e-6, rtol=0), "same pixels, same tensor"
    assert torch.equal(seen[1], seen[0]) and torch.equal(seen[2], seen[0]), (
        "exactly, where PyTorch does it all"
    )
