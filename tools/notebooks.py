"""Run, strip and check the course notebooks, and collect their figures for the README:
`python -m tools.notebooks {run,strip,check-stripped,figures}` from the repository root.

Output policy (docs/testing.md): notebooks are committed without outputs (nbstripout clears them, keeping
cell ids and tags); `make run` writes executed copies to build/notebooks/, and the notebooks end with one
short check cell that `pytest --nbval-lax` executes.
`figures` copies the figures of cells tagged `figure:<name>` from the executed copies to docs/figures/,
with a note of the data, weights and hardware of that run (`make figures`).
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
BUILD = ROOT / "build" / "notebooks"
FIGURES = ROOT / "docs" / "figures"


def notebook_paths(folder: Path = NOTEBOOKS) -> list[Path]:
    """Numbered notebooks in course order (01_..., 02_...)."""
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))


def current_env_kernel_manager():
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
    client = NotebookClient(notebook, km=current_env_kernel_manager(), timeout=timeout, resources=resources)
    try:
        client.execute()
    finally:
        out_dir.mkdir(parents=True, exist_ok=True)
        nbformat.write(tidy_streams(notebook), out_dir / path.name)
    return time.perf_counter() - start


def tidy_streams(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Saved outputs as a reader sees them live: each printed chunk of a cell arrives as its own output, so
    consecutive chunks of one stream are joined, and a progress bar's redrawn line (carriage returns)
    keeps only its last state. Figures and results keep their place."""
    for cell in notebook.cells:
        outputs = []
        for output in cell.get("outputs", []):
            last = outputs[-1] if outputs else None
            if output.output_type == "stream" and last and last.get("name") == output.name:
                last.text += output.text
            else:
                outputs.append(output)
        for output in outputs:
            if output.output_type == "stream":
                output.text = "\n".join(line.rsplit("\r", 1)[-1] for line in output.text.split("\n"))
        cell.outputs = outputs
    return notebook


def absolute_env_paths(
    names: tuple[str, ...] = (
        "MASK_DATA_DIR",
        "MASK_SCENES_DIR",
        "MASK_WORK_DIR",
        "MASK_YUNET_MODEL",
        "MASK_PHOTO",
    ),
) -> None:
    """Kernels start in notebooks/: a relative path given from the repository root must become absolute
    (each path of a list such as MASK_DATA_DIR=a:b)."""
    for name in names:
        if os.environ.get(name):
            paths = [p for p in os.environ[name].split(os.pathsep) if p.strip()]
            os.environ[name] = os.pathsep.join(str(Path(p).expanduser().resolve()) for p in paths)


def run_all(paths: list[Path]) -> int:
    from helpers.runtime import work_dir

    absolute_env_paths()
    os.environ["MASK_TEXT_BARS"] = "1"  # saved copies show how each progress bar ended
    for stale in (work_dir() / "results").glob("*.json"):
        stale.unlink()  # the summary must show this run only
    failed, seconds = [], {}
    for path in paths:
        print(f"Running {path.name} ...", flush=True)
        try:
            seconds[path.stem] = execute(path)
            print(f"  done in {seconds[path.stem]:.0f} s")
        except Exception as exc:  # noqa: BLE001 - report every notebook, then fail at the end
            failed.append(path.name)
            print(f"  FAILED: {type(exc).__name__}: {str(exc)[-2000:]}")
    print(f"\nExecuted copies: {BUILD.relative_to(ROOT)}/\n")
    print(summary_table(seconds, work_dir() / "results"))
    if failed:
        print(f"Failed notebooks: {', '.join(failed)}")
    return 1 if failed else 0


