"""tools.browser without a browser: what its failure messages say, how it keeps JupyterLab off the network
and out of ~/.jupyter, and that it ends every process of its run. `make test-browser` runs the real thing."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tools.browser import Page, _ranges, end_processes, lab_command, lab_environment, problems, processes_of

PYTHON_DIR = str(Path(sys.executable).parent)
KERNEL = "Python 3 (face-mask-course)"


def good_page(**changes) -> Page:
    page = Page(
        prompts=["[1]:", "[2]:", "[3]:"],
        status="idle",
        kernel=KERNEL,
        figures=2,
        bars=1,
        bars_seen=1,
        bar_texts=["Reading images: 100% 600/600"],
    )
    for name, value in changes.items():
        setattr(page, name, value)
    return page


def check(page: Page, cells: int = 3, interpreters: list[str] | None = None) -> list[str]:
    return problems(page, cells, KERNEL, [sys.executable] if interpreters is None else interpreters)


def test_a_good_run_has_no_problems() -> None:
    assert check(good_page()) == []


def test_an_error_output_and_the_cells_it_stopped_are_named() -> None:
    traceback = "ValueError Traceback (most recent call last)\n----> 1 raise ValueError('x')\n\nValueError: x"
    found = check(good_page(prompts=["[1]:", "[2]:", "[ ]:"], errors=[traceback]))
    assert len(found) == 2, found  # the error, and the cell it kept from running
    assert sum("ValueError: x" in p for p in found) == 1, found


def test_a_bar_drawn_as_text_is_reported_with_what_the_output_shows() -> None:
    text = "TqdmWarning: IProgress not found. Please update jupyter and ipywidgets.\nReading images: 100%|##|"
    found = check(good_page(bars=0, bars_seen=0, bar_texts=[], widget_failures=[text]))
    assert len(found) == 2, found  # the text shown instead, and no bar seen as a widget
    assert sum("IProgress not found" in p for p in found) == 1, found


def test_no_figure_another_kernel_and_a_dialog_are_reported() -> None:
    found = check(good_page(figures=0, kernel="No Kernel", dialogs=["Select Kernel ..."]))
    assert len(found) == 3, found
    assert sum("'No Kernel'" in p and KERNEL in p for p in found) == 1, found
    assert sum("Select Kernel" in p for p in found) == 1, found


def test_a_kernel_outside_this_environment_and_missing_cells_are_reported() -> None:
    found = check(good_page(), cells=4, interpreters=["/usr/bin/python3"])
    assert len(found) == 2, found
    assert sum("/usr/bin/python3" in p and PYTHON_DIR in p for p in found) == 1, found
    assert check(good_page(), cells=3, interpreters=[]) != [], "no kernel interpreter found is a problem"


def test_cell_numbers_are_said_as_ranges() -> None:
    assert _ranges([2, 3, 4, 7, 9, 10]) == "2-4, 7, 9-10"


def test_jupyterlab_stays_on_loopback_with_a_token_and_off_the_network(tmp_path: Path) -> None:
    command = " ".join(lab_command(tmp_path, 8888, "secret"))
    for option in (
        "--ServerApp.ip=127.0.0.1",
        "--IdentityProvider.token=secret",
        "--LabApp.news_url=None",
        "NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
        f"--ServerApp.root_dir={tmp_path / 'notebooks'}",
    ):
        assert option in command


def test_the_lab_environment_is_private_and_in_the_chosen_mode(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MASK_DATA_DIR", "/somewhere/real")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    quick = lab_environment(tmp_path, None, quick=True)
    assert quick["MASK_QUICK"] == "1" and "MASK_DATA_DIR" not in quick and "MPLBACKEND" not in quick
    assert quick["MASK_WORK_DIR"] == str(tmp_path / "work") and quick["JUPYTER_PREFER_ENV_PATH"] == "1"
    assert all(quick[name].startswith(str(tmp_path)) for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR"))
    full = lab_environment(tmp_path, tmp_path / "demo", quick=False)
    assert "MASK_QUICK" not in full and full["MASK_DATA_DIR"] == str(tmp_path / "demo")


def test_every_process_of_the_run_and_its_children_are_ended(tmp_path: Path) -> None:
    """A process with an argument in the run's folder, and its child without (as Chromium's helpers), end;
    a process that only mentions the folder in a longer argument (a shell's script) is not the run's."""
    parent = subprocess.Popen(["sh", "-c", "sleep 60 & wait", "sh", f"{tmp_path}/chromium"])
    bystander = subprocess.Popen(["sh", "-c", f"sleep 60; true # ls {tmp_path}/chromium"])
    deadline = time.monotonic() + 5
    while len(processes_of(tmp_path)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    found = processes_of(tmp_path)
    assert parent.pid in found and len(found) == 2, found
    assert sorted(end_processes(tmp_path, grace=2)) == found
    assert parent.wait(timeout=5) is not None
    assert processes_of(tmp_path) == []
    assert bystander.poll() is None
    bystander.kill()
    bystander.wait()
