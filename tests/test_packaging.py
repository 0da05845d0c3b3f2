"""The install files agree with each other, the installed package carries no repository tooling, and the
notebooks follow the repository's rules."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
NOTEBOOKS += sorted((ROOT / "notebooks" / "solutions").glob("[0-9][0-9]_*.ipynb"))
# What runs and drives notebooks: the repository's tools need it, the installed package must not.
TOOLING = {"selenium", "nbformat", "nbclient", "nbval", "nbstripout", "tools"}


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


def requirements_of(source: str) -> list[Requirement]:
    """The requirements a file declares: pip's files line by line, pyproject's dependencies and extras."""
    text = (ROOT / source).read_text()
    if source.endswith(".txt"):
        return [Requirement(line) for line in requirement_lines(text)]
    project = tomllib.loads(text)["project"]
    extras = [line for lines in project.get("optional-dependencies", {}).values() for line in lines]
    return [Requirement(line) for line in project["dependencies"] + extras]


@pytest.mark.parametrize("source", ["requirements.txt", "pyproject.toml", "tools/requirements.txt"])
def test_requirements_are_lower_bounds_only(source: str) -> None:
    """No exact pin and no cap: they install on Kaggle, laptops and CI alike, whatever releases they have."""
    requirements = requirements_of(source)
    assert requirements
    for requirement in requirements:
        operators = [spec.operator for spec in requirement.specifier]
        assert operators == [">="], f"{source}: {requirement} (a lower bound only)"


@pytest.mark.parametrize("source", ["requirements.txt", "pyproject.toml"])
def test_the_lower_bounds_exclude_releases_that_lack_what_the_course_uses(source: str) -> None:
    """torch 2.2 / torchvision 0.17 are the oldest releases with what the course uses."""
    bounds = {r.name.lower(): r.specifier for r in requirements_of(source)}
    assert not bounds["torch"].contains("2.1.2") and bounds["torch"].contains("2.2.0")
    assert not bounds["torchvision"].contains("0.16.2") and bounds["torchvision"].contains("0.17.0")


def test_installed_versions_satisfy_the_requirements() -> None:
    for line in requirement_lines((ROOT / "requirements.txt").read_text()):
        requirement = Requirement(line)
        installed = importlib.metadata.version(requirement.name)
        assert requirement.specifier.contains(installed, prereleases=True), f"{requirement} but {installed}"


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module a file imports, at the top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_installed_package_is_helpers_without_the_tools() -> None:
    """`pip install .` installs helpers alone, and no helpers module needs the notebook or browser tools."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert setuptools["packages"] == ["helpers"]
    needing_tools = {path.name: imported_modules(path) & TOOLING for path in (ROOT / "helpers").glob("*.py")}
    assert not {name: found for name, found in needing_tools.items() if found}
    tool_requirements = {r.name.lower() for r in requirements_of("tools/requirements.txt")}
    package_requirements = {r.name.lower() for r in requirements_of("pyproject.toml")}
    assert not tool_requirements & package_requirements


def test_the_import_scan_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text("import os.path\n\n\ndef f():\n    from nbformat import read\n    from . import x\n")
    assert imported_modules(module) == {"os", "nbformat"}


def test_the_targets_that_use_the_tools_install_their_requirements_first() -> None:
    """The tools' own needs (tools/requirements.txt) are installed before the targets that use them."""
    for target in ("test", "test-browser", "strip"):
        dry_run = subprocess.run(["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True)
        assert dry_run.returncode == 0, dry_run.stderr
        commands = dry_run.stdout.splitlines()
        installs = [i for i, line in enumerate(commands) if "-q -r tools/requirements.txt" in line]
        tool = [i for i, line in enumerate(commands) if "-m tools." in line or "-m pytest" in line]
        assert installs and tool and installs[0] < tool[0], f"make {target}: {commands}"


def test_ci_runs_the_browser_test_after_make_test() -> None:
    commands = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert commands.index("make test") < commands.index("make test-browser")


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make run" in readme


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_follow_the_output_policy(path: Path) -> None:
    notebook = json.loads(path.read_text())
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert all(cell["outputs"] == [] and cell["execution_count"] is None for cell in code), (
        "committed notebooks carry no outputs (run `make strip`)"
    )
    assert "widgets" not in notebook["metadata"], "no saved widget state"
    sources = ["".join(cell["source"]) for cell in code]
    assert not any("sys.path" in source for source in sources), "install helpers instead of editing sys.path"
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    ids = [cell.get("id") for cell in notebook["cells"]]
    assert len(set(ids)) == len(ids), "every cell has its own id (a copied cell keeps its original's)"


def test_the_yunet_file_and_its_licence_ship_in_the_package() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "assets/*" in project["tool"]["setuptools"]["package-data"]["helpers"]
    assets = {p.name for p in (ROOT / "helpers" / "assets").iterdir()}
    assert assets == {"face_detection_yunet_2023mar.onnx", "LICENSE-YuNet.txt", "scenes"}


def test_the_crowd_photos_ship_with_their_boxes_source_and_licence() -> None:
    from helpers.samples import crowd_photos

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "assets/scenes/*" in project["tool"]["setuptools"]["package-data"]["helpers"]
    photos = crowd_photos()
    assert len(photos) == 2
    for photo in photos:
        assert photo.with_suffix(".xml").is_file(), f"{photo.name} has no boxes beside it"
    notice = (photos[0].parent / "README.md").read_text()
    assert "CC0" in notice and "kaggle.com" in notice
