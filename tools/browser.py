"""What the learner's screen shows: lessons opened and run in JupyterLab, in a real (headless) browser.

`python -m tools.browser [--full NOTEBOOK]... NOTEBOOK...` (`make test-browser`). nbval runs cells in a
kernel and never sees the page; this starts JupyterLab from this environment on a loopback port with a random
token, opens the lesson in Debian's Chromium through its chromedriver (Selenium, pointed at both: nothing is
downloaded), clicks Run > Run All Cells, waits until every cell has run and the kernel is idle, and checks
what the page shows:

- every code cell ran, no red error output, no dialog (such as a dead kernel);
- the notebook opened with this environment's kernel, the one `make lab` installs;
- at least one figure is drawn;
- a tqdm progress bar is drawn as a widget (seen at any moment of the run: training bars close themselves),
  never as "Error displaying widget" or as text.

Each lesson gets a JupyterLab of its own and a fresh work folder, as on a learner's first run: the images are
cached (so the caching bar appears) and models train anew. The data are the built-in demo data; lessons run in
quick mode (MASK_QUICK=1) unless given with --full. A screenshot of each lesson goes to build/browser/.
JupyterLab, its kernels and the browser are stopped at the end, also on failure and Ctrl-C: every process
whose command line names this run's private folder, and their children, are ended by their ids.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "build" / "browser"
CHROMIUM = os.environ.get("MASK_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("MASK_CHROMEDRIVER", "/usr/bin/chromedriver")
# Headless Chromium as root in a container, with nothing that phones home: without the networking flags its
# background connections are refused one after another on a closed network. Whatever a page might still
# fetch from the internet goes to a closed local port (Chromium never sends loopback through a proxy).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--proxy-server=http://127.0.0.1:9",
    "--window-size=1400,1300",
)
# The news and update checks of JupyterLab fetch from the internet: off, and no toast asking about them.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}
# Text a learner sees when a tqdm bar is not drawn as a widget.
BAR_FAILURES = (
    "Error displaying widget",
    "Loading widget",
    "HBox(children=",
    "IProgress not found",
    "FloatProgress(",
)

# Installed before the page's own scripts: counts every progress-bar widget ever drawn, since the training
# bars (tqdm's leave=False) remove themselves when done.
OBSERVER_JS = """
(() => {
  const seen = window.__courseSeen = {bars: 0};
  const counted = new WeakSet();
  const look = node => {
    if (!(node instanceof Element)) return;
    const bars = node.matches('.widget-hprogress') ? [node] : [...node.querySelectorAll('.widget-hprogress')];
    for (const bar of bars) if (!counted.has(bar)) { counted.add(bar); seen.bars += 1; }
  };
  // ipywidgets may add the class after the element is in the page: watch class changes too
  new MutationObserver(records => records.forEach(r => { look(r.target); r.addedNodes.forEach(look); }))
    .observe(document, {childList: true, subtree: true, attributes: true, attributeFilter: ['class']});
})();
"""

# One look at the page: what the learner would see of the open notebook.
PAGE_JS = """
const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
const text = e => (e && e.textContent || '').trim();
const dialogs = [...document.querySelectorAll('.jp-Dialog')].map(text);
if (!panel) return {open: false, dialogs};
const outputs = [...panel.querySelectorAll('.jp-OutputArea-output')];
const stderr = outputs.filter(o => o.dataset.mimeType === 'application/vnd.jupyter.stderr').map(text);
const isError = t => /Traceback \\(most recent call last\\)|^\\w*(Error|Exception|Interrupt)\\b/m.test(t);
const bars = outputs.filter(o => o.querySelector('.widget-hprogress'));
return {
  open: true,
  dialogs,
  prompts: [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].map(text),
  status: (panel.querySelector('.jp-Notebook-ExecutionIndicator') || {dataset: {}}).dataset.status || '',
  kernel: text(panel.querySelector('.jp-KernelName')),
  errors: stderr.filter(isError),
  warnings: stderr.filter(t => !isError(t)).length,
  figures: panel.querySelectorAll('.jp-RenderedImage img').length,
  bars: bars.length,
  barsSeen: (window.__courseSeen || {bars: 0}).bars,
  barTexts: bars.map(text),
  widgetFailures: outputs.map(text).filter(t => FAILURES.some(f => t.includes(f))),
};
"""

# Before a screenshot: the first traceback, else the first progress bar, else the first figure, at the top of
# the notebook's view.
SCROLL_JS = """
const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
const target = panel && (panel.querySelector('[data-mime-type="application/vnd.jupyter.stderr"] .ansi-red-fg')
  || panel.querySelector('.jp-OutputArea-output .widget-hprogress')
  || panel.querySelector('.jp-RenderedImage img'));
