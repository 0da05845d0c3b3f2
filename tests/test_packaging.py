"""The install files agree with each other, and the notebooks follow the repository's rules."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from helpers.notebooks import notebook_paths, unstripped

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


def test_no_exact_pins_and_torch_2_14_allowed() -> None:
    requirements = requirement_lines((ROOT / "requirements.txt").read_text())
    assert not [r for r in requirements if "==" in r], "exact pins break installs on other machines"
    assert {name_of(r) for r in requirements} >= {"torch", "torchvision", "nbval", "ipykernel", "jupyterlab"}


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make run" in readme


@pytest.mark.parametrize("path", notebook_paths(ROOT / "notebooks"), ids=lambda p: p.name)
def test_notebooks_follow_the_output_policy(path: Path) -> None:
    assert unstripped([path]) == [], "committed notebooks carry no outputs (run `make strip`)"
    notebook = json.loads(path.read_text())
    sources = ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert not any("sys.path" in source for source in sources), "install helpers instead of editing sys.path"
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    assert any("assert " in source for source in sources), "each notebook checks itself with assert cells"
