"""python -m helpers.predict: JSON lines on stdout, one per input; bad input is a line, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.predict import main
from helpers.samples import grace_hopper


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_one_json_line_per_input(
    tmp_path: Path, tiny_checkpoint: Path, capsys: pytest.CaptureFixture
) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("a.jpg", "b.jpg"):
        grace_hopper().resize((64, 75)).save(photos / name)
    assert main(["--model", str(tiny_checkpoint), str(photos / "a.jpg"), str(photos)]) == 0
    lines = _lines(capsys)
    assert [Path(line["path"]).name for line in lines] == ["a.jpg", "a.jpg", "b.jpg"]
    for line in lines:
        assert set(line) == {"path", "label", "probability"} and line["label"] in ("mask", "no_mask")
        assert 0.5 <= line["probability"] <= 1


def test_failed_inputs_are_lines_and_exit_code_1(
    tmp_path: Path, tiny_checkpoint: Path, capsys: pytest.CaptureFixture
) -> None:
    good = tmp_path / "good.jpg"
    grace_hopper().resize((64, 75)).save(good)
    (tmp_path / "notes.jpg").write_text("not an image")
    (tmp_path / "empty").mkdir()
    paths = [tmp_path / "missing.jpg", tmp_path / "notes.jpg", tmp_path / "empty", good]
    assert main(["--model", str(tiny_checkpoint), *map(str, paths)]) == 1
    lines = _lines(capsys)
    assert [line.get("error") for line in lines] == [
        "no such file",
        "not an image file PIL can read",
        "a folder with no images",
        None,
    ]
    assert lines[3]["label"] in ("mask", "no_mask")


def test_faces_are_listed(
    tmp_path: Path, tiny_checkpoint: Path, yunet_file: Path, capsys: pytest.CaptureFixture
) -> None:
    photo = tmp_path / "grace.jpg"
    grace_hopper().save(photo)
    assert (
        main(["--model", str(tiny_checkpoint), "--faces", "--yunet-model", str(yunet_file), str(photo)]) == 0
    )
    (line,) = _lines(capsys)
    (face,) = line["faces"]
    assert (
        set(face) == {"box", "label", "probability", "score"}
        and len(face["box"]) == 4
        and face["score"] > 0.6
    )


def test_bad_model_or_detector_is_one_error_line(tmp_path: Path, tiny_checkpoint: Path) -> None:
    page = tmp_path / "model.pt"
    page.write_text("<!DOCTYPE html>")
    photo = tmp_path / "grace.jpg"
    grace_hopper().resize((64, 75)).save(photo)
    for args in (
        ["--model", str(page), str(photo)],
        [
            "--model",
            str(tiny_checkpoint),
            "--faces",
            "--yunet-model",
            str(tmp_path / "none.onnx"),
            str(photo),
        ],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "helpers.predict", *args], capture_output=True, text=True
        )
        assert done.returncode == 2 and done.stdout == ""
        assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["helpers.predict", "--model", "m.pt", "--margin", "-5", "x.jpg"], "--margin"),
        (["helpers.predict", "--model", "m.pt", "--margin", "50", "x.jpg"], "--margin"),
    ],
)
def test_out_of_range_options_are_one_error_line(argv: list[str], named: str) -> None:
    done = subprocess.run([sys.executable, "-m", *argv], capture_output=True, text=True)
    assert done.returncode == 2 and done.stdout == "" and "Traceback" not in done.stderr
    (error,) = [line for line in done.stderr.splitlines() if "error:" in line]
    assert named in error and "expected" in error
