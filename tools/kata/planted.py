"""Planted bugs: small, described edits of the reference, each breaking one clause of a statement.

A kata's bugs live in ``tests/planted/<id>/bugs.toml``::

    [[bug]]
    id = "empty-list-is-a-miss"
    description = "an empty recommendation list is treated as a miss"
    clause = "L1.3"
    [[bug.replace]]
    old = '''return entry.titles if entry else None'''
    new = '''return entry.titles or None'''

Every ``old`` must occur exactly once in the reference, so a bug never silently stops applying
when the reference changes. Run ``python -m kata.planted BUGS.toml REFERENCE.py OUTDIR`` to write
one file per bug.
"""

from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from kata.catalog import clause_level
from kata.errors import KataError


@dataclass(frozen=True)
class Bug:
    """One planted bug: an id, a one-line hint, the clause it breaks, and its edits."""

    id: str
    description: str
    clause: str
    edits: tuple[tuple[str, str], ...]

    @property
    def level(self) -> int:
        """The level of the clause this bug breaks."""
        return clause_level(self.clause)

    def apply(self, source: str) -> str:
        """The reference source with this bug's edits made; O(len(source) * edits)."""
        for old, new in self.edits:
            count = source.count(old)
            if count != 1:
                raise KataError(
                    f"planted bug {self.id!r}: its text to replace occurs {count} times in the "
                    "reference (it must occur exactly once)"
                )
            source = source.replace(old, new)
        return source


def load_bugs(path: Path) -> list[Bug]:
    """The bugs listed in a ``bugs.toml``; an empty list when the file does not exist."""
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return [
            Bug(
                id=str(entry["id"]),
                description=str(entry["description"]),
                clause=str(entry.get("clause", "")),
                edits=tuple((str(e["old"]), str(e["new"])) for e in entry["replace"]),
            )
            for entry in data.get("bug", [])
        ]
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as error:
        raise KataError(f"{path}: not a valid planted-bug list ({error})") from error


def main(argv: list[str]) -> int:
    """Write each bug of BUGS.toml, applied to REFERENCE.py, as OUTDIR/<bug id>.py."""
    if len(argv) != 3:
        print("usage: python -m kata.planted BUGS.toml REFERENCE.py OUTDIR", file=sys.stderr)
        return 2
    bugs_file, reference, outdir = map(Path, argv)
    source = reference.read_text(encoding="utf-8")
    outdir.mkdir(parents=True, exist_ok=True)
    try:
        for bug in load_bugs(bugs_file):
            (outdir / f"{bug.id}.py").write_text(bug.apply(source), encoding="utf-8")
            print(f"{bug.id}: {bug.description}")
    except KataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
