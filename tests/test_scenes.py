"""Scene datasets (photos with boxed faces), several datasets found and loaded one by one, the sampler that
balances them, the three-class mode, and the numbers reported per dataset and
face width: all on tiny data written in tmp_path."""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from helpers import data as course_data
from helpers.boxes import box_iou, crop_face, match_boxes
from helpers.checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from helpers.constants import ALL_CLASS_NAMES, CLASS_NAMES, SPLITS
from helpers.data import (
    CourseData,
    DataLayoutError,
    dataset_names,
    detect_layout,
    find_all_data,
    find_data,
    find_faces,
    find_layout,
    find_scenes,
    load_course_data,
)
from helpers.demo_data import generate_demo_scenes, is_demo_dataset
from helpers.evaluation import evaluate, held_out_answers
from helpers.loaders import balanced_sampler
from helpers.models import build_model
from helpers.preprocess import resize_square
from helpers.scenes import list_boxed_faces, object_label, read_voc, size_bucket
from helpers.train import main as train_main
from tests.conftest import make_flat

W, H = 200, 120  # scene photos: eight bands of 15 px rows, see scene_photo
CANONICAL = {"with_mask": "mask", "without_mask": "no_mask", "mask_weared_incorrect": "incorrect"}


# ------------------------------------------------------------------------------------------- synthetic scenes
def scene_photo(index: int, size: tuple[int, int] = (W, H)) -> Image.Image:
    """A photo whose perceptual hash is stable under resizing and re-encoding and differs between indices:
    each of eight bands of rows is a strong left-to-right or right-to-left gradient, the directions spelling
    an 8-bit code of the index (distinct codes differ in whole bands, i.e. in 8 or more hash bits)."""
    width, height = size
    code = (index * 37) % 255 + 1
    ramp = np.linspace(30, 220, width)
    rows = [ramp if (code >> (y * 8 // height)) & 1 else ramp[::-1] for y in range(height)]
    gray = np.stack(rows)
    noise = np.random.default_rng(index).integers(-8, 9, size=(height, width, 3))
    pixels = gray[:, :, None] + np.array([0, 10, -10]) + noise
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def voc_xml(filename: str, objects: list[tuple[str, tuple[float, float, float, float]]], size=(W, H)) -> str:
    """PASCAL VOC written by hand: one <object> per face with its class name and corners."""
    body = "".join(
        f"<object><name>{name}</name><pose>Unspecified</pose><bndbox><xmin>{x0:g}</xmin><ymin>{y0:g}</ymin>"
        f"<xmax>{x1:g}</xmax><ymax>{y1:g}</ymax></bndbox></object>"
        for name, (x0, y0, x1, y1) in objects
    )
    return (
        f"<annotation><folder>images</folder><filename>{filename}</filename><size><width>{size[0]}</width>"
        f"<height>{size[1]}</height><depth>3</depth></size>{body}</annotation>\n"
    )


def write_scene(
    root: Path,
    stem: str,
    objects: list[tuple[str, tuple[float, float, float, float]]],
    index: int,
    scale: float = 1.0,
    quality: int = 92,
) -> Path:
    """images/<stem>.jpg and annotations/<stem>.xml; scale < 1 writes a resized copy with its boxes scaled."""
    size = (round(W * scale), round(H * scale))
    photo = scene_photo(index)
    if scale != 1.0:
        photo = photo.resize(size, Image.Resampling.BICUBIC)
    objects = [(name, tuple(round(v * scale) for v in box)) for name, box in objects]
    path = root / "images" / f"{stem}.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    photo.save(path, "JPEG", quality=quality)
    (root / "annotations").mkdir(parents=True, exist_ok=True)
    (root / "annotations" / f"{stem}.xml").write_text(voc_xml(f"{stem}.png", objects, size))  # name: .png
    return path


def photo_faces(i: int) -> list[tuple[str, tuple[int, int, int, int]]]:
    """2-4 faces, of widths 10, 20 and 40 px (the three size buckets), both classes and a few worn wrong."""
    faces = []
    for k in range(2 + i % 3):
        name = (
            "mask_weared_incorrect"
            if (i + k) % 7 == 0
            else ("with_mask" if (i + k) % 2 == 0 else "without_mask")
        )
        width = (10, 20, 40)[(i + k) % 3]
        x, y = 5 + 48 * k, 10 + 50 * (k % 2)
        faces.append((name, (x, y, x + width, y + round(width * 1.2))))
    return faces


OUTSIDE = ("with_mask", (210, 10, 240, 40))  # right of a 200 px wide photo
PARTLY = ("without_mask", (180, 60, 220, 100))  # its right half sticks out: clipped to x 180..200
COPIED = (3, 4, 5)  # photos that also appear resized to 80 % and re-encoded


def make_scenes(root: Path, photos: int = 12, offset: int = 0, copies: bool = True) -> Path:
    for i in range(photos):
        extra = [OUTSIDE] if i == 0 else [PARTLY] if i == 1 else []
        write_scene(root, f"scene_{i:02d}", photo_faces(i) + extra, index=offset + i)
    for i in COPIED if copies else ():
        write_scene(root, f"copy_{i:02d}", photo_faces(i), index=offset + i, scale=0.8, quality=60)
    return root


def expected_faces(root: Path) -> list[tuple[str, str, tuple[int, int, int, int]]]:
    """(photo name, label, box clipped to the photo) of every face the scan should keep, from the XML."""
    kept = []
    for xml in sorted((root / "annotations").glob("*.xml")):
        photo = Image.open(root / "images" / f"{xml.stem}.jpg")
        for name, (x0, y0, x1, y1) in read_voc(xml):
            left, top = max(0, round(x0)), max(0, round(y0))
            right, bottom = min(photo.width, round(x1)), min(photo.height, round(y1))
            if right - left >= 2 and bottom - top >= 2:
                kept.append((f"{xml.stem}.jpg", CANONICAL[name], (left, top, right - left, bottom - top)))
    return kept


@pytest.fixture(scope="module")
def scenes_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_scenes(tmp_path_factory.mktemp("scenes") / "face-mask-scenes")


def load(source: object, classes: tuple[str, ...] = CLASS_NAMES, size: int = 16) -> CourseData:
    return load_course_data(source, image_size=size, quick=False, classes=classes)


# ------------------------------------------------------------------------------------------- 1. VOC parsing
@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("with_mask", "mask"),
        ("mask", "mask"),
        ("Mask", "mask"),
        ("without_mask", "no_mask"),
        ("no_mask", "no_mask"),
        ("nomask", "no_mask"),
        ("NoMask", "no_mask"),
        ("face", "no_mask"),
        ("mask_weared_incorrect", "incorrect"),
        ("mask_worn_incorrectly", "incorrect"),
        ("improperly_masked", "incorrect"),
        ("person", None),
        ("", None),
    ],
)
def test_object_label_spellings(name: str, label: str | None) -> None:
    assert object_label(name) == label


@pytest.mark.parametrize("name", ["face_no_mask", "face_nomask"])
def test_object_label_face_no_mask(name: str) -> None:
    assert object_label(name) == "no_mask"


def test_list_boxed_faces_pairs_by_stem_and_reports_what_it_skips(tmp_path: Path) -> None:
    images, notes = tmp_path / "images", tmp_path / "annotations"
    images.mkdir()
    notes.mkdir()
    for stem in ("paired", "lonely_photo", "broken", "odd"):
        scene_photo(0).save(images / f"{stem}.jpg")
    (images / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (notes / "paired.xml").write_text(  # <filename> says .png, the photo is .jpg: paired by stem anyway
        voc_xml("paired.png", [("with_mask", (10, 20, 50, 80)), ("without_mask", (60.4, 5, 90.4, 45))])
    )
    (notes / "lonely_note.xml").write_text(voc_xml("lonely_note.jpg", [("with_mask", (0, 0, 9, 9))]))
    (notes / "broken.xml").write_text("<annotation><object><name>with_mask</name>")
    (notes / "odd.xml").write_text(
        voc_xml(
            "odd.jpg", [("person", (0, 0, 20, 20)), ("with_mask", (10, 10, 10, 30)), ("nomask", (1, 2, 5, 9))]
        )
    )
    faces, skipped = list_boxed_faces(images, notes)
    assert [(f.image.name, f.label, f.box) for f in faces] == [
        ("odd.jpg", "no_mask", (1, 2, 4, 7)),
        ("paired.jpg", "mask", (10, 20, 40, 60)),  # corners -> (x, y, w, h)
        ("paired.jpg", "no_mask", (60, 5, 30, 40)),
    ]
    reasons = {Path(where).name: why for where, why in skipped}  # "odd.xml object 1": the XML's 1st object
    assert reasons["lonely_photo.jpg"] == "no annotation file with the same name"
    assert reasons["lonely_note.xml"] == "no image file with the same name"
    assert reasons["broken.xml"].startswith("unreadable XML")
    assert "'person'" in reasons["odd.xml object 1"]
    assert reasons["odd.xml object 2"] == "empty box (10, 10, 10, 30)"
    assert len(skipped) == 5, "the hidden .DS_Store is neither a face nor a reported photo"


def test_missing_or_bad_box_is_an_empty_box(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "annotations").mkdir()
    scene_photo(1).save(tmp_path / "images" / "a.jpg")
    (tmp_path / "annotations" / "a.xml").write_text(
        "<annotation><object><name>with_mask</name></object>"
        "<object><name>with_mask</name><bndbox><xmin>x</xmin></bndbox></object></annotation>"
    )
    faces, skipped = list_boxed_faces(tmp_path / "images", tmp_path / "annotations")
    assert faces == [] and [why for _, why in skipped] == ["empty box (0, 0, 0, 0)"] * 2


# ------------------------------------------------------------------------------------------- 2. layouts
@pytest.mark.parametrize(
    ("images", "notes"), [("images", "annotations"), ("images", "xml"), ("JPEGImages", "Annotations")]
)
def test_scene_layout_is_recognised(tmp_path: Path, images: str, notes: str) -> None:
    (tmp_path / images).mkdir()
    (tmp_path / notes).mkdir()
    layout = detect_layout(tmp_path)
    assert layout.kind == "scenes" and layout.scenes == (tmp_path / images, tmp_path / notes)
    with pytest.raises(DataLayoutError, match="scene photos with boxed faces"):
        layout.class_folder_parent()


def test_scene_layout_inside_a_wrapper_folder(tmp_path: Path) -> None:
    make_scenes(tmp_path / "archive" / "dataset", photos=1, copies=False)
    assert find_layout(tmp_path / "archive").kind == "scenes"


# ------------------------------------------------------------------------------------------- 3. scene data
def test_faces_of_a_photo_stay_in_one_split(scenes_root: Path) -> None:
    data = load(scenes_root)
    assert data.layout.kind == "scenes"
    photos_in = {split: set(data.splits[split].paths) for split in SPLITS}
    for a in SPLITS:
        for b in SPLITS:
            assert a == b or not photos_in[a] & photos_in[b]
        assert all(data.photo_splits[p] == a for p in photos_in[a])
    photos = sorted(p.name for p in (scenes_root / "images").iterdir())
    assert sorted(p.name for p in data.photo_splits) == photos, "every photo has a split, held-out ones too"
    assert {len(data.splits[s].labels) > 0 for s in SPLITS} == {True}


def test_boxes_outside_are_skipped_and_partly_outside_clipped(scenes_root: Path) -> None:
    data = load(scenes_root)
    reasons = dict(data.report.skipped)
    where = f"{scenes_root / 'images' / 'scene_00.jpg'} face (210, 10, 30, 30)"
    assert reasons[where] == "box (210, 10, 30, 30) (x, y, w, h) lies outside the 200x120 photo"
    assert len(data.report.skipped) == 1
    everything = [data.splits[s] for s in SPLITS] + list(data.held_out.values())
    clipped = [
        (p.name, tuple(size.tolist()))
        for part in everything
        for p, size in zip(part.paths, part.sizes, strict=True)
    ]
    assert ("scene_01.jpg", (20, 40)) in clipped, "x 180..220 in a 200 px photo: 20 px kept"
    assert len(clipped) == len(expected_faces(scenes_root))


def test_face_crops_are_cut_as_inference_cuts_them(scenes_root: Path) -> None:
    size = 24
    data = load(scenes_root, size=size)
    path = scenes_root / "images" / "scene_03.jpg"
    name, box = photo_faces(3)[1][0], photo_faces(3)[1][1]
    assert CANONICAL[name] in CLASS_NAMES
    box_xywh = (box[0], box[1], box[2] - box[0], box[3] - box[1])
    photo = np.asarray(Image.open(path).convert("RGB"))
    expected = resize_square(crop_face(photo, box_xywh), size).transpose(2, 0, 1)
    split = data.splits[data.photo_splits[path]]
    found = [
        image
        for image, p, s in zip(split.images, split.paths, split.sizes, strict=True)
        if p == path and tuple(s.tolist()) == box_xywh[2:]
    ]
    assert len(found) == 1 and np.array_equal(found[0].numpy(), expected)


def test_read_file_cuts_each_box_of_one_photo(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    scene_photo(7).save(path, quality=90)
    boxes = [(10, 10, 20, 24), (190, 60, 40, 40), (300, 0, 10, 10)]
    first, clipped, outside = course_data.read_file(path, 16, boxes)
    assert outside == "box (300, 0, 10, 10) (x, y, w, h) lies outside the 200x120 photo"
    assert first.pixels.shape == (3, 16, 16) and first.size == (20, 24)
    assert clipped.size == (10, 40), "x 190..230 in a 200 px photo"
    assert first.sha1 == clipped.sha1 and first.dhash == clipped.dhash, "the photo's hashes: one group"
    entry = course_data.FileEntry(path, "mask", None, (10, 10, 20, 24))
    assert entry.key.endswith("#(10, 10, 20, 24)") and course_data.FileEntry(path, "mask", None).key == str(
        path
    )


def test_face_sizes_are_counted_by_width(scenes_root: Path) -> None:
    data = load(scenes_root)
    expected: dict[str, Counter] = {}
    for _, label, box in expected_faces(scenes_root):
        expected.setdefault(label, Counter())[size_bucket(box[2])] += 1
    assert data.report.face_sizes == {label: dict(row) for label, row in expected.items()}
    assert set(data.report.face_sizes) == {"mask", "no_mask", "incorrect"}
    assert set(data.report.face_sizes["mask"]) == {"<16", "16-32", ">=32"}
    assert "Faces by box width" in str(data.report)
    buckets = [size_bucket(width) for width in (0, 15, 16, 31, 32, 500)]
    assert buckets == ["<16", "<16", "16-32", "16-32", ">=32", ">=32"]


def test_two_classes_keep_incorrect_faces_aside(scenes_root: Path) -> None:
    data = load(scenes_root)
    incorrect = sum(1 for _, label, _ in expected_faces(scenes_root) if label == "incorrect")
    assert incorrect >= 3
    held = data.held_out["incorrect"]
    assert len(held.labels) == incorrect and held.labels.tolist() == [-1] * incorrect
    assert held.images.shape == (incorrect, 3, 16, 16)
    for split in SPLITS:
        labels = data.splits[split].labels
        assert labels.min() >= 0 and labels.max() <= 1
    in_splits = sum(len(data.splits[s].labels) for s in SPLITS)
    assert in_splits + incorrect == len(expected_faces(scenes_root))
    assert any("kept aside" in note for note in data.report.notes)


def test_three_classes_train_on_incorrect_faces(scenes_root: Path) -> None:
    data = load(scenes_root, classes=ALL_CLASS_NAMES)
    incorrect = sum(1 for _, label, _ in expected_faces(scenes_root) if label == "incorrect")
    assert data.held_out == {} and data.class_names == ALL_CLASS_NAMES
    assert sum(int((data.splits[s].labels == 2).sum()) for s in SPLITS) == incorrect
    assert sum(data.report.counts[s]["incorrect"] for s in SPLITS) == incorrect
    two = load(scenes_root)
    assert data.photo_splits == two.photo_splits, "the split does not depend on the classes learned"


def test_copies_of_a_scene_photo_share_its_split(scenes_root: Path) -> None:
    data = load(scenes_root)
    for i in COPIED:
        copy, original = (scenes_root / "images" / f"{name}_{i:02d}.jpg" for name in ("copy", "scene"))
        assert data.photo_splits[copy] == data.photo_splits[original]
    assert data.report.near_duplicate_groups == len(COPIED), "each copy is grouped with its original, no more"
    assert data.report.exact_duplicates == 0


def test_scene_data_copied_elsewhere_splits_the_same(scenes_root: Path, tmp_path: Path) -> None:
    copy = shutil.copytree(scenes_root, tmp_path / "elsewhere" / "scenes")
    first, second = load(scenes_root), load(copy)
    for split in SPLITS:
        assert [p.name for p in first.splits[split].paths] == [p.name for p in second.splits[split].paths]


def test_bad_classes_value_names_it(scenes_root: Path) -> None:
    with pytest.raises(ValueError, match="classes=\\('mask',\\)"):
        load(scenes_root, classes=("mask",))


# ------------------------------------------------------------------------------------------- 4. several
@pytest.fixture(scope="module")
def two_datasets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """parent/faces (flat class folders) and parent/scenes (boxed faces)."""
    parent = tmp_path_factory.mktemp("several") / "datasets"
    make_flat(parent / "faces", per_class=10)
    make_scenes(parent / "scenes", photos=12, offset=40, copies=False)
    return parent


def test_several_datasets_are_found_one_by_one(two_datasets: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = two_datasets / "faces", two_datasets / "scenes"
    listed = find_all_data([b, a])
    assert [s.root for s in listed] == [b, a], "a list keeps its order"
    assert {s.origin for s in listed} == {"the path argument"} and not any(s.synthetic for s in listed)
    monkeypatch.setenv("MASK_DATA_DIR", f"{a}{os.pathsep}{b}")
    assert [(s.root, s.origin) for s in find_all_data()] == [(a, "MASK_DATA_DIR"), (b, "MASK_DATA_DIR")]
    monkeypatch.delenv("MASK_DATA_DIR")
    assert [s.root for s in find_all_data(two_datasets)] == [a, b], "a folder holding several: by name"
    with pytest.raises(DataLayoutError, match="2 datasets") as caught:
        find_layout(two_datasets)
    assert "faces" in str(caught.value) and "scenes" in str(caught.value)


def test_find_data_takes_the_face_crops_of_several(two_datasets: Path) -> None:
    a, b = two_datasets / "faces", two_datasets / "scenes"
    chosen = find_data([b, a])
    assert chosen.root == a, "lessons 01-08 learn from face crops, even when scenes are listed first"
    assert str(b) in chosen.origin or b.name in chosen.origin, "the origin names the dataset not used"
    assert find_data(b).root == b and find_data(b).origin == "the path argument", "one dataset: that one"
    load_course_data(chosen, image_size=16, quick=False).layout.class_folder_parent()  # ImageFolder reads it


def test_each_dataset_is_split_as_when_loaded_alone(two_datasets: Path) -> None:
    a, b = two_datasets / "faces", two_datasets / "scenes"
    with pytest.raises(ValueError, match="list of 2"):
        load([a, b])
    sources = find_all_data([a, b])
    loaded = [load(source) for source in sources]
    for folder, data in zip((a, b), loaded, strict=True):
        alone = load(folder)
        assert data.source.root == folder
        assert all(data.splits[s].paths == alone.splits[s].paths for s in SPLITS)
    assert "incorrect" in loaded[1].held_out and loaded[0].held_out == {}, (
        "scenes keep faces worn wrong aside"
    )


def test_dataset_names_tell_folders_of_the_same_name_apart(tmp_path: Path) -> None:
    first, second = (
        make_flat(tmp_path / "a" / "data", per_class=1),
        make_flat(tmp_path / "b" / "data", per_class=1),
    )
    alone = make_flat(tmp_path / "c" / "faces", per_class=1)
    assert dataset_names(find_all_data([first, second, alone])) == ["a/data", "b/data", "faces"]


def test_balanced_sampler_draws_every_dataset_and_class_equally_often() -> None:
    faces = torch.tensor([0] * 60 + [1] * 20)  # a large dataset, mostly masked
    scenes = torch.tensor([0] * 15 + [1] * 5)  # a small one
    sampler = balanced_sampler([faces, scenes], torch.Generator().manual_seed(0))
    assert len(sampler) == 100, "one epoch draws as many images as the datasets hold"
    pair = torch.cat([faces, scenes + 2])  # (dataset, class) of every image of the ConcatDataset
    weight = torch.bincount(pair, weights=sampler.weights)
    assert torch.allclose(weight, weight[0].expand(4)), "each pair weighs the same in total"
    drawn = torch.bincount(pair[torch.tensor([i for _ in range(40) for i in sampler])], minlength=4)
    assert drawn.sum() == 4000 and (drawn - 1000).abs().max() < 120, f"about 1000 of each pair: {drawn}"


# ------------------------------------------------------------------------------------------- 5. find_scenes
def test_find_scenes_rejects_a_dataset_that_is_not_scenes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flat = make_flat(tmp_path / "flat", per_class=1)
    monkeypatch.setenv("MASK_SCENES_DIR", str(flat))
    with pytest.raises(DataLayoutError, match="not a scene dataset"):
        find_scenes()
    scenes = make_scenes(tmp_path / "real_scenes", photos=1, copies=False)
    monkeypatch.setenv("MASK_SCENES_DIR", str(scenes))
    chosen = find_scenes()
    assert chosen.root == scenes and chosen.origin == "MASK_SCENES_DIR" and not chosen.synthetic


def test_find_scenes_and_faces_pick_their_part_of_the_data(
    two_datasets: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MASK_SCENES_DIR", raising=False)
    monkeypatch.setenv("MASK_DATA_DIR", str(two_datasets))
    assert find_scenes().root == two_datasets / "scenes"
    assert find_faces().root == two_datasets / "faces"


def test_find_faces_draws_demo_faces_when_only_scenes_are_in_use(
    two_datasets: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = course_data.demo_data.generate_demo_dataset
    monkeypatch.setattr(
        course_data.demo_data, "generate_demo_dataset", lambda root: real(root, n_per_class=2)
    )
    monkeypatch.setenv("MASK_DATA_DIR", str(two_datasets / "scenes"))
    faces = find_faces()
    assert faces.synthetic and detect_layout(faces.root).kind == "flat"


def test_find_scenes_draws_demo_scenes_when_none_is_in_use(
    tmp_path: Path, private_work_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = course_data.demo_data.generate_demo_scenes
    monkeypatch.setattr(course_data.demo_data, "generate_demo_scenes", lambda root: real(root, n_photos=4))
    monkeypatch.delenv("MASK_SCENES_DIR", raising=False)
    monkeypatch.setenv("MASK_DATA_DIR", str(make_flat(tmp_path / "faces", per_class=1)))
    source = find_scenes()
    assert source.synthetic and "demo" in source.origin
    assert source.root.is_relative_to(private_work_dir) and is_demo_dataset(source.root)
    assert "SYNTHETIC" in (source.root / "SYNTHETIC_DEMO_DATA.txt").read_text()
    assert detect_layout(source.root).kind == "scenes" and "SYNTHETIC" in source.describe()
    assert len(list((source.root / "images").glob("*.jpg"))) == 4


def test_demo_scenes_are_idempotent_and_readable(tmp_path: Path) -> None:
    root = generate_demo_scenes(tmp_path / "demo" / "scenes", n_photos=3)
    stamps = {p: p.stat().st_mtime_ns for p in root.rglob("*")}
    assert generate_demo_scenes(root, n_photos=3) == root
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*")} == stamps, "the second call writes nothing"
    faces, skipped = list_boxed_faces(root / "images", root / "annotations")
    assert skipped == [] and len(faces) >= 3 and {f.label for f in faces} <= {"mask", "no_mask"}
    for face in faces:
        width, height = Image.open(face.image).size
        x, y, w, h = face.box
        assert 0 <= x and 0 <= y and x + w <= width and y + h <= height and w >= 2 and h >= 2
    assert sorted(p.name for p in root.glob(".*")) == [], "no half-written folder left beside it"
    assert not list(root.parent.glob(".*partial*"))


def test_box_iou_and_matching() -> None:
    assert box_iou((10, 10, 20, 20), (10, 10, 20, 20)) == 1.0
    assert box_iou((0, 0, 10, 10), (10, 0, 10, 10)) == 0.0 and box_iou((0, 0, 10, 10), (50, 50, 5, 5)) == 0.0
    assert box_iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(50 / 150)
    truth = [(0, 0, 20, 20), (15, 0, 20, 20), (100, 100, 10, 10)]
    # One detection between the first two faces overlaps both: it counts for the better one only.
    assert match_boxes([(12, 0, 20, 20)], truth) == [None, 0, None]
    found = [(100, 100, 10, 10), (1, 0, 20, 20), (14, 0, 20, 20), (500, 500, 9, 9)]
    assert match_boxes(found, truth) == [1, 2, 0]
    assert match_boxes([], truth) == [None] * 3 and match_boxes(found, []) == []
    assert match_boxes([(0, 0, 20, 20)], [(0, 0, 20, 40)], min_iou=0.6) == [None]


# ------------------------------------------------------------------------------------------- 6. results
def test_held_out_answers(scenes_root: Path) -> None:
    data = load(scenes_root, size=32)
    model = build_model("cnn", pretrained=False, channels=(4, 8))
    answers = held_out_answers(model, data)
    assert list(answers) == ["incorrect"] and set(answers["incorrect"]) == set(CLASS_NAMES)
    assert sum(answers["incorrect"].values()) == len(data.held_out["incorrect"].labels) > 0
    said = evaluate(model, data.held_out["incorrect"]).predicted
    assert answers["incorrect"] == {c: int((said == k).sum()) for k, c in enumerate(CLASS_NAMES)}


# ------------------------------------------------------------------------------------------- 7. three classes
def test_foreign_class_names_are_rejected(tiny_checkpoint: Path, tmp_path: Path) -> None:
    three = build_model("cnn", pretrained=False, channels=(4, 8), classes=3)
    path = save_checkpoint(tmp_path / "three.pt", three, {"image_size": 32}, [{"epoch": 1}])
    assert load_checkpoint(path)[0].class_names == ALL_CLASS_NAMES, "three classes load as three"
    payload = torch.load(tiny_checkpoint, map_location="cpu", weights_only=True)
    payload["class_names"] = ["a", "b"]
    torch.save(payload, tmp_path / "foreign.pt")
    with pytest.raises(CheckpointError, match=r"foreign\.pt: classes \['a', 'b'\]"):
        load_checkpoint(tmp_path / "foreign.pt")


# ------------------------------------------------------------------------------------------- 8. the CLI
def test_cli_reports_each_dataset(two_datasets: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "x.pt"
    args = ["--data", str(two_datasets / "faces"), "--data", str(two_datasets / "scenes"), "--model", "cnn"]
    assert train_main([*args, "--epochs", "1", "--quick", "--image-size", "32", "--out", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert set(summary["test_by_dataset"]) == {"faces", "scenes", "all"} and "val_by_dataset" not in summary
    assert summary["test_by_dataset"]["all"]["images"] == sum(
        summary["test"]["per_class"][c]["support"] for c in CLASS_NAMES
    )
    held = summary["held_out_answers"]["incorrect"]
    scenes = load_course_data(two_datasets / "scenes", image_size=32, quick=True)
    assert set(held) == set(CLASS_NAMES) and sum(held.values()) == len(scenes.held_out["incorrect"].labels)
    assert load_checkpoint(out)[1]["class_names"] == list(CLASS_NAMES)


def test_cli_three_classes_on_scenes(
    scenes_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "three.pt"
    args = ["--data", str(scenes_root), "--model", "cnn", "--classes", "3", "--epochs", "1", "--quick"]
    assert train_main([*args, "--image-size", "32", "--out", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert set(summary["test"]["per_class"]) == set(ALL_CLASS_NAMES) and summary["held_out_answers"] == {}
    _, info = load_checkpoint(out)
    assert info["class_names"] == list(ALL_CLASS_NAMES) and info["options"]["classes"] == 3


def test_cli_bad_classes_value(scenes_root: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        train_main(["--data", str(scenes_root), "--classes", "4"])
    assert "--classes" in capsys.readouterr().err


def test_evaluate_a_scene_split(scenes_root: Path) -> None:
    data = load(scenes_root, size=32)
    model = build_model("cnn", pretrained=False, channels=(4, 8))
    predictions = evaluate(model, data.splits["test"])
    assert predictions.probabilities.shape == (len(data.splits["test"].labels), 2)
    assert np.allclose(predictions.probabilities.sum(axis=1), 1, atol=1e-5)


def test_evaluate_on_an_empty_split(scenes_root: Path) -> None:
    data = load(scenes_root, size=32)
    empty = data.splits["test"].subset(torch.zeros(len(data.splits["test"].labels), dtype=torch.bool))
    predictions = evaluate(build_model("cnn", pretrained=False, channels=(4, 8)), empty)
    assert len(predictions.labels) == 0 and np.isnan(predictions.report().accuracy)


def test_relative_dataset_lists_become_absolute_for_the_kernels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tools.notebooks import absolute_env_paths

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MASK_DATA_DIR", f"faces{os.pathsep}scenes")
    monkeypatch.setenv("MASK_SCENES_DIR", "scenes")
    absolute_env_paths(("MASK_DATA_DIR", "MASK_SCENES_DIR"))
    assert os.environ["MASK_DATA_DIR"] == f"{tmp_path / 'faces'}{os.pathsep}{tmp_path / 'scenes'}"
    assert os.environ["MASK_SCENES_DIR"] == str(tmp_path / "scenes")
