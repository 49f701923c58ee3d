# cython: language_level=3
"""Placeholder: implemented in its own change."""
