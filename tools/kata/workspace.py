"""The learner's workspace: ``work/<id>/`` (git-ignored) with copies of the stub and starter tests."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from kata.catalog import Kata
from kata.errors import NoWorkspace, WorkspaceExists

Now = Callable[[], datetime]
START_FILE = ".kata-start.json"


def workspace(kata: Kata) -> Path:
    """Where `kata start` puts the learner's copy of a kata."""
    return kata.root / "work" / kata.id


def utc_now() -> datetime:
    """The wall clock, in UTC: the default `Now`."""
    return datetime.now(UTC)


def start(
    kata: Kata,
    *,
    force: bool = False,
    timed: bool = False,
    now: Now = utc_now,
    readme: str | None = None,
) -> tuple[Path, Path | None]:
    """Copy the stub, starter tests and statement into a new workspace; never overwrite one.

    With `force`, an existing workspace is first moved to ``work/<id>.backup-<timestamp>``.
    With `timed`, the start time is recorded for `grade` to show elapsed time.
    With `readme`, the workspace's README.md holds that text instead of the whole statement.
    Returns (workspace, backup or None).
    """
    target = workspace(kata)
    backup = None
    if target.exists():
        if not force:
            raise WorkspaceExists(
                f"{target} already exists; your work there is kept. Grade it with "
                f"`kata grade {kata.id}`, or start afresh with `kata start {kata.id} --force` "
                "(the old folder is moved to a backup, not deleted)"
            )
        backup = target.with_name(f"{kata.id}.backup-{now():%Y%m%d-%H%M%S}")
        target.rename(backup)
    target.mkdir(parents=True)
    for source in (kata.stub, kata.starter_tests, kata.statement):
        if source.is_file():
            shutil.copyfile(source, target / source.name)
    if readme is not None:
        (target / kata.statement.name).write_text(readme, encoding="utf-8")
    if timed:
        (target / START_FILE).write_text(
            json.dumps({"started": now().isoformat()}), encoding="utf-8"
        )
    return target, backup


def elapsed_minutes(kata: Kata, now: Now = utc_now) -> float | None:
    """Minutes since a timed `kata start`, or None if the workspace was not started timed."""
    marker = workspace(kata) / START_FILE
    try:
        started = datetime.fromisoformat(json.loads(marker.read_text(encoding="utf-8"))["started"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return (now() - started).total_seconds() / 60


def existing(kata: Kata) -> Path:
    """The workspace of `kata`; raises NoWorkspace when there is none."""
    target = workspace(kata)
    if not target.is_dir():
        raise NoWorkspace(
            f"no workspace for {kata.id}: {target} does not exist. Start one with "
            f"`kata start {kata.id} --interview` (or without --interview)"
        )
    return target
