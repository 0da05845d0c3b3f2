"""Helpers for the face-mask detection course: the notebooks teach, this package does the heavy lifting."""

__version__ = "0.1.0"
