"""Helpers for the face-mask detection course: the notebooks teach, this package does the heavy lifting."""