if (target) target.closest('.jp-OutputArea-child').scrollIntoView({block: 'start'});
"""


@dataclass
class Lab:
    """A running JupyterLab: where to reach it, and the private folder every process of this run names."""

    process: subprocess.Popen
    url: str
    token: str
    folder: Path


@dataclass
class Page:
    """What the page showed for one notebook, in the terms a failure message needs."""

    prompts: list[str] = field(default_factory=list)
    status: str = ""
    kernel: str = ""
    errors: list[str] = field(default_factory=list)
    warnings: int = 0
    figures: int = 0
    bars: int = 0
    bars_seen: int = 0
    bar_texts: list[str] = field(default_factory=list)
    widget_failures: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    @classmethod
    def from_js(cls, found: dict) -> Page:
        return cls(
            prompts=found.get("prompts", []),
            status=found.get("status", ""),
            kernel=found.get("kernel", ""),
            errors=found.get("errors", []),
            warnings=found.get("warnings", 0),
            figures=found.get("figures", 0),
            bars=found.get("bars", 0),
            bars_seen=found.get("barsSeen", 0),
            bar_texts=found.get("barTexts", []),
            widget_failures=found.get("widgetFailures", []),
            dialogs=found.get("dialogs", []),
        )

    def not_run(self) -> list[int]:
        """Code cells (numbered from 1) without an execution count: never run, or still running."""
        return [i for i, p in enumerate(self.prompts, 1) if not p.strip("[]: ").isdigit()]

    def running(self) -> bool:
        return self.status != "idle" or any("*" in p for p in self.prompts)


# ----------------------------------------------------------------------------------------------- processes
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _process_table() -> dict[int, tuple[int, list[str]]]:
    """pid -> (parent pid, argv) of every process we may see."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        table[int(entry.name)] = (int(stat.rsplit(")", 1)[1].split()[1]), argv)
    return table


def _ancestors(table: dict[int, tuple[int, list[str]]]) -> set[int]:
    """This process and the ones that started it (make, a shell): never ended, whatever they name."""
    found, pid = set(), os.getpid()
    while pid in table and pid not in found:
        found.add(pid)
        pid = table[pid][0]
    return found


def processes_of(folder: Path) -> list[int]:
    """Processes with an argument in this run's private folder (JupyterLab's root, a kernel's connection file,
    Chromium's profile, chromedriver's log), and all their children: exactly what this run started, whoever
    adopted them since."""
    table = _process_table()
    inside = f"{folder}/"
    found = {
        pid
        for pid, (_, argv) in table.items()
        if any(a.startswith(inside) or f"={inside}" in a for a in argv)
    }
    grew = True
    while grew:
        children = {pid for pid, (parent, _) in table.items() if parent in found} - found
        found |= children
        grew = bool(children)
    return sorted(found - _ancestors(table))


def end_processes(folder: Path, grace: float = 5.0) -> list[int]:
    """SIGTERM, then SIGKILL after a grace period, to every process of this run; returns those ended."""
    pids = processes_of(folder)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
    return pids


