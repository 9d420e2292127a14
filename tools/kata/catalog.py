"""Katas discovered from their folders: ``katas/<id>/kata.toml`` names one, the paths tell
the roles.

A kata ``<id>`` is made of (only the first three are required):

- ``katas/<id>/``: ``kata.toml`` (manifest), ``README.md`` (statement), ``solution.py`` (stub),
  ``test_solution.py`` (starter tests);
- ``solutions/<id>/solution.py`` (reference), ``NOTES.md``, ``benchmark.py``;
- ``tests/hidden/<id>/`` (hidden suite), ``tests/planted/<id>/bugs.toml`` (planted bugs),
  ``tests/alternatives/<id>/*.py`` (other correct implementations).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from kata.errors import ManifestError, UnknownKataError

ROOT = Path(__file__).resolve().parents[2]
"""The repository this package was installed from (editable install)."""

_CLAUSE_BULLET = re.compile(r"^\s*[-*]\s+\*\*(L\d+\.\d+)\*\*\s*(.*)$")


@dataclass(frozen=True)
class Kata:
    """One kata: its manifest's fields and the paths of its parts."""

    id: str
    title: str
    difficulty: str
    minutes: int
    exports: tuple[str, ...]
    levels: tuple[str, ...]
    root: Path
    clauses: dict[str, str] = field(default_factory=dict)
    cost_clauses: tuple[str, ...] = ()
    """The clauses that state a cost rule (manifest ``cost_clauses``): a check that runs out of
    time is charged to these, never to the correctness clause it was testing."""
    level_api: tuple[tuple[str, ...], ...] = ()
    """Per level, the public names it introduces (manifest ``level_api``): an interview shows
    none of them before their level is unlocked."""

    @property
    def folder(self) -> Path:
        return self.root / "katas" / self.id

    @property
    def statement(self) -> Path:
        return self.folder / "README.md"

    @property
    def stub(self) -> Path:
        return self.folder / "solution.py"

    @property
    def starter_tests(self) -> Path:
        return self.folder / "test_solution.py"

    @property
    def interview_stub(self) -> Path:
        """The level-1-only stub an interview starts from (the full stub if there is none)."""
        path = self.folder / "interview" / "solution.py"
        return path if path.is_file() else self.stub

    @property
    def interview_tests(self) -> Path:
        """The level-1-only starter tests of an interview (the full ones if there are none)."""
        path = self.folder / "interview" / "test_solution.py"
        return path if path.is_file() else self.starter_tests

    @property
    def reference(self) -> Path:
        return self.root / "solutions" / self.id / "solution.py"

    @property
    def notes(self) -> Path:
        return self.root / "solutions" / self.id / "NOTES.md"

    @property
    def benchmark(self) -> Path:
        return self.root / "solutions" / self.id / "benchmark.py"

    @property
    def hidden_suite(self) -> Path:
        return self.root / "tests" / "hidden" / self.id

    @property
    def planted_bugs(self) -> Path:
        return self.root / "tests" / "planted" / self.id / "bugs.toml"

    @property
    def alternatives(self) -> list[Path]:
        return sorted((self.root / "tests" / "alternatives" / self.id).glob("*.py"))

    def cost_clauses_up_to(self, level: int) -> list[str]:
        """The cost clauses of levels 1..`level`."""
        return [c for c in self.cost_clauses if clause_level(c) <= level]

    def level_name(self, level: int) -> str:
        """The manifest's name for `level`, or an empty string."""
        return self.levels[level - 1] if 1 <= level <= len(self.levels) else ""


def clause_level(clause: str) -> int:
    """The level of a clause id: ``L2.1`` -> 2 (1 for an id not of that form)."""
    match = re.match(r"^L(\d+)\.\d+$", clause)
    return int(match.group(1)) if match else 1


def normalise_id(kata_id: str) -> str:
    """Command-line ids accept dashes: ``recommendation-cache`` is ``recommendation_cache``."""
    return kata_id.strip().replace("-", "_")


_ID = re.compile(r"[A-Za-z0-9_]+")
"""A kata id is the name of its folder under ``katas/``: no path separators, no dots."""


def parse_clauses(statement: str) -> dict[str, str]:
    """Clause id -> text, for every bullet of the statement that starts with a bold ``**L1.2**``.

    A clause's text runs on over the indented lines that follow its bullet.
    """
    clauses: dict[str, str] = {}
    current: str | None = None
    for line in statement.splitlines():
        match = _CLAUSE_BULLET.match(line)
        if match:
            current = match.group(1)
            clauses[current] = match.group(2).strip()
        elif (
            current
            and line.startswith(("  ", "\t"))
            and line.strip()
            and not line.lstrip().startswith(("-", "*"))
        ):
            clauses[current] += " " + line.strip()
        else:
            current = None
    return clauses


def kata_ids(root: Path = ROOT) -> list[str]:
    """Ids of every folder under ``katas/`` that has a manifest, sorted."""
    return sorted(p.parent.name for p in (root / "katas").glob("*/kata.toml"))


def load_kata(kata_id: str, root: Path = ROOT) -> Kata:
    """The kata with this id (dashes accepted); raises UnknownKataError or ManifestError."""
    kid = normalise_id(kata_id)
    manifest = root / "katas" / kid / "kata.toml"
    if not _ID.fullmatch(kid) or not manifest.is_file():
        known = ", ".join(kata_ids(root)) or "none"
        raise UnknownKataError(f"no kata named {kata_id!r}; the katas are: {known}")
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
        kata = Kata(
            id=kid,
            title=str(data["title"]),
            difficulty=str(data.get("difficulty", "")),
            minutes=int(data.get("minutes", 60)),
            exports=tuple(str(name) for name in data["exports"]),
            levels=tuple(str(name) for name in data.get("levels", [])),
            root=root,
            cost_clauses=tuple(str(c) for c in data.get("cost_clauses", [])),
            level_api=tuple(tuple(str(n) for n in names) for names in data.get("level_api", [])),
        )
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as error:
        raise ManifestError(f"{manifest}: invalid manifest ({error})") from error
    statement = kata.statement.read_text(encoding="utf-8") if kata.statement.is_file() else ""
    object.__setattr__(kata, "clauses", parse_clauses(statement))
    return kata


def list_katas(root: Path = ROOT) -> list[Kata]:
    """Every kata in the repository, sorted by id."""
    return [load_kata(kid, root) for kid in kata_ids(root)]
