"""The synthetic demo dataset must be reproducible, complete and honestly labelled, and cheap to re-use."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from helpers.demo_data import (
    CLASS_FOLDERS,
    COPY_EVERY,
    DEMO_VERSION,
    JUNK_FILE,
    MARKER_NAME,
    add_synthetic_mask,
    draw_face,
    draw_scene,
    generate_demo_dataset,
    is_demo_dataset,
)
from helpers.images import is_junk
from helpers.splits import difference_hash, duplicate_groups

SIZE = 64  # small images keep the whole file well under a second or two


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _mtimes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def test_two_generations_are_byte_identical(tmp_path: Path) -> None:
    a = _files(generate_demo_dataset(tmp_path / "a", n_per_class=6, size=SIZE, seed=3))
    b = _files(generate_demo_dataset(tmp_path / "b", n_per_class=6, size=SIZE, seed=3))
    assert a == b
    assert len(a) == 2 * 6 + 1 + 1  # the images, the junk file and the marker


def test_seed_changes_the_images(tmp_path: Path) -> None:
    a = _files(generate_demo_dataset(tmp_path / "a", n_per_class=2, size=SIZE, seed=0))
    b = _files(generate_demo_dataset(tmp_path / "b", n_per_class=2, size=SIZE, seed=1))
    name = f"{CLASS_FOLDERS['mask']}/demo_00000.jpg"
    assert a[name] != b[name]


def test_image_i_does_not_depend_on_n_per_class(tmp_path: Path) -> None:
    five = _files(generate_demo_dataset(tmp_path / "five", n_per_class=5, size=SIZE))
    eight = _files(generate_demo_dataset(tmp_path / "eight", n_per_class=8, size=SIZE))
    for name, data in five.items():
        if name.endswith(".jpg"):
            assert eight[name] == data, name


def test_layout_counts_marker_and_image_format(tmp_path: Path) -> None:
    root = generate_demo_dataset(tmp_path / "demo", n_per_class=4, size=SIZE)
    assert root == tmp_path / "demo"
    assert CLASS_FOLDERS == {"mask": "with_mask", "no_mask": "without_mask"}
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == ["with_mask", "without_mask"]
    for folder in CLASS_FOLDERS.values():
        names = sorted(p.name for p in (root / folder).iterdir() if not is_junk(p))
        assert names == [f"demo_{i:05d}.jpg" for i in range(4)]
        for name in names:
            with Image.open(root / folder / name) as im:
                assert im.format == "JPEG"
                assert im.mode == "RGB"
                assert im.size == (SIZE, SIZE)
    assert is_demo_dataset(root)
    text = (root / MARKER_NAME).read_text(encoding="utf-8")
    assert "SYNTHETIC" in text and "NOT REAL PEOPLE" in text
    assert f"demo_version = {DEMO_VERSION}" in text and "n_per_class = 4" in text
    # nothing but the dataset is left behind, not even the hidden temp folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]


def test_is_demo_dataset_false_without_marker(tmp_path: Path) -> None:
    assert not is_demo_dataset(tmp_path)
    assert not is_demo_dataset(tmp_path / "missing")


def test_second_call_does_not_rewrite(tmp_path: Path) -> None:
    root = generate_demo_dataset(tmp_path / "demo", n_per_class=3, size=SIZE)
    for path in root.rglob("*"):  # an old, fixed mtime makes any rewrite visible even on coarse file systems
        if path.is_file():
            os.utime(path, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    before = _mtimes(root)
    assert generate_demo_dataset(tmp_path / "demo", n_per_class=3, size=SIZE) == root
    assert _mtimes(root) == before
    assert len(before) == 2 * 3 + 2


def test_changed_params_regenerate(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    generate_demo_dataset(root, n_per_class=8, size=SIZE)
    (root / CLASS_FOLDERS["mask"] / "learner_notes.txt").write_text("keep me")
    generate_demo_dataset(root, n_per_class=5, size=SIZE)
    for folder in CLASS_FOLDERS.values():
        assert len(list((root / folder).glob("demo_*.jpg"))) == 5  # stale 5..7 removed
    assert (root / CLASS_FOLDERS["mask"] / "learner_notes.txt").read_text() == "keep me"
    assert "n_per_class = 5" in (root / MARKER_NAME).read_text(encoding="utf-8")

    generate_demo_dataset(root, n_per_class=5, size=SIZE + 16)
    with Image.open(root / CLASS_FOLDERS["no_mask"] / "demo_00004.jpg") as im:
        assert im.size == (SIZE + 16, SIZE + 16)


def test_incomplete_dataset_is_regenerated(tmp_path: Path) -> None:
    root = generate_demo_dataset(tmp_path / "demo", n_per_class=3, size=SIZE)
    (root / CLASS_FOLDERS["no_mask"] / "demo_00001.jpg").unlink()
    generate_demo_dataset(root, n_per_class=3, size=SIZE)
    assert (root / CLASS_FOLDERS["no_mask"] / "demo_00001.jpg").is_file()


def test_failed_run_leaves_no_marker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = generate_demo_dataset(tmp_path / "demo", n_per_class=2, size=SIZE)
    import helpers.demo_data as demo_data

    def boom(*args: object, **kwargs: object) -> tuple:
        raise KeyboardInterrupt

    monkeypatch.setattr(demo_data, "draw_face", boom)
    with pytest.raises(KeyboardInterrupt):
        generate_demo_dataset(root, n_per_class=3, size=SIZE)
    assert not is_demo_dataset(root)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]  # temp folder cleaned up


def test_draw_face_is_rgb_of_requested_size() -> None:
    for masked in (True, False):
        for size in (32, 128):
            im, (x, y, w, h) = draw_face(np.random.default_rng([0, int(masked), size]), masked, size)
            assert im.mode == "RGB" and im.size == (size, size)
            assert 0 <= x < x + w <= size and 0 <= y < y + h <= size, "the face's box lies inside the picture"


def test_add_synthetic_mask_changes_only_inside_box() -> None:
    rng = np.random.default_rng(0)
    photo = Image.fromarray(rng.integers(0, 256, (120, 100, 3), dtype=np.uint8))
    box = (20, 15, 60, 80)
    out = add_synthetic_mask(photo, box, seed=1)
    assert out.size == photo.size and out.mode == "RGB"
    assert out is not photo
    before, after = np.asarray(photo), np.asarray(out)
    x, y, w, h = box
    inside = np.zeros(before.shape[:2], dtype=bool)
    inside[y : y + h, x : x + w] = True
    assert np.array_equal(before[~inside], after[~inside])
    changed = np.any(before != after, axis=2)
    assert changed[y + int(0.7 * h), x + w // 2]  # the mouth area is covered
    assert not changed[y + int(0.2 * h), x + w // 2]  # the eyes are not
    # the original is untouched and the same seed gives the same result
    assert np.array_equal(np.asarray(photo), before)
    assert np.array_equal(np.asarray(add_synthetic_mask(photo, box, seed=1)), after)


def test_add_synthetic_mask_box_partly_outside_image() -> None:
    photo = Image.new("RGB", (50, 40), (128, 128, 128))
    out = add_synthetic_mask(photo, (30, 10, 40, 40), color=(200, 30, 30))
    assert out.size == photo.size
    arr = np.asarray(out)
    assert np.array_equal(arr[:, :30], np.asarray(photo)[:, :30])


def test_copies_and_a_junk_file_for_the_scan(tmp_path: Path) -> None:
    """Like real downloads: copies the leak-free split must group, and junk the scan report lists."""
    n = 2 * COPY_EVERY
    root = generate_demo_dataset(tmp_path / "demo", n_per_class=n, size=SIZE)
    assert is_junk((root / CLASS_FOLDERS["no_mask"] / JUNK_FILE).relative_to(root))
    for folder in CLASS_FOLDERS.values():
        paths = [root / folder / f"demo_{i:05d}.jpg" for i in range(n)]
        sha1 = [hashlib.sha1(path.read_bytes()).hexdigest() for path in paths]
        groups = duplicate_groups(sha1, [difference_hash(Image.open(path).convert("L")) for path in paths])
        together = {frozenset(i for i in range(n) if groups[i] == g) for g in set(groups)}
        assert {members for members in together if len(members) > 1} == {
            frozenset({COPY_EVERY - 2, COPY_EVERY - 1}),
            frozenset({2 * COPY_EVERY - 2, 2 * COPY_EVERY - 1}),
        }, "each copy is grouped with its original, and no other drawings are"


def test_scene_boxes_frame_drawn_faces() -> None:
    picture, faces = draw_scene(np.random.default_rng(3))
    assert picture.size == (480, 360) and len(faces) >= 2
    assert {label for label, _ in faces} <= set(CLASS_FOLDERS.values())
    wall = np.asarray(picture)[0, 0].astype(int)
    for _, (x, y, w, h) in faces:
        assert 0 <= x and 0 <= y and x + w <= 480 and y + h <= 360 and 0.6 < w / h < 1.2
        centre = np.asarray(picture)[y + h // 2, x + w // 2].astype(int)
        assert np.abs(centre - wall).sum() > 0, "the box holds a face, not the bare wall"
