"""One preprocessing owner: lesson 01's per-image augmentation and the batched one are the same augmentation,
and a face gets the same tensor from the training cache, the app, the command line and the export."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers.data import load_course_data
from helpers.export import Deployable
from helpers.images import read_image
from helpers.inference import class_probabilities, load_mask_model
from helpers.loaders import batch_augmentation, eval_batches
from helpers.predict import main as predict_main
from helpers.preprocess import Augmentation, eval_batch, eval_transform, small_faces, train_transform
from tests.conftest import make_flat

NOTHING = Augmentation((1.0, 1.0), (1.0, 1.0), 0.0, (1.0, 1.0), (1.0, 1.0), (1.0, 1.0), (0.0, 0.0), 0.0)


def _images(n: int = 6, size: int = 48) -> torch.Tensor:
    generator = torch.Generator().manual_seed(1)
    return torch.randint(0, 256, (n, 3, size, size), dtype=torch.uint8, generator=generator)


@pytest.mark.parametrize("hue", [0.0, 0.05, -0.2])
def test_batch_augmentation_applies_lesson_01s_changes(hue: float) -> None:
    """With every range fixed to one value both paths are deterministic: kornia's batch steps must give what
    lesson 01's v2 transforms give, image by image (same formulas, same order)."""
    fixed = Augmentation((1.0, 1.0), (1.0, 1.0), 1.0, (1.2, 1.2), (0.8, 0.8), (1.1, 1.1), (hue, hue), 0.0)
    images = _images(4, 40)
    batched = batch_augmentation(40, fixed)(images.float() / 255)
    one_by_one = torch.stack([train_transform(40, fixed)(image) for image in images])
    assert torch.allclose(batched, one_by_one, atol=2e-4)


def test_no_augmentation_is_evaluation_on_both_paths() -> None:
    images = _images(3, 40)
    plain = eval_batch(images)
    assert torch.allclose(batch_augmentation(40, NOTHING)(images.float() / 255), plain, atol=1e-5)
    for k, image in enumerate(images):
        assert torch.allclose(train_transform(40, NOTHING)(image), plain[k], atol=1e-6)
        assert torch.equal(eval_transform(40)(image), plain[k])


def test_batch_augmentation_draws_per_image_and_repeats_with_the_seed() -> None:
    same = _images(1).expand(8, -1, -1, -1).float() / 255  # eight copies of one image
    augment = batch_augmentation(56)
    torch.manual_seed(0)
    first = augment(same)
    torch.manual_seed(0)
    again = augment(same)
    assert first.shape == (8, 3, 56, 56) and torch.equal(first, again)
    assert len({round(float(image.sum()), 2) for image in first}) == 8, "one draw per image, not per batch"


def test_small_face_blurs_a_share_of_the_images() -> None:
    image = _images(1, 64)[0]
    assert small_faces(0.0, 64)(image) is image
    small = small_faces(1.0, 64)(image)
    assert small.shape == image.shape and small.dtype == torch.uint8 and not torch.equal(small, image)
    # detail is gone: neighbouring pixels differ far less than in random noise
    assert (small[:, :, 1:].float() - small[:, :, :-1].float()).abs().mean() < 0.5 * (
        image[:, :, 1:].float() - image[:, :, :-1].float()
    ).abs().mean()


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
        class_probabilities(model, [read_image(photo)])  # the app (lessons 06-08)
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
