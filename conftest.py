"""Root pytest setup for `pytest --nbval-lax notebooks tests`.

nbval starts kernels in notebooks/, so relative data/work paths are made absolute first, by the same function
`make run` uses. tests/test_lesson_results.py checks what the notebooks recorded in this session, so it runs
last, and only when the notebooks ran in the same session (or, when they ran outside pytest, as with
`python -m helpers.notebooks run`, when MASK_NOTEBOOKS_IN_SESSION=1 and MASK_SESSION_START, the time they
started, are set).
"""

import os
import time

import pytest

from helpers.notebooks import absolute_env_paths


def pytest_configure() -> None:
    absolute_env_paths()
    os.environ.setdefault("MASK_SESSION_START", str(time.time()))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if any(item.nodeid.startswith("notebooks/") for item in items):
        os.environ["MASK_NOTEBOOKS_IN_SESSION"] = "1"
    items.sort(
        key=lambda item: "test_lesson_results" in item.nodeid
    )  # stable: everything else keeps its order
