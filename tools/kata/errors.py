"""Typed errors of the runner. The CLI turns each into one message on stderr and exit code 2."""

from __future__ import annotations


class KataError(Exception):
    """Base of every error the runner reports to the user as a message, never as a traceback."""


class UnknownKata(KataError):
    """No kata has the requested id."""


class ManifestError(KataError):
    """A kata's folder or manifest is malformed."""


class SolutionError(KataError):
    """The file to grade is missing, unreadable or not a Python file."""


class WorkspaceExists(KataError):
    """`kata start` would overwrite a workspace that already exists."""
