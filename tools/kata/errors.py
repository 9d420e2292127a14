"""Typed errors of the runner. The CLI turns each into one message on stderr and exit code 2."""

from __future__ import annotations


class KataError(Exception):
    """Base of every error the runner reports to the user as a message, never as a traceback."""


class UnknownKataError(KataError):
    """No kata has the requested id."""


class ManifestError(KataError):
    """A kata's folder or manifest is malformed."""


class SolutionError(KataError):
    """The file to grade is missing, unreadable or not a Python file."""


class WorkspaceExistsError(KataError):
    """`kata start` would overwrite a workspace that already exists."""


class NoWorkspaceError(KataError):
    """A command needs the learner's workspace ``work/<id>/`` and there is none."""


class InterviewError(KataError):
    """An interview command cannot run: not an interview, already finished, no levels to give."""


class ClockWentBackwardsError(InterviewError):
    """The clock reads earlier than a time this interview already recorded."""


class HistoryError(KataError):
    """The history database cannot be opened, read or written (missing, corrupt, locked)."""


class HistoryTooNewError(HistoryError):
    """The history database was written by a newer version of the runner; it is left untouched."""


class WorkspaceStateError(KataError):
    """The workspace's state file cannot be read, is not what the runner wrote, or cannot be
    saved; nothing was changed."""


class UsageError(KataError):
    """An option's value is out of range (the message names the option)."""
