"""The repository's tools, run from its root: `python -m tools.notebooks`, `python -m tools.browser`,
`python -m tools.check_results`, `python tools/check_outputs.py`. Not part of the installed package."""