def _alive(pid: int) -> bool:
    """Running; a finished child of ours is reaped on the way (a zombie is not alive)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass  # not our child: its parent reaps it
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in {"Z", "X"}


# ----------------------------------------------------------------------------------------------- JupyterLab
def demo_data_dir(folder: Path) -> Path | None:
    """None where the notebooks choose the built-in demo data by themselves, as on a fresh clone; where a
    dataset is around (data/<name>/, Kaggle's input) they would take it, so they get a demo copy instead."""
    from helpers.demo_data import generate_demo_dataset

    repo_data = ROOT / "data"
    datasets = repo_data.is_dir() and any(path.is_dir() for path in repo_data.iterdir())
    if datasets or Path("/kaggle/input").is_dir():  # helpers.runtime.KAGGLE_INPUT (that module loads torch)
        return generate_demo_dataset(folder / "demo-data")
    return None


def lab_environment(folder: Path, demo: Path | None, quick: bool) -> dict[str, str]:
    """The learner's environment, made private: a fresh work folder, the demo data, Jupyter's own folders
    under this run's folder (nothing read from or written to ~/.jupyter), this environment's kernel first."""
    dropped = {"MASK_DATA_DIR", "MASK_PHOTO", "MASK_QUICK", "MPLBACKEND"}  # MPLBACKEND: figures inline
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    if demo is not None:
        env["MASK_DATA_DIR"] = str(demo)
    env |= {
        "MASK_WORK_DIR": str(folder / "work"),
        "JUPYTER_PREFER_ENV_PATH": "1",
        "JUPYTER_CONFIG_DIR": str(folder / "jupyter-config"),
        "JUPYTER_DATA_DIR": str(folder / "jupyter-data"),
        "JUPYTER_RUNTIME_DIR": str(folder / "jupyter-runtime"),
        "IPYTHONDIR": str(folder / "ipython"),
    }
    if quick:
        env["MASK_QUICK"] = "1"
    return env


def lab_command(folder: Path, port: int, token: str) -> list[str]:
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1"]
    command += [f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}"]
    command += [f"--ServerApp.root_dir={folder / 'notebooks'}", f"--LabApp.workspaces_dir={folder / 'lab'}"]
    command += [f"--LabApp.user_settings_dir={folder / 'lab-settings'}", "--LabApp.news_url=None"]
    command += ["--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate"]
    command += ["--LabApp.extension_manager=readonly"]
    if os.geteuid() == 0:
        command.append("--allow-root")  # CI containers run as root
    return command


def start_lab(notebook: Path, folder: Path, demo: Path | None, quick: bool, timeout: float = 90) -> Lab:
    """JupyterLab on a copy of the notebook (Run All saves nothing into the repository), ready to serve."""
    (folder / "notebooks").mkdir(parents=True)
    shutil.copy(notebook, folder / "notebooks" / notebook.name)
    for name, values in LAB_SETTINGS.items():
        path = folder / "lab-settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    log = (folder / "jupyterlab.log").open("w")
    process = subprocess.Popen(
        lab_command(folder, port, token),
        env=lab_environment(folder, demo, quick),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C in the terminal reaches us, and we stop JupyterLab in order
    )
    lab = Lab(process, f"http://127.0.0.1:{port}", token, folder)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with status {process.returncode}:\n{_tail(log.name)}")
        try:
            api(lab, "/api/status")
            return lab
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s:\n{_tail(log.name)}")


def api(lab: Lab, path: str, method: str = "GET") -> dict | list | None:
    request = urllib.request.Request(f"{lab.url}{path}", method=method)
    request.add_header("Authorization", f"token {lab.token}")
    with urllib.request.urlopen(request, timeout=5) as response:
        body = response.read()
    return json.loads(body) if body else None


def stop_lab(lab: Lab) -> None:
    """SIGTERM: JupyterLab shuts its kernels down itself; whatever is left is ended by end_processes."""
    if lab.process.poll() is None:
        lab.process.terminate()
        try:
            lab.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            lab.process.kill()
            lab.process.wait()


def kernel_display_name(lab: Lab, name: str) -> str:
    """What JupyterLab calls the kernel the notebook asks for (its metadata's kernelspec name)."""
    specs = api(lab, "/api/kernelspecs")["kernelspecs"]
    if name not in specs:
        raise RuntimeError(f"JupyterLab has no kernel named {name!r}, only {sorted(specs)}")
    return specs[name]["spec"]["display_name"]


def kernel_interpreters(folder: Path) -> list[str]:
    """The interpreter (argv[0]) of every running kernel of this run: the Python that runs the cells."""
    return [
        argv[0]
        for argv in (argv for _, argv in _process_table().values())
        if "ipykernel_launcher" in argv and any(a.startswith(f"{folder}/") for a in argv)
    ]


def _tail(path: str | Path, lines: int = 15) -> str:
    return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])


# ----------------------------------------------------------------------------------------------- browser
@contextmanager
def chromium(folder: Path) -> Iterator:
    """Headless Chromium driven by the system chromedriver; quits with the block, also on errors."""
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must never try to download a browser
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).is_file():
            raise SystemExit(f"{path} not found: `apt-get install chromium chromium-driver` (Debian)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={folder / 'chromium'}"):
        options.add_argument(flag)
    (folder / "tmp").mkdir(exist_ok=True)  # Chromium's scratch files, removed with the run's folder
    service = Service(
        CHROMEDRIVER,
        service_args=[f"--log-path={folder / 'chromedriver.log'}"],
        env={**os.environ, "TMPDIR": str(folder / "tmp")},
    )
    driver = webdriver.Chrome(service=service, options=options)
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": OBSERVER_JS})
        yield driver
    finally:
        try:
            driver.quit()
        except Exception:  # noqa: BLE001 - a dead browser is ended with the run's other processes
            pass


def read_page(driver) -> Page:
    found = driver.execute_script(f"const FAILURES = {json.dumps(BAR_FAILURES)};\n{PAGE_JS}")
    return Page.from_js(found) if found.get("open") else Page(dialogs=found.get("dialogs", []))


