"""The `kata` runner: discover katas, start a workspace, grade a solution in isolation, report."""

__version__ = "0.1.0"
