"""Data discovery, layouts, label mapping, the split, the scan report and the loaders."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers import data as course_data
from helpers.data import (
    DataLayoutError,
    detect_layout,
    find_data,
    find_layout,
    load_course_data,
)
from helpers.loaders import make_loaders
from helpers.scenes import object_label
from helpers.splits import assign_splits, duplicate_groups, near_pairs
from tests.conftest import make_flat, make_presplit


@pytest.mark.parametrize(
    ("folder", "label"),
    [
        ("with_mask", "mask"),
        ("faceWithMask", "mask"),
        ("Mask", "mask"),
        ("masked", "mask"),
        ("without_mask", "no_mask"),
        ("faceWithoutMask", "no_mask"),
        ("Non Mask", "no_mask"),
        ("no_mask", "no_mask"),
        ("NoMask", "no_mask"),
        ("unmasked", "no_mask"),
        ("mask_weared_incorrect", None),
        ("wrongly_masked", None),
        ("faces", None),
        ("images", None),
        ("annotations", None),
    ],
)
def test_class_folder_labels(folder: str, label: str | None) -> None:
    assert object_label(folder, folder=True) == label


def test_flat_layout_and_mapping(flat_dataset: Path) -> None:
    layout = detect_layout(flat_dataset)
    assert layout.kind == "flat"
    assert layout.folders == {
        None: {"mask": [flat_dataset / "with_mask"], "no_mask": [flat_dataset / "without_mask"]}
    }
    assert layout.class_folder_parent() == flat_dataset


@pytest.mark.parametrize("val_name", ["valid", "validation", "val"])
def test_presplit_layout_accepts_val_spellings(tmp_path: Path, val_name: str) -> None:
    root = make_presplit(tmp_path / "d", splits=("train", val_name, "test"), per_class=1)
    layout = detect_layout(root)
    assert layout.kind == "pre-split" and set(layout.folders) == {"train", "val", "test"}
    assert layout.folders["val"]["no_mask"] == [root / val_name / "faceWithoutMask"]


def test_wrapper_folders_are_searched(tmp_path: Path) -> None:
    make_flat(tmp_path / "archive" / "dataset", per_class=1)
    assert find_layout(tmp_path / "archive").root == tmp_path / "archive" / "dataset"


def test_wrong_layout_error_shows_found_and_expected(tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    (tmp_path / "labels").mkdir()
    with pytest.raises(DataLayoutError) as caught:
        find_layout(tmp_path)
    message = str(caught.value)
    assert "photos/" in message and "labels/" in message and "with_mask/" in message
    assert "images/ + annotations/" in message  # the scene layout is among those expected


def test_presplit_with_unknown_class_folder_names_it(tmp_path: Path) -> None:
    root = make_presplit(tmp_path / "d", per_class=1)
    (root / "train" / "mask_weared_incorrect").mkdir()
    with pytest.raises(DataLayoutError, match="mask_weared_incorrect"):
        detect_layout(root)


# ------------------------------------------------------------------------------------------- find_data order
def _tiny_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    real = course_data.demo_data.generate_demo_dataset
    monkeypatch.setattr(
        course_data.demo_data, "generate_demo_dataset", lambda root: real(root, n_per_class=3)
    )


def _search_in(monkeypatch: pytest.MonkeyPatch, kaggle: Path, repo_data: Path) -> None:
    """Kaggle's input folder and the repository's data/ folder, here instead of this machine's."""
    monkeypatch.setattr(course_data, "KAGGLE_INPUT", kaggle)
    monkeypatch.setattr(course_data, "project_root", lambda: repo_data.parent)


def test_find_data_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _tiny_demo(monkeypatch)
    kaggle, repo_data = tmp_path / "kaggle" / "input", tmp_path / "repo" / "data"
    kaggle.mkdir(parents=True)
    repo_data.mkdir(parents=True)
    _search_in(monkeypatch, kaggle, repo_data)

    demo = find_data()
    assert demo.synthetic and "demo" in demo.origin

    make_flat(repo_data / "face-mask-4k", per_class=1)
    assert find_data().root == repo_data / "face-mask-4k"

    make_presplit(kaggle / "covid19-face-mask-data" / "data", per_class=1)
    assert find_data().origin == "Kaggle input"

    env_root = make_flat(tmp_path / "env", per_class=1)
    monkeypatch.setenv("MASK_DATA_DIR", str(env_root))
    assert find_data().origin == "MASK_DATA_DIR"

    arg_root = make_flat(tmp_path / "arg", per_class=1)
    chosen = find_data(arg_root)
    assert find_data(chosen) is chosen, "a source already found is used as it is"
    assert chosen.root == arg_root and chosen.origin == "the path argument" and not chosen.synthetic