def open_notebook(driver, lab: Lab, name: str, cells: int, kernel_name: str, timeout: float = 120) -> Page:
    """The notebook with all its code cells drawn (JupyterLab draws long notebooks in chunks), its kernel
    started and idle. A notebook shows "No Kernel", idle, until its session exists, and Run All would then
    ask which kernel to start: so wait for the kernel's name too."""
    driver.get(f"{lab.url}/lab/tree/{name}?token={lab.token}")

    def ready(page: Page) -> bool:
        return page.status == "idle" and page.kernel == kernel_name and len(page.prompts) == cells

    return wait_for(driver, ready, timeout, f"the notebook to open with kernel {kernel_name!r}, idle")


def run_all_cells(driver) -> None:
    """Run > Run All Cells, clicked as a learner would."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def menu_entry(selector: str, label: str):
        def find(_):
            for element in driver.find_elements(By.CSS_SELECTOR, selector):
                if element.text.strip() == label and element.is_displayed():
                    return element
            return None

        return WebDriverWait(driver, 20).until(find, f"no menu entry {label!r}")

    menu_entry(".lm-MenuBar-item", "Run").click()
    menu_entry(".lm-Menu-item .lm-Menu-itemLabel", "Run All Cells").click()


def wait_for(driver, done, timeout: float, what: str) -> Page:
    """Poll the page until done(page); on timeout, fail saying what the page showed."""
    deadline = time.monotonic() + timeout
    page = read_page(driver)
    while time.monotonic() < deadline:
        page = read_page(driver)
        if done(page) or page.dialogs:
            return page
        time.sleep(0.5)
    raise TimeoutError(f"waited {timeout:.0f} s for {what}; the page showed: {describe(page)}")


def wait_until_run(driver, cells: int, timeout: float) -> Page:
    """Until the kernel is idle and no cell waits or runs, twice in a row (Run All queues cells in bursts)."""
    stable = []

    def finished(page: Page) -> bool:
        started = any(p.strip("[]: ") for p in page.prompts)  # a cell queued, running or run
        stable.append(started and not page.running() and len(page.prompts) == cells)
        return stable[-2:] == [True, True]

    return wait_for(driver, finished, timeout, "Run All Cells to finish")


def describe(page: Page) -> str:
    """One line of what the page showed, for failure messages."""
    ran = len(page.prompts) - len(page.not_run())
    parts = [f"{ran} of {len(page.prompts)} code cells run", f"kernel {page.kernel!r} {page.status or '?'}"]
    parts += [f"{page.figures} figure(s)", f"{page.bars} progress bar(s) shown, {page.bars_seen} drawn"]
    if page.errors:
        parts.append(f"{len(page.errors)} error output(s)")
    if page.dialogs:
        parts.append(f"dialog: {page.dialogs[0][:200]!r}")
    return ", ".join(parts)


def problems(page: Page, cells: int, kernel_name: str, interpreters: list[str]) -> list[str]:
    """Everything a learner would see go wrong, each said with what the page showed."""
    found = []
    if len(page.prompts) != cells:
        found.append(f"the page shows {len(page.prompts)} code cells; the notebook has {cells}")
    if page.dialogs:
        found.append(f"a dialog is open: {page.dialogs[0][:300]!r}")
    if page.errors:
        found.append(f"{len(page.errors)} error output(s), the first ending {_last_lines(page.errors[0])!r}")
    if page.not_run():
        found.append(f"code cell(s) {_ranges(page.not_run())} of {len(page.prompts)} did not run")
    if page.kernel != kernel_name:
        found.append(f"the notebook shows kernel {page.kernel!r}, not this environment's {kernel_name!r}")
    python = str(Path(sys.executable).parent)
    if not interpreters or any(str(Path(p).parent) != python for p in interpreters):
        found.append(f"the kernel runs {interpreters or 'no interpreter found'}, not the Python in {python}")
    if page.figures == 0:
        found.append("no figure is drawn (no rendered image in any output)")
    if page.widget_failures:
        shown = page.widget_failures[0][:300]
        found.append(f"a progress bar is not drawn as a widget; the output shows {shown!r}")
    if page.bars_seen == 0:
        shown = f"; progress outputs: {page.bar_texts[:2]}" if page.bar_texts else ""
        found.append(f"no progress bar was drawn as a widget during the run{shown}")
    return found


def _last_lines(text: str, count: int = 3) -> str:
    return " | ".join(line for line in text.strip().splitlines()[-count:] if line.strip())


def _ranges(numbers: list[int]) -> str:
    """[2, 3, 4, 7] -> "2-4, 7"."""
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return ", ".join(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]) for run in runs)


def screenshot(driver, path: Path) -> Path:
    """The page with the first progress bar (or else the first figure, or error) scrolled to the top."""
    driver.execute_script(SCROLL_JS)
    time.sleep(0.5)
    path.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(path))
    return path


# ----------------------------------------------------------------------------------------------- the check
@dataclass
class Result:
    notebook: str
    seconds: float
    page: Page
    problems: list[str]
    screenshot: Path | None


def check_notebook(
    driver, notebook: Path, folder: Path, demo: Path | None, quick: bool, timeout: float, shots: Path
) -> Result:
    """One lesson, as a learner's first Run All in a fresh JupyterLab."""
    start = time.monotonic()
    lab = start_lab(notebook, folder, demo, quick)
    page, found, shot = Page(), [], None
    content = nbformat.read(notebook, as_version=4)
    cells = sum(cell.cell_type == "code" for cell in content.cells)
    try:
        kernel_name = kernel_display_name(lab, content.metadata.get("kernelspec", {}).get("name", "python3"))
        page = open_notebook(driver, lab, notebook.name, cells, kernel_name)
        if not page.dialogs:
            run_all_cells(driver)
            page = wait_until_run(driver, cells, timeout)
        found = problems(page, cells, kernel_name, kernel_interpreters(folder))
    except Exception as exc:  # noqa: BLE001 - reported as this lesson's failure, with what the page showed
        found = [f"{type(exc).__name__}: {exc}"]
    finally:
        try:
            shot = screenshot(driver, shots / f"{notebook.stem}.png")
        except Exception:  # noqa: BLE001 - no screenshot is no reason to leave processes behind
            shot = None
        try:
            driver.get("about:blank")
        finally:
            stop_lab(lab)
    return Result(notebook.name, time.monotonic() - start, page, found, shot)


