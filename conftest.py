"""Root pytest setup: nbval starts kernels in notebooks/, so relative data/work paths are made absolute first,
by the same function `make run` uses."""

from helpers.notebooks import absolute_env_paths


def pytest_configure() -> None:
    absolute_env_paths()
