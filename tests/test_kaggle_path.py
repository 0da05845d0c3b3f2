"""The Kaggle path (README, "On Kaggle"): the course installed with pip from a copy of the repository, not
editable, and one uploaded lesson run from another folder with only the installed package to import.

As on Kaggle: the repository is copied to a writable folder first (pip builds in the source folder, and
Kaggle's input is read-only: installing from /kaggle/input itself fails with "Read-only file system"), built
without build isolation (no internet needed), installed into a folder of its own, and put first on the
kernel's path (the venv's editable install maps `helpers` to the checkout only after every path entry).
The lesson runs in an empty folder; a last cell lists every module loaded from the checkout (none allowed).
Caches, demo data and the checkpoint go where an installed package puts them with no setting:
~/.cache/face-mask-course, under a temporary HOME. About 15 s on the 2-core CI machine (40 s when another
job shares it): the package is built and the lesson trains its quick model.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from tools.notebooks import current_env_kernel_manager

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "notebooks" / "06_run_app.ipynb"
# What a learner uploads to Kaggle as the course's dataset: the repository without local state.
NOT_UPLOADED = (".git", ".venv", "build", "outputs", "data", "*.egg-info", "__pycache__", ".*_cache")

CHECK_CELL = f"""
import json, sys
import helpers
checkout, env = {str(ROOT)!r}, sys.prefix
from_checkout = sorted(
    name for name, module in list(sys.modules.items())
    if (getattr(module, "__file__", None) or "").startswith(checkout + "/")
    and not (getattr(module, "__file__", None) or "").startswith(env + "/")
)
print(json.dumps({{"helpers": helpers.__file__, "from_checkout": from_checkout}}))
"""


def install_like_kaggle(tmp_path: Path) -> Path:
    """The README's `cp -r /kaggle/input/<course> /tmp/course` and `pip install --no-build-isolation
    /tmp/course`, into a folder of its own (not editable); returns that folder."""
    copy = tmp_path / "course"  # what the learner uploaded, copied to a writable folder
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(*NOT_UPLOADED))
    site = tmp_path / "site-packages"
    command = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps"]
    command += ["--no-build-isolation", "--target", str(site), str(copy)]
    subprocess.run(command, check=True, capture_output=True, text=True)
    return site


def kaggle_env(site: Path, home: Path) -> dict[str, str]:
    """The kernel's environment: the installed package first on the path, a fresh home, no course settings
    (no MASK_WORK_DIR: where an installed package keeps its files is part of what is tested)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASK_") or k == "MASK_YUNET_MODEL"}
    env |= {"PYTHONPATH": str(site), "HOME": str(home), "MASK_QUICK": "1"}
    home.mkdir(parents=True, exist_ok=True)
    return env


def test_a_lesson_runs_from_a_non_editable_install_in_another_folder(tmp_path: Path) -> None:
    from nbclient import NotebookClient

    start = time.perf_counter()
    site = install_like_kaggle(tmp_path)
    assert (site / "helpers" / "assets" / "face_detection_yunet_2023mar.onnx").is_file(), "package data"
    assert not (site / "tools").exists(), "the repository's tools are not part of the package"
    working = tmp_path / "kaggle-working"  # the uploaded notebook, alone in its folder
    working.mkdir()
    notebook = nbformat.read(LESSON, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(CHECK_CELL))
    client = NotebookClient(
        notebook,
        km=current_env_kernel_manager(),
        timeout=600,
        resources={"metadata": {"path": str(working)}},
    )
    client.execute(env=kaggle_env(site, tmp_path / "home"))

    facts = json.loads(notebook.cells[-1].outputs[-1]["text"])
    assert Path(facts["helpers"]).is_relative_to(site), f"helpers came from {facts['helpers']}"
    assert facts["from_checkout"] == [], "modules loaded from the checkout, not the installed package"
    work = tmp_path / "home" / ".cache" / "face-mask-course"
    assert (work / "results" / "06_run_app.json").is_file(), f"results not in {work}"
    assert list((work / "checkpoints").glob("*.pt")), "the quick model's checkpoint is in the home cache"
    assert not list(working.iterdir()), f"the lesson wrote into its folder: {sorted(working.iterdir())}"
    print(f"Kaggle path: install + lesson 06 in {time.perf_counter() - start:.0f} s")