def summary_table(seconds: dict[str, float], results: Path) -> str:
    """One line per lesson: its data, its headline figure (what record_result saved) and its time."""
    records = {p.stem[:2]: json.loads(p.read_text()) for p in results.glob("*.json")}
    rows = [("lesson", "data", "headline", "seconds")]
    for stem, took in seconds.items():
        record = records.get(stem[:2], {})
        data = str(record.get("data", "")).removeprefix("Data: ").split(" — ")[0]
        data = "demo data" if "SYNTHETIC" in json.dumps(record.get("data", "")) else data
        rows.append((stem[:2], data, str(record.get("headline", "(nothing recorded)")), f"{took:.0f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:<{widths[2]}}  {d:>7}" for a, b, c, d in rows)


def _nbstripout(paths: list[Path], *options: str) -> subprocess.CompletedProcess:
    """nbstripout on the given notebooks: outputs and execution counts cleared, cell ids kept."""
    command = [sys.executable, "-m", "nbstripout", "--keep-id", *options, *map(str, paths)]
    return subprocess.run(command, capture_output=True, text=True, check=True)


def _would_change(paths: list[Path]) -> list[Path]:
    if not paths:
        return []
    shown = _nbstripout(paths, "--dry-run").stdout.splitlines()
    return [Path(line.split("would have stripped ", 1)[1]) for line in shown if "would have stripped" in line]


def unstripped(paths: list[Path]) -> list[str]:
    """Notebooks that nbstripout would change: they carry outputs, which the output policy forbids."""
    return [path.name for path in _would_change(paths)]


def strip(paths: list[Path]) -> list[str]:
    """Clear outputs and execution counts; returns the names of the notebooks that changed."""
    changed = _would_change(paths)
    if changed:
        _nbstripout(changed)
    return [path.name for path in changed]


def tagged_figures(folder: Path = BUILD) -> dict[str, tuple[str, bytes]]:
    """figure name -> (notebook, PNG bytes) for every executed cell tagged figure:<name> (its last image)."""
    found = {}
    for path in notebook_paths(folder):
        for cell in nbformat.read(path, as_version=4).cells:
            names = [
                tag.split(":", 1)[1] for tag in cell.metadata.get("tags", []) if tag.startswith("figure:")
            ]
            images = [
                out["data"]["image/png"]
                for out in cell.get("outputs", [])
                if "image/png" in out.get("data", {})
            ]
            for name in names:
                if images:
                    found[name] = (path.name, base64.b64decode(images[-1]))
    return found


def _without_paths(text: str) -> str:
    """A machine's folders stay out of committed files: every absolute path becomes its last part."""
    return re.sub(r"(?:/[^/\s,;]+)+/([^/\s,;]+)", r"\1", text)


def _figure_model(record: dict) -> str:
    """The model (and its weights) a notebook's figures show, from what it recorded."""
    if "best" in record and isinstance(record["best"], dict) and "weights" in record["best"]:
        return f"{record['best'].get('backbone', '')} ({record['best']['weights']})"
    return str(record.get("model") or record.get("weights") or "no model")


def _stamp(png: bytes, note: str) -> bytes:
    """The figure with a line under it saying which run made it: data, model, hardware, command."""
    from PIL import Image, ImageDraw, ImageFont

    figure = Image.open(io.BytesIO(png)).convert("RGB")
    font = ImageFont.load_default(size=12)
    lines = textwrap.wrap(note, width=max(40, figure.width // 7))
    strip = Image.new("RGB", (figure.width, 8 + 16 * len(lines)), "white")
    for i, line in enumerate(lines):
        ImageDraw.Draw(strip).text((8, 4 + 16 * i), line, fill=(70, 70, 70), font=font)
    stamped = Image.new("RGB", (figure.width, figure.height + strip.height), "white")
    stamped.paste(figure, (0, 0))
    stamped.paste(strip, (0, figure.height))
    out = io.BytesIO()
    stamped.save(out, format="PNG", optimize=True)
    return out.getvalue()


def write_figures(out_dir: Path = FIGURES, folder: Path = BUILD) -> list[Path]:
    """The tagged figures as PNG files, each stamped with the data, model and hardware of the run that made it
    (from what the notebooks recorded), and figures.json with the same facts."""
    from helpers.runtime import work_dir

    figures = tagged_figures(folder)
    if not figures:
        raise SystemExit(f"no tagged figures in {folder}: run the notebooks first (make run)")
    results = {p.stem: json.loads(p.read_text()) for p in sorted((work_dir() / "results").glob("*.json"))}
    records = {name[:2]: record for name, record in results.items()}
    env = results.get("01_data", {}).get("environment", {})
    hardware = f"{env.get('device', '?')} ({env.get('gpu', env.get('cpu_threads', '?') + ' CPU threads')})"
    versions = f"torch {env.get('torch', '?')}, OpenCV {env.get('opencv', '?')}"
    data = _without_paths(results.get("01_data", {}).get("data", "unknown data")).removeprefix("Data: ")
    out_dir.mkdir(parents=True, exist_ok=True)
    facts, written = {}, []
    for name, (notebook, png) in sorted(figures.items()):
        model = _without_paths(_figure_model(records.get(notebook[:2], {})))
        note = f"{notebook}, `make figures`: data {data}; model {model}; {hardware}, {versions}"
        facts[name] = {
            "notebook": notebook,
            "data": data,
            "model": model,
            "hardware": hardware,
            "versions": versions,
        }
        path = out_dir / f"{name}.png"
        path.write_bytes(_stamp(png, note.replace("\u2014", "-")))  # the default font has no dashes
        written.append(path)
    (out_dir / "figures.json").write_text(json.dumps(facts, indent=2) + "\n")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["run", "strip", "check-stripped", "figures"])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every numbered notebook")
    args = parser.parse_args(argv)
    paths = args.notebooks or notebook_paths()
    if args.command in ("strip", "check-stripped") and not args.notebooks:
        paths += notebook_paths(NOTEBOOKS / "solutions")
    if args.command == "run":
        return run_all(paths)
    if args.command == "figures":
        for path in write_figures():
            print(f"wrote {path.relative_to(ROOT)}")
        return 0
    if args.command == "strip":
        changed = strip(paths)
        print(f"stripped: {', '.join(changed)}" if changed else f"{len(paths)} notebooks already clean")
        return 0
    bad = unstripped(paths)
    if bad:
        print(f"Notebooks with outputs (run `make strip` before committing): {', '.join(bad)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
