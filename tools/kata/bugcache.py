"""What the learner's tests did on the reference and the planted bugs, kept between grades.

Those runs depend on the test file, the kata (reference, planted bugs), the runner that runs them
(its plugin and grading code, Python and Hypothesis versions), the seed and the limits, never on
the learner's solution: `runs_key` hashes exactly these. A grade after a save of ``solution.py``
alone then finds the results under that key and runs none of them again.

Entries are JSON files in a folder the caller passes (``cache_dir``); without one nothing is kept.
Every write goes to a temporary file in that folder and is moved in place with `os.replace`, under
an exclusive `fcntl.flock` on a lock file beside it for the read-merge-write, so two grades at
once never see half a file and never lose each other's bugs. A file that cannot be read or
parsed is a miss. Nothing here decides what may be kept: the caller stores only complete runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: writes stay atomic, merges may lose a race
    fcntl = None  # type: ignore[assignment]

RUNNER_FILES = ("pytest_plugin.py", "grading.py", "sandbox.py", "usertests.py", "planted.py")
"""The runner's modules whose code can change what a run of the learner's tests finds."""
FORMAT = 1


def digest(*parts: bytes | str) -> str:
    """SHA-256 of `parts`, each length-prefixed (so no two lists of parts collide). O(size)."""
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "big") + data)
    return hasher.hexdigest()


def runner_version() -> str:
    """A hash of the runner's code and of the versions of Python, pytest and Hypothesis."""
    here = Path(__file__).parent
    parts: list[bytes | str] = [str(FORMAT), sys.version]
    for name in ("pytest", "hypothesis", "numpy"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            parts.append(f"{name}={metadata.version(name)}")
    for name in RUNNER_FILES:
        with contextlib.suppress(OSError):
            parts.append((here / name).read_bytes())
    return digest(*parts)


def runs_key(
    tests: Path, reference: Path, bugs: Path, *, seed: int, options: Mapping[str, Any]
) -> str:
    """The key of the runs of `tests` against the kata whose `reference` and planted `bugs`
    files are given, with `seed` and run `options` (profile, limits: anything that can change a
    verdict). Reads the three files. O(their size)."""
    files = [path.read_bytes() if path.is_file() else b"" for path in (tests, reference, bugs)]
    return digest(runner_version(), *files, str(seed), json.dumps(dict(options), sort_keys=True))


class RunCache:
    """Entries under `folder` (None: nothing is kept). With `fresh`, nothing is read, but what
    this grade finds is still written for the next one."""

    def __init__(self, folder: Path | None, *, fresh: bool = False) -> None:
        self.folder = folder
        self.fresh = fresh

    def _path(self, key: str) -> Path | None:
        return None if self.folder is None else self.folder / f"{key}.json"

    def load(self, key: str) -> dict[str, Any] | None:
        """The entry stored under `key`, or None (no folder, `fresh`, none kept, unreadable)."""
        path = self._path(key)
        if path is None or self.fresh:
            return None
        return _read(path)

    def hints(self, name: str) -> dict[str, Any]:
        """What the previous grade noted under `name` (read even when `fresh`: hints never
        change a verdict, only the order of work); {} if nothing."""
        path = self._path(f"hints-{digest(name)[:32]}")
        return (_read(path) or {}) if path is not None else {}

    def merge(self, key: str, entry: Mapping[str, Any]) -> None:
        """Store `entry` under `key`, its ``bugs`` mapping merged into the stored one's (the
        bugs of two grades at different levels add up). Atomic, and safe with other grades
        writing at once. Errors writing the cache are ignored: it is only a cache."""
        path = self._path(key)
        if path is None:
            return
        with contextlib.suppress(OSError), self._locked(path):
            stored = _read(path) or {}
            bugs = {**stored.get("bugs", {}), **entry.get("bugs", {})}
            _write(path, {**stored, **entry, "bugs": bugs})

    def note(self, name: str, hints: Mapping[str, Any]) -> None:
        """Replace the hints kept under `name` (see `hints`)."""
        path = self._path(f"hints-{digest(name)[:32]}")
        if path is not None:
            with contextlib.suppress(OSError), self._locked(path):
                _write(path, dict(hints))

    @contextlib.contextmanager
    def _locked(self, path: Path) -> Iterator[None]:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.with_suffix(".lock"), "a", encoding="utf-8") as lock:
            if fcntl is not None:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            yield


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


def _write(path: Path, data: Mapping[str, Any]) -> None:
    """Write `data` as JSON to a temporary file beside `path`, then move it in place."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            json.dump({**data, "format": FORMAT}, stream)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
