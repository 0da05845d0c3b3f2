"""Run, strip and check the course notebooks: `python -m helpers.notebooks {run,strip,check-stripped}`.

Output policy (see README): notebooks are committed without outputs; `make run` writes executed copies to
build/notebooks/, and the notebooks check themselves with assert cells under `pytest --nbval-lax`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
BUILD = ROOT / "build" / "notebooks"


def notebook_paths(folder: Path = NOTEBOOKS) -> list[Path]:
    """Numbered notebooks in course order (01_..., 02_...)."""
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))


def _current_env_kernel_manager():
    """A kernel in *this* Python, whatever other 'python3' kernels the machine has (no NoSuchKernel)."""
    import ipykernel.kernelspec
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import KernelManager

    class CurrentEnv(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            spec = ipykernel.kernelspec.get_kernel_dict()
            return KernelSpec(resource_dir=ipykernel.kernelspec.RESOURCES, **spec)

    return KernelManager(kernel_name="python3", kernel_spec_manager=CurrentEnv())


def execute(path: Path, out_dir: Path = BUILD, timeout: int = 1800) -> float:
    """Execute one notebook in its own folder, save the executed copy, return seconds taken."""
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    resources = {"metadata": {"path": str(path.parent)}}
    client = NotebookClient(notebook, km=_current_env_kernel_manager(), timeout=timeout, resources=resources)
    try:
        client.execute()
    finally:
        out_dir.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, out_dir / path.name)
    return time.perf_counter() - start


def absolute_env_paths(
    names: tuple[str, ...] = ("MASK_DATA_DIR", "MASK_WORK_DIR", "MASK_YUNET_MODEL"),
) -> None:
    """Kernels start in notebooks/: a relative path given from the repository root must become absolute."""
    for name in names:
        if os.environ.get(name):
            os.environ[name] = str(Path(os.environ[name]).expanduser().resolve())


def run_all(paths: list[Path]) -> int:
    from helpers.runtime import work_dir

    absolute_env_paths()
    for stale in (work_dir() / "results").glob("*.json"):
        stale.unlink()  # the summary must show this run only
    failed = []
    for path in paths:
        print(f"Running {path.name} ...", flush=True)
        try:
            seconds = execute(path)
            print(f"  done in {seconds:.0f} s")
        except Exception as exc:  # noqa: BLE001 - report every notebook, then fail at the end
            failed.append(path.name)
            print(f"  FAILED: {type(exc).__name__}: {str(exc)[-2000:]}")
    print(f"\nExecuted copies: {BUILD}")
    results = sorted((work_dir() / "results").glob("*.json"))
    if results:
        print("Results summary:")
        for result in results:
            print(f"  {result.stem}: {json.dumps(json.loads(result.read_text()))}")
    if failed:
        print(f"Failed notebooks: {', '.join(failed)}")
    return 1 if failed else 0


def strip(path: Path) -> bool:
    """Clear outputs and execution counts; True if the file changed."""
    notebook = nbformat.read(path, as_version=4)
    before = nbformat.writes(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    notebook.metadata.pop("widgets", None)
    after = nbformat.writes(notebook)
    if after != before:
        path.write_text(after)
    return after != before


def unstripped(paths: list[Path]) -> list[str]:
    """Notebooks that carry outputs, which the output policy forbids in the repository."""
    bad = []
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        if any(c.cell_type == "code" and (c.outputs or c.execution_count) for c in notebook.cells):
            bad.append(path.name)
    return bad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["run", "strip", "check-stripped"])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every numbered notebook")
    args = parser.parse_args(argv)
    paths = args.notebooks or notebook_paths()
    if args.command == "run":
        return run_all(paths)
    if args.command == "strip":
        for path in paths:
            print(f"{path.name}: {'stripped' if strip(path) else 'already clean'}")
        return 0
    bad = unstripped(paths)
    if bad:
        print(f"Notebooks with outputs (run `make strip` before committing): {', '.join(bad)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