def test_several_datasets_are_listed_and_lessons_take_the_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = make_flat(tmp_path / "zeta", per_class=1), make_presplit(tmp_path / "alpha", per_class=1)
    listed = course_data.find_all_data([first, second])
    assert [s.root for s in listed] == [first, second], "a list keeps its order"
    chosen = find_data([first, second])
    assert chosen.root == first and "alpha" in chosen.origin, "the first, naming the other"
    assert course_data.find_all_data(str(second)) == [find_data(second)], "one folder: that dataset alone"
    kaggle, repo_data = tmp_path / "kaggle", tmp_path / "repo" / "data"
    make_flat(kaggle / "b-masks" / "archive" / "dataset", per_class=1)
    make_flat(kaggle / "a-masks", per_class=1)
    _search_in(monkeypatch, kaggle, repo_data)
    kaggle_sources = course_data.find_all_data()
    assert [s.root.name for s in kaggle_sources] == ["a-masks", "dataset"], "every input, by name"
    assert find_data().root == kaggle / "a-masks"
    with pytest.raises(DataLayoutError, match="does not exist"):
        course_data.find_all_data([first, tmp_path / "missing"])


def test_explicit_path_that_is_wrong_is_an_error_not_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(DataLayoutError, match="does not exist"):
        find_data(tmp_path / "missing")
    monkeypatch.setenv("MASK_DATA_DIR", str(tmp_path))
    with pytest.raises(DataLayoutError, match="Expected"):
        find_data()


# ------------------------------------------------------------------------------------------- splitting
def test_split_is_stratified_and_stable_across_copies_and_file_order(tmp_path: Path) -> None:
    first = load_course_data(make_flat(tmp_path / "a", per_class=60), image_size=16)
    second = load_course_data(shutil.copytree(tmp_path / "a", tmp_path / "elsewhere" / "b"), image_size=16)
    for split in ("train", "val", "test"):
        names_a = sorted(p.name for p in first.splits[split].paths)
        names_b = sorted(p.name for p in second.splits[split].paths)
        assert names_a == names_b
    counts = first.report.counts
    for label in ("mask", "no_mask"):
        assert counts["train"][label] == 42 and counts["val"][label] == 9 and counts["test"][label] == 9


def test_assign_splits_does_not_depend_on_input_order() -> None:
    labels = ["mask"] * 50 + ["no_mask"] * 50
    keys = [f"k{i}" for i in range(100)]
    forward = dict(zip(keys, assign_splits(labels, list(range(100)), keys), strict=True))
    order = list(reversed(range(100)))
    backward = assign_splits([labels[i] for i in order], order, [keys[i] for i in order])
    assert all(forward[keys[i]] == split for i, split in zip(order, backward, strict=True))


def _photo_copies(folder: Path) -> dict[str, Path]:
    """matplotlib's portrait and its copies as people make them: resized PNG, re-encoded, brightened."""
    from matplotlib import cbook
    from PIL import ImageEnhance

    from helpers.images import load_rgb

    photo = load_rgb(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / name for name in ("original.jpg", "resized.png", "recoded.jpg", "brighter.jpg")}
    photo.save(paths["original.jpg"], quality=95)
    photo.resize((128, 150)).save(paths["resized.png"])
    photo.save(paths["recoded.jpg"], quality=60)
    ImageEnhance.Brightness(photo).enhance(1.15).save(paths["brighter.jpg"])
    return paths


