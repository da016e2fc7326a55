"""Collect the documentation pages' examples as doctests, but not the Sphinx config."""

collect_ignore = ["conf.py"]