def _stop_on_signals() -> None:
    """SIGTERM and SIGHUP (CI timeouts, a closed terminal) unwind like Ctrl-C, so the cleanup runs."""

    def interrupt(signum: int, _frame) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupt)


def run(notebooks: list[tuple[Path, bool]], timeout: float, shots: Path, keep: bool = False) -> int:
    """Every notebook in turn; a report line each; 1 if any failed. All processes end, whatever happens."""
    _stop_on_signals()
    folder = Path(tempfile.mkdtemp(prefix="course-browser-"))
    results = []
    try:
        demo = demo_data_dir(folder)
        with chromium(folder) as driver:
            for notebook, quick in notebooks:
                mode = "quick mode" if quick else "full run"
                print(f"{notebook.name} ({mode}, demo data) in JupyterLab + Chromium ...", flush=True)
                result = check_notebook(driver, notebook, folder / notebook.stem, demo, quick, timeout, shots)
                results.append(result)
                print(f"  {describe(result.page)}; {result.seconds:.0f} s")
                for problem in result.problems:
                    print(f"  FAILED: {problem}")
                if result.screenshot:
                    print(f"  screenshot: {_shown(result.screenshot)}")
    finally:
        leftovers = end_processes(folder)
        if leftovers:
            print(f"ended {len(leftovers)} leftover process(es) of this run: {leftovers}")
        if keep:
            print(f"kept {folder} (logs, executed copies, work folders)")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    failed = [r.notebook for r in results if r.problems]
    if failed:
        print(f"What JupyterLab showed was wrong in: {', '.join(failed)}")
    return 1 if failed or len(results) < len(notebooks) else 0


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="run in quick mode (MASK_QUICK=1)")
    parser.add_argument("--full", action="append", type=Path, default=[], help="a notebook run in full")
    parser.add_argument("--timeout", type=float, default=600, help="seconds Run All may take per notebook")
    parser.add_argument("--shots", type=Path, default=SHOTS, help="folder for the screenshots")
    parser.add_argument("--keep", action="store_true", help="keep the run's folder (JupyterLab logs)")
    args = parser.parse_args(argv)
    notebooks = [(path, False) for path in args.full] + [(path, True) for path in args.notebooks]
    if not notebooks:
        parser.error("give at least one notebook")
    for path, _ in notebooks:
        if not path.is_file():
            parser.error(f"{path}: no such notebook")
    start = time.monotonic()
    try:
        notebooks = [(path.resolve(), quick) for path, quick in notebooks]
        status = run(notebooks, args.timeout, args.shots.resolve(), args.keep)
    except KeyboardInterrupt:
        print("interrupted: JupyterLab, its kernels and the browser were stopped")
        return 130
    print(f"browser check took {time.monotonic() - start:.0f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