def test_copies_of_a_photo_stay_in_one_split(tmp_path: Path) -> None:
    root = make_flat(tmp_path / "d", per_class=40)
    for i in range(10):  # the same file saved under another name
        shutil.copy(root / "with_mask" / f"img_{i:03d}.jpg", root / "with_mask" / f"copy_{i}.jpg")
    copies = _photo_copies(root / "without_mask")
    data = load_course_data(root, image_size=16)
    split_of = {f"{p.parent.name}/{p.name}": s for s, part in data.splits.items() for p in part.paths}
    for i in range(10):
        assert split_of[f"with_mask/copy_{i}.jpg"] == split_of[f"with_mask/img_{i:03d}.jpg"]
    together = {split_of[f"without_mask/{name}"] for name in copies}
    assert len(together) == 1, "resized, re-encoded and brightened copies of a photo stay together"
    assert data.report.exact_duplicates == 10 and data.report.groups_across_splits == 0
    assert data.report.near_duplicate_groups == 11  # ten pairs of identical files and the four photo copies


def test_near_duplicates_are_every_pair_within_the_threshold() -> None:
    rng = np.random.default_rng(0)
    hashes = [int(h) for h in rng.integers(0, 2**63, size=300, dtype=np.int64)]
    hashes += [h ^ (1 << int(bit)) for h, bit in zip(hashes[:50], rng.integers(0, 64, 50), strict=True)]
    hashes += [h ^ 0b11 for h in hashes[:20]]  # two bits apart: still copies
    brute = [
        (i, j)
        for i in range(len(hashes))
        for j in range(i + 1, len(hashes))
        if (hashes[i] ^ hashes[j]).bit_count() <= 2
    ]
    assert sorted(near_pairs(hashes, max_bits=2, block=7)) == brute and len(brute) >= 70
    groups = duplicate_groups(["a", "a", "b", "c"], [0b1111, 0xF0F0, 0b1100, 0b0000])
    assert groups[0] == groups[1], "identical files, whatever their hashes"
    assert groups[2] == groups[3] == groups[0], "0b1100 is two bits from 0b1111 and from 0b0000: one chain"


def test_photo_copies_are_found_whatever_their_bits(tmp_path: Path) -> None:
    from helpers.data import read_file

    scans = {name: read_file(path, 32)[0] for name, path in _photo_copies(tmp_path).items()}
    hashes = [scan.dhash for scan in scans.values()]
    assert len(set(duplicate_groups([s.sha1 for s in scans.values()], hashes))) == 1


def test_presplit_keeps_given_splits_and_carves_missing_test(tmp_path: Path) -> None:
    root = make_presplit(tmp_path / "d", splits=("train", "valid"), per_class=20)
    data = load_course_data(root, image_size=16)
    assert all("valid" in str(p) for p in data.splits["val"].paths)
    assert all("train" in str(p) for p in data.splits["test"].paths)
    assert data.report.counts["test"]["mask"] == 3
    assert any("carved" in note for note in data.report.notes)


def test_presplit_leak_is_reported(tmp_path: Path) -> None:
    root = make_presplit(tmp_path / "d", per_class=5)
    shutil.copy(root / "train" / "faceWithMask" / "0.jpg", root / "test" / "faceWithMask" / "copy.jpg")
    data = load_course_data(root, image_size=16)
    assert data.report.groups_across_splits == 1
    assert "Warning" in str(data.report) and "1 image group(s)" in str(data.report)


