"""Root pytest setup for `pytest --nbval-lax notebooks tests`.

nbval starts kernels in notebooks/, so relative data/work paths are made absolute first, by the same function
`make run` uses. What the notebooks recorded is checked after the run by tools/check_results.py (make test).
"""

from tools.notebooks import absolute_env_paths


def pytest_configure() -> None:
    absolute_env_paths()
