"""One source of truth for the code the lessons teach (the rasbt/LLMs-from-scratch way).

A lesson writes its code in cells; where later lessons, the CLIs or fit() reuse it, the cell starts with
"# Kept identical in helpers/<module>.py" and the package holds the same definitions, marked
"# Kept identical in notebooks/<lesson>.ipynb". These tests fail when the two differ by a single character
(comments and docstrings included), when a definition is marked on one side only, or when a lesson's title
skill stops being written in its notebook. They also keep the lessons readable: short cells, one short check.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((ROOT / "notebooks" / "solutions").glob("[0-9][0-9]_solutions.ipynb"))
IN_NOTEBOOK = re.compile(r"^# Kept identical in (helpers/\w+\.py)", re.MULTILINE)
IN_PACKAGE = re.compile(r"^# Kept identical in (notebooks/\w+\.ipynb)", re.MULTILINE)
# What a reader finds written in each lesson (and the package reuses).
TAUGHT = {
    "01": {
        "FaceDataset",
        "Augmentation",
        "AUGMENTATION",
        "train_transform",
        "eval_transform",
        "make_loaders",
    },
    "02": {
        "conv_block",
        "init_weights",
        "SmallCNN",
        "train_step",
        "train_one_epoch",
        "run_model",
        "validate",
    },
    "03": {"new_classifier", "frozen_backbone_classifier", "frozen_features"},
    "04": {
        "warmup_cosine",
        "class_weights",
        "validation_score",
        "best_row",
        "should_stop",
        "run_epoch",
        "train_epochs",
        "batch_augmentation",
        "AugmentOnDevice",
    },
    "05": {"confusion_matrix", "per_class_metrics", "wilson_interval"},
    "06": {"crop_face", "class_probabilities", "predict_image", "message", "show_predictions", "run_app"},
    "07": {"detection_scale", "detect_faces", "draw_label", "draw_predictions", "classify_faces"},
    "08": {"annotate_video", "Deployable", "write_onnx"},
    "09": {
        "box_iou",
        "match_boxes",
        "balanced_sampler",
        "balanced_accuracy",
        "precision_recall",
    },
}
# The title skill of each lesson, as code a reader can find in its cells (not only in helpers).
SKILLS = {
    "01": [
        "class FaceDataset(Dataset)",
        "def __getitem__",
        "v2.Compose",
        "v2.RandomResizedCrop",
        "DataLoader(",
    ],
    "02": [
        "class SmallCNN(nn.Module)",
        "def forward",
        "nn.init.kaiming_normal_",
        "loss.backward()",
        "optimizer.step()",
    ],
    "03": [
        "requires_grad_(False)",
        "weights=",
        ".transforms()",
        ".meta[",
        "model.head.parameters()",
        "OneCycleLR(",
        '{"params"',
    ],
    "04": ["LambdaLR(", "should_stop(", "save_checkpoint(", "def train_epochs", "kornia.augmentation"],
    "05": ["def confusion_matrix", "precision", "recall", "f1"],
    "06": ["def predict_image", "def run_app", ".softmax(dim=1)", "def crop_face"],
    "07": ["cv2.FaceDetectorYN.create", ".detect(", "cv2.rectangle", "cv2.putText"],
    "08": [
        "cv2.VideoCapture",
        "cv2.VideoWriter",
        "register_forward_hook",
        "torch.autograd.grad",
        "torch.onnx.export(",
    ],
    "09": [
        "ET.parse",
        "ConcatDataset(",
        "WeightedRandomSampler(",
        "def balanced_accuracy",
        "def recall_by_size",
        "match_boxes(",
        "def average_precision",
    ],
}


def code_cells(path: Path) -> list[str]:
    cells = json.loads(path.read_text())["cells"]
    return ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]


def definitions(source: str) -> dict[str, str]:
    """Top-level functions, classes and assignments of a source, each as written (decorators included)."""
    lines = source.splitlines()
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            name = node.name
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
        else:
            continue
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        found[name] = "\n".join(lines[first - 1 : node.end_lineno])
    return found


def marked_cells() -> list[tuple[str, str, str]]:
    """(notebook, package module, cell source) for every cell marked as kept in the package."""
    cells = []
    for path in NOTEBOOKS:
        for source in code_cells(path):
            if match := IN_NOTEBOOK.match(source):
                cells.append((path.name, match.group(1), source))
    return cells


@pytest.mark.parametrize(("notebook", "module", "source"), marked_cells(), ids=lambda v: str(v)[:40])
def test_marked_cells_equal_the_package(notebook: str, module: str, source: str) -> None:
    package = definitions((ROOT / module).read_text())
    lesson = definitions(source)
    assert lesson, f"{notebook}: a marked cell defines nothing"
    for name, text in lesson.items():
        assert name in package, f"{notebook} defines {name}, which {module} does not have"
        assert text == package[name], f"{notebook} and {module} differ in {name}: change both, or neither"


def test_every_package_copy_is_written_in_its_lesson() -> None:
    written = {(notebook, name) for notebook, _, source in marked_cells() for name in definitions(source)}
    for module in sorted((ROOT / "helpers").glob("*.py")):
        text = module.read_text()
        lines = text.splitlines()
        for index, line in enumerate(lines):
            if match := IN_PACKAGE.match(line):
                name = definitions("\n".join(lines[index + 1 :]).split("\n\n\n")[0])
                assert name, f"{module.name} line {index + 1}: the marker stands before no definition"
                for definition in name:
                    notebook = Path(match.group(1)).name
                    assert (notebook, definition) in written, (
                        f"{module.name}: {definition} is not in {notebook}"
                    )


@pytest.mark.parametrize("lesson", sorted(TAUGHT))
def test_each_lesson_writes_its_title_skill(lesson: str) -> None:
    path = next(p for p in NOTEBOOKS if p.name.startswith(lesson))
    marked = {
        name
        for notebook, _, source in marked_cells()
        if notebook == path.name
        for name in definitions(source)
    }
    assert TAUGHT[lesson] <= marked, f"{path.name} no longer writes {sorted(TAUGHT[lesson] - marked)}"
    text = "\n".join(code_cells(path))
    missing = [snippet for snippet in SKILLS[lesson] if snippet not in text]
    assert not missing, f"{path.name}: a reader no longer finds {missing} in its cells"


def _counted(source: str) -> list[str]:
    """Lines a reader reads: not blank, not comments, not imports (the before-stop hook counts the same)."""
    lines = [line for line in source.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [line for line in lines if not re.match(r"\s*(import |from \S+ import )", line)]


@pytest.mark.parametrize("path", NOTEBOOKS + SOLUTIONS, ids=lambda p: p.name)
def test_cells_are_short_and_checks_come_last(path: Path) -> None:
    cells = code_cells(path)
    checks = [
        i
        for i, source in enumerate(cells)
        if any(line.lstrip().startswith("assert ") for line in _counted(source))
    ]
    assert checks == [len(cells) - 1], f"{path.name}: one check cell, the last one (found at {checks})"
    assert len(_counted(cells[-1])) <= 10, f"{path.name}: the check cell is longer than 10 lines"
    setup = [i for i, source in enumerate(cells) if re.match(r"(#[^\n]*\n)*(import |from )", source)]
    teaching = [source for i, source in enumerate(cells[:-1]) if i not in setup]
    long = [source.splitlines()[0][:50] for source in teaching if len(_counted(source)) > 15]
    assert not long, f"{path.name}: teaching cells over 15 lines: {long}"