# ------------------------------------------------------------------------------------------- scan report
def test_bad_files_are_skipped_and_listed(flat_dataset: Path) -> None:
    (flat_dataset / "with_mask" / "empty.jpg").write_bytes(b"")
    (flat_dataset / "with_mask" / "notes.png").write_text("hello")
    (flat_dataset / "without_mask" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    good = (flat_dataset / "without_mask" / "img_000.jpg").read_bytes()
    (flat_dataset / "without_mask" / "cut.jpg").write_bytes(good[: len(good) // 3])
    data = load_course_data(flat_dataset, image_size=16)
    reasons = {Path(path).name: reason for path, reason in data.report.skipped}
    assert set(reasons) == {"empty.jpg", "notes.png", ".DS_Store", "cut.jpg"}
    assert "empty" in reasons["empty.jpg"] and "not an image" in reasons["notes.png"]
    assert sum(sum(c.values()) for c in data.report.counts.values()) == 40
    report = str(data.report)
    assert "Skipped 4 file(s)" in report and "cut.jpg" in report and "shorter side" in report
    batches = list(make_loaders(data, batch_size=8)["train"])  # an epoch runs through, no crash
    assert sum(len(labels) for _, labels in batches) == len(data.splits["train"].labels)


def test_no_readable_images_is_a_clear_error(tmp_path: Path) -> None:
    for name in ("with_mask", "without_mask"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "x.jpg").write_bytes(b"")
    with pytest.raises(DataLayoutError, match="no readable images"):
        load_course_data(tmp_path, image_size=16)


def test_scan_cache_is_reused(flat_dataset: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_course_data(flat_dataset, image_size=16)

    def fail(*_args: object) -> None:
        raise AssertionError("decoded again although the cache is valid")

    monkeypatch.setattr(course_data, "read_file", fail)
    second = load_course_data(flat_dataset, image_size=16)
    assert torch.equal(first.splits["train"].images, second.splits["train"].images)


def test_damaged_cache_is_rebuilt_and_old_caches_pruned(
    flat_dataset: Path, private_work_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load_course_data(flat_dataset, image_size=16)
    cache = private_work_dir / "cache"
    scans = list(cache.glob("*.npz"))
    assert scans
    for scan in scans:
        scan.write_bytes(b"not numpy")
    again = load_course_data(flat_dataset, image_size=16)
    assert torch.equal(first.splits["test"].images, again.splits["test"].images)
    monkeypatch.setattr(course_data, "CACHE_KEEP", 2)  # read when a scan is saved, not when defined
    for size in (17, 18, 19):
        load_course_data(flat_dataset, image_size=size)
    assert len(list(cache.glob("*.npz"))) == 2 and not list(cache.glob("*.part")), "the two newest scans"


@pytest.mark.parametrize("size", [0, 8, 12.5, "128"])
def test_bad_image_size_names_the_value(flat_dataset: Path, size: object) -> None:
    with pytest.raises(ValueError, match=f"image_size={size!r}"):
        load_course_data(flat_dataset, image_size=size)


def test_bad_batch_size_names_the_value(flat_dataset: Path) -> None:
    data = load_course_data(flat_dataset, image_size=16)
    with pytest.raises(ValueError, match="batch_size=0"):
        make_loaders(data, batch_size=0)


def test_quick_mode_is_a_stable_balanced_subset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(course_data, "QUICK_LIMITS", {"flat": 5, "train": 3, "val": 1, "test": 1})
    root = make_flat(tmp_path / "d", per_class=12)
    kept, _ = course_data.list_files(detect_layout(root), quick=True)
    copy = shutil.copytree(root, tmp_path / "elsewhere" / "d")
    again, _ = course_data.list_files(detect_layout(copy), quick=True)
    assert len(kept) == 10 and [e.path.relative_to(root) for e in kept] == [
        e.path.relative_to(copy) for e in again
    ]
    monkeypatch.setenv("MASK_QUICK", "1")
    assert sum(sum(c.values()) for c in load_course_data(root, image_size=16).report.counts.values()) == 10


# ------------------------------------------------------------------------------------------- loaders
def test_loaders_give_normalised_batches(flat_dataset: Path) -> None:
    data = load_course_data(flat_dataset, image_size=24)
    loaders = make_loaders(data, batch_size=4, num_workers=0)
    images, labels = next(iter(loaders["train"]))
    assert images.shape == (4, 3, 24, 24) and images.dtype == torch.float32 and labels.dtype == torch.int64
    val_images, _ = next(iter(loaders["val"]))
    again, _ = next(iter(loaders["val"]))
    assert torch.equal(val_images, again)  # evaluation is deterministic
    assert images.min() < 0 < images.max()  # ImageNet normalisation, not [0, 1]


def test_demo_data_loads_and_is_marked_synthetic(monkeypatch: pytest.MonkeyPatch) -> None:
    _tiny_demo(monkeypatch)
    _search_in(monkeypatch, Path("/nonexistent"), Path("/nonexistent/data"))
    data = load_course_data(find_data(), 32)
    assert data.source.synthetic and "SYNTHETIC" in data.describe()
    assert sum(len(part.labels) for part in data.splits.values()) == 6


def test_duplicate_hashes_do_not_depend_on_the_cache_size(tmp_path: Path) -> None:
    """The split must be the same at every image size: hashes come from the decoded file, not the cache."""
    from matplotlib import cbook

    from helpers.data import read_file

    path = Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))  # a 512 x 600 JPEG photo
    scans = [read_file(path, size)[0] for size in (32, 64, 128, 160)]
    assert len({s.dhash for s in scans}) == 1
    assert [s.pixels.shape for s in scans] == [(3, n, n) for n in (32, 64, 128, 160)]
