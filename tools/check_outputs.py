"""Read executed notebooks as a learner would, and list what should not be in view:
`python tools/check_outputs.py [build/notebooks]` after `make run`.

Flags machine paths, raw reprs longer than 200 characters, test markers, OpenCV's log lines, progress bars
saved before they ended, logs longer than 30 lines, and remarks about the synthetic demo data in a run on
real data.
Exits 1 when anything is found, listing notebook, cell (counting every cell from 0) and the text.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MACHINE_PATH = re.compile(r"(?<![\w.~])/(?:work|home|root|tmp|Users|kaggle|mnt|opt|usr|var|srv)/[^\s'\")]+")
MARKERS = re.compile(r"NBVAL|\(CI\)|[Ii]ssue \d+|\[ ?WARN|setPreferableTarget|PosixPath\(")
DEMO = re.compile(r"synthetic|demo data|demo scenes", re.IGNORECASE)
UNFINISHED_BAR = re.compile(r"(?<!\d)0%\|")
LONGEST_REPR, LONGEST_LOG = 200, 30


def shown_text(output: dict) -> tuple[str, str]:
    """(kind, text) of an output as it renders: a stream keeps what follows each line's last \\r."""
    if output["output_type"] == "stream":
        text = "".join(output["text"])
        return "stream", "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))
    if output["output_type"] == "error":
        return "error", "\n".join(output.get("traceback", []))
    data = output.get("data", {})
    if "image/png" in data or "text/html" in data:
        return "rich", ""
    return output["output_type"], "".join(data.get("text/plain", ""))


def problems(path: Path) -> list[str]:
    notebook = json.loads(path.read_text())
    outputs = [
        (i, *shown_text(output))
        for i, cell in enumerate(notebook["cells"])
        if cell["cell_type"] == "code"
        for output in cell.get("outputs", [])
    ]
    real = not any("SYNTHETIC" in text for _, _, text in outputs)
    found = []
    for i, kind, text in outputs:
        where = f"{path.name} cell {i}"
        found += [f"{where}: machine path {m}" for m in MACHINE_PATH.findall(text)]
        found += [f"{where}: {m!r}" for m in set(MARKERS.findall(text))]
        if kind == "execute_result" and len(text) > LONGEST_REPR:
            found.append(f"{where}: a raw repr of {len(text)} characters: {text[:80]!r}...")
        if kind == "stream" and UNFINISHED_BAR.search(text):
            found.append(f"{where}: a progress bar saved at 0 %")
        if kind == "stream" and text.count("\n") > LONGEST_LOG:
            found.append(f"{where}: a log of {text.count(chr(10))} lines")
        if real and DEMO.search(text):
            found.append(f"{where}: a demo-data remark in a run on real data: {DEMO.search(text).group()!r}")
    return found


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else ROOT / "build" / "notebooks"
    paths = sorted(folder.glob("*.ipynb"))
    if not paths:
        print(f"no executed notebooks in {folder}: run `make run` first")
        return 2
    found = [problem for path in paths for problem in problems(path)]
    print("\n".join(found) if found else f"{len(paths)} notebooks: nothing out of place")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
