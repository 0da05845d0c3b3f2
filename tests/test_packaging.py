"""The install files agree with each other, and the notebooks follow the repository's rules."""

from __future__ import annotations

import importlib.metadata
import json
import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from helpers.notebooks import notebook_paths, unstripped
from helpers.samples import crowd_photos

ROOT = Path(__file__).resolve().parent.parent


def requirement_lines(text: str) -> list[str]:
    return [line.split("#")[0].strip() for line in text.splitlines() if line.split("#")[0].strip()]


def conda_pip_section(text: str) -> list[str]:
    """The `- pip:` list of environment.yml (no YAML library needed for this flat list)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "- pip:")
    indent = len(lines[start + 1]) - len(lines[start + 1].lstrip())
    items = []
    for line in lines[start + 1 :]:
        if not line.strip() or len(line) - len(line.lstrip()) < indent:
            break
        items.append(line.strip().removeprefix("- ").strip())
    return items


def name_of(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_the_same_packages_as_requirements() -> None:
    pip_requirements = requirement_lines((ROOT / "requirements.txt").read_text())
    conda = conda_pip_section((ROOT / "environment.yml").read_text())
    assert sorted(conda) == sorted(pip_requirements)


def test_package_dependencies_are_in_requirements_with_the_same_bounds() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = set(requirement_lines((ROOT / "requirements.txt").read_text()))
    assert set(project["dependencies"]) <= requirements


@pytest.mark.parametrize("source", ["requirements.txt", "pyproject.toml"])
def test_no_exact_pins_and_torch_2_14_allowed(source: str) -> None:
    """These machines install torch 2.14.1 and torchvision 0.29.1 (a cap allows no newer); Kaggle and laptops
    have others. Lower bounds only, and the versions CI installs must satisfy them."""
    text = (ROOT / source).read_text()
    lines = (
        requirement_lines(text) if source.endswith(".txt") else tomllib.loads(text)["project"]["dependencies"]
    )
    requirements = {Requirement(line).name.lower(): Requirement(line) for line in lines}
    assert not [str(r) for r in requirements.values() if "==" in str(r.specifier)], (
        "exact pins break installs"
    )
    for name, version in {
        "torch": "2.14.1",
        "torchvision": "0.29.1",
        "numpy": "2.4.6",
        "opencv-python": "5.0.0",
    }.items():
        assert requirements[name].specifier.contains(version), f"{name} {version} must be allowed by {source}"
    assert not requirements["torch"].specifier.contains("2.1.0"), "a lower bound: torch 2.1 lacks what we use"


def test_installed_versions_satisfy_the_requirements() -> None:
    for line in requirement_lines((ROOT / "requirements.txt").read_text()):
        requirement = Requirement(line)
        installed = importlib.metadata.version(requirement.name)
        assert requirement.specifier.contains(installed, prereleases=True), f"{requirement} but {installed}"


def test_extras_have_lower_bounds_only_and_the_browser_test_installs_its_own() -> None:
    """The extras (`export`; `browser`, Selenium for make test-browser only) follow the same rule."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for name, lines in extras.items():
        for line in lines:
            specifier = Requirement(line).specifier
            assert specifier and all(s.operator == ">=" for s in specifier), f"extra {name}: {line}"
    assert '".[browser]"' in (ROOT / "Makefile").read_text(), "make test-browser installs the browser extra"


def test_ci_runs_the_browser_test_after_make_test() -> None:
    commands = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert commands.index("make test") < commands.index("make test-browser")


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make run" in readme


@pytest.mark.parametrize(
    "path",
    notebook_paths(ROOT / "notebooks") + notebook_paths(ROOT / "notebooks" / "solutions"),
    ids=lambda p: p.name,
)
def test_notebooks_follow_the_output_policy(path: Path) -> None:
    assert unstripped([path]) == [], "committed notebooks carry no outputs (run `make strip`)"
    notebook = json.loads(path.read_text())
    sources = ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert not any("sys.path" in source for source in sources), "install helpers instead of editing sys.path"
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"


def test_the_yunet_file_and_its_licence_ship_in_the_package() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "assets/*" in project["tool"]["setuptools"]["package-data"]["helpers"]
    assets = {p.name for p in (ROOT / "helpers" / "assets").iterdir()}
    assert assets == {"face_detection_yunet_2023mar.onnx", "LICENSE-YuNet.txt", "scenes"}


def test_the_crowd_photos_ship_with_their_boxes_source_and_licence() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "assets/scenes/*" in project["tool"]["setuptools"]["package-data"]["helpers"]
    photos = crowd_photos()
    assert len(photos) == 2
    for photo in photos:
        assert photo.with_suffix(".xml").is_file(), f"{photo.name} has no boxes beside it"
    notice = (photos[0].parent / "README.md").read_text()
    assert "CC0" in notice and "kaggle.com" in notice
