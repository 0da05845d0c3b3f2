"""What a learner reads: numbers in the text come from the run, and nothing of the test set-up shows.

A lesson's markdown is the same on every run, so it may not state a measured percentage or time: those are
printed by the code cell that measures them (an f-string reading the values). The exceptions are settings and
definitions (the threshold, the crop range, a 30 frames/s budget), listed below with the reason, and figures
the text marks as the README's reference run. Quick mode is read once, in the cell tagged `parameters`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((ROOT / "notebooks" / "solutions").glob("[0-9][0-9]_solutions.ipynb"))
NOTEBOOKS = LESSONS + SOLUTIONS

# A percentage or a time: "97 %", "97–98 %", "0.3 %", "33 ms", "2¼ minutes", "110 s".
NUMBER = r"(?<![\w.])\d[\d,.]*(?:\s*[–-]\s*\d[\d,.]*)?[¼½¾⅓⅔]?"
MEASURE = re.compile(NUMBER + r"\s*(?:%|ms\b|s\b|seconds?\b|min\b|minutes?\b|hours?\b)")
REFERENCE = "reference run"  # a line that quotes the README's reference run says so
# Numbers that are settings or definitions, the same on every run (lesson -> values).
SETTINGS = {
    "01": {"70–100 %"},  # RandomResizedCrop's scale range (Augmentation.crop_scale)
    "02": {"1 %", "40 %"},  # a worked example of cross-entropy: -log(0.01), -log(0.4)
    "03": {"30 %"},  # OneCycleLR's pct_start
    "04": {"1 %", "100 %"},  # the cosine schedule's floor; "near 100 %" names a range, not a result
    "05": {"50 %", "95 %"},  # the decision threshold; the confidence of an interval
    "06": {"20 %", "65 %", "50 %", "99 %"},  # FACE_MARGIN, UNSURE_BELOW, the threshold, "more than 99 %"
    "07": {"20 %", "60 %"},  # the crop margins compared
    "08": {"33 ms", "50 %"},  # one frame at 30 frames/s; the share of uniform heat on the lower half
    "09": {"30 %", "95 %"},  # the share of augmented views shrunk; the confidence of an interval
}
PLUMBING = re.compile(r"NBVAL|\(CI\)|a test checks|\(a test|[Ii]ssue \d+|#\d{2,}")


def cells(path: Path, kind: str) -> list[dict]:
    return [cell for cell in json.loads(path.read_text())["cells"] if cell["cell_type"] == kind]


def text(cell: dict) -> str:
    return "".join(cell["source"])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_markdown_states_no_measured_number(path: Path) -> None:
    allowed = SETTINGS.get(path.name[:2], set())
    stated = [
        (number, line.strip()[:90])
        for cell in cells(path, "markdown")
        for line in text(cell).splitlines()
        if REFERENCE not in line
        for number in MEASURE.findall(line)
        if number not in allowed
    ]
    assert not stated, f"print these from the code cell that measures them: {stated}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_quick_mode_is_read_once_in_the_parameters_cell(path: Path) -> None:
    code = cells(path, "code")
    tagged = [i for i, cell in enumerate(code) if "parameters" in cell.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1 and tagged[0] < 3, "one cell tagged `parameters`, among the first three"
    readers = [i for i, cell in enumerate(code) if re.search(r"quick_(mode|epochs)\(", text(cell))]
    assert set(readers) <= set(tagged), f"code cells {readers} read quick mode outside the parameters cell"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_test_plumbing_is_in_view(path: Path) -> None:
    shown = [text(cell) for cell in json.loads(path.read_text())["cells"]]
    found = sorted({match for source in shown for match in PLUMBING.findall(source)})
    assert not found, f"markers and notes of the test set-up in the lesson: {found}"


def test_every_lesson_has_its_solutions() -> None:
    assert [p.name[:2] for p in SOLUTIONS] == [p.name[:2] for p in LESSONS]


def test_the_measure_pattern_finds_results_and_skips_sizes() -> None:
    line = "about 97–98 % test accuracy, 0.3 % better, 2¼ minutes, 110 s, 33 ms; 64 px, 3×3, lesson 2's"
    assert MEASURE.findall(line) == ["97–98 %", "0.3 %", "2¼ minutes", "110 s", "33 ms"]
