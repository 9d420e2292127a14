"""The learner's history: every grade and every interview attempt, in one SQLite file.

Where it lives: ``$KATA_HOME/history.sqlite3``; without ``KATA_HOME``,
``$XDG_DATA_HOME/kata/history.sqlite3``, else ``~/.local/share/kata/history.sqlite3``.

The file is an application file in SQLite's sense: ``PRAGMA user_version`` is its schema version,
brought up to date by the steps of `MIGRATIONS` (one transaction, so two processes never migrate
twice); ``journal_mode=WAL`` and a busy timeout let two grades record at once. A database written
by a newer runner is refused and never altered; one that is not a database is left as it is. Every
failure is a `HistoryError`, which the command line turns into one warning: a grade never fails
because its history could not be written.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from kata.errors import HistoryError, HistoryTooNewError
from kata.model import BUGS, Attempt, GradeRecord, LevelScore, LevelTimes, MissedBug

__all__ = ["BUGS", "Attempt", "GradeRecord", "History", "LevelScore", "LevelTimes"]

DB_NAME = "history.sqlite3"
BUSY_TIMEOUT_S = 30.0

Migration = Sequence[str]
"""One schema step: SQL statements run in order, in one transaction with the version bump."""

MIGRATIONS: tuple[Migration, ...] = (
    (
        """CREATE TABLE attempts (
            uid TEXT PRIMARY KEY,
            kata TEXT NOT NULL,
            started_at TEXT NOT NULL,
            budget_minutes INTEGER NOT NULL,
            levels_total INTEGER NOT NULL,
            finished_at TEXT,
            finish_reason TEXT NOT NULL DEFAULT '',
            minutes REAL
        )""",
        """CREATE TABLE attempt_levels (
            attempt_uid TEXT NOT NULL,
            level INTEGER NOT NULL,
            name TEXT NOT NULL,
            unlocked_minute REAL,
            passed_minute REAL,
            PRIMARY KEY (attempt_uid, level)
        )""",
        """CREATE TABLE grades (
            id INTEGER PRIMARY KEY,
            kata TEXT NOT NULL,
            graded_at TEXT NOT NULL,
            solution TEXT NOT NULL,
            solution_sha256 TEXT NOT NULL,
            seed INTEGER NOT NULL,
            profile TEXT NOT NULL,
            level INTEGER,
            levels_graded INTEGER NOT NULL,
            status TEXT NOT NULL,
            passed INTEGER NOT NULL,
            total INTEGER NOT NULL,
            bugs_caught INTEGER,
            bugs_total INTEGER,
            tests_set_aside TEXT NOT NULL DEFAULT '[]',
            ruff_findings INTEGER,
            mypy_findings INTEGER,
            duration_s REAL NOT NULL,
            elapsed_minutes REAL,
            attempt_uid TEXT,
            error TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE INDEX grades_by_kata ON grades (kata, graded_at)",
        "CREATE INDEX grades_by_attempt ON grades (attempt_uid)",
        """CREATE TABLE grade_scores (
            grade_id INTEGER NOT NULL,
            level INTEGER NOT NULL,
            kind TEXT NOT NULL,
            passed INTEGER NOT NULL,
            total INTEGER NOT NULL,
            PRIMARY KEY (grade_id, level, kind)
        )""",
    ),
    (
        "ALTER TABLE grades ADD COLUMN own_work INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE grades ADD COLUMN hints INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE grades ADD COLUMN missed TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE attempt_levels ADD COLUMN hints INTEGER NOT NULL DEFAULT 0",
        "UPDATE grades SET own_work = 0 WHERE solution NOT LIKE 'work/%'",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


def home(env: Mapping[str, str] | None = None) -> Path:
    """The runner's data folder: ``KATA_HOME``, else ``$XDG_DATA_HOME/kata``, else
    ``~/.local/share/kata``."""
    env = os.environ if env is None else env
    if env.get("KATA_HOME"):
        return Path(env["KATA_HOME"]).expanduser()
    data = env.get("XDG_DATA_HOME") or str(Path("~/.local/share").expanduser())
    return Path(data) / "kata"


def database(folder: Path | None = None) -> Path:
    """The history file inside `folder` (default: `home()`)."""
    return (folder if folder is not None else home()) / DB_NAME


def _one_line(error: BaseException) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


class History:
    """An open history database. Use `History.open`; every method raises `HistoryError`.

    Rows that cannot be read back (a bad date, bad JSON, a wrong type) are skipped, and
    `warnings` says which."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path
        self.warnings: list[str] = []

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        create: bool = True,
        migrations: Sequence[Migration] = MIGRATIONS,
        timeout: float = BUSY_TIMEOUT_S,
    ) -> History:
        """Open (and, with `create`, create) the history at `path`, migrated to the latest schema.

        Refuses, unaltered, a database whose version is newer than `migrations` know
        (`HistoryTooNewError`), a file that is not a SQLite database or is another program's
        database,
        and a file or folder it could not write to (`HistoryError`): all before anything is
        written, so no side file (``-wal``, ``-shm``) is made.
        """
        _refuse_unwritable(path, create)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(path, timeout=timeout, isolation_level=None)
        except (OSError, sqlite3.Error) as error:
            raise HistoryError(f"cannot open {path}: {_one_line(error)}") from error
        try:
            version = cls._version(connection)
            if version > len(migrations):
                raise HistoryTooNewError(
                    f"{path} was written by a newer version of kata (schema {version}, this one "
                    f"knows {len(migrations)}); it was left untouched"
                )
            if (
                version == 0
                and connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            ):
                raise HistoryError(
                    f"{path} is a database of another program (it has tables but no kata schema); "
                    "it was left as it is: move it away, or set KATA_HOME to another folder"
                )
            connection.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            _use_wal(connection, timeout)
            if version < len(migrations):
                cls._migrate(connection, migrations)
        except sqlite3.Error as error:
            connection.close()
            raise HistoryError(
                f"{path} cannot be used as the history ({_one_line(error)}); it was left as it "
                "is: move it away to start a new history"
            ) from error
        except HistoryError:
            connection.close()
            raise
        return cls(connection, path)

    @staticmethod
    def _version(connection: sqlite3.Connection) -> int:
        row = connection.execute("PRAGMA user_version").fetchone()
        return int(row[0])

    @classmethod
    def _migrate(cls, connection: sqlite3.Connection, migrations: Sequence[Migration]) -> None:
        """Run the missing steps in one write transaction; a concurrent migrator waits, then
        finds nothing left to do."""
        connection.execute("BEGIN IMMEDIATE")
        try:
            version = cls._version(connection)
            if version > len(migrations):
                raise HistoryTooNewError(f"schema {version} is newer than this kata knows")
            for step in migrations[version:]:
                for statement in step:
                    connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {len(migrations)}")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    @property
    def version(self) -> int:
        return self._version(self._db)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def _write(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[int]:
        """Run `statements` in one write transaction; the rowid each one inserted."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            ids = []
            try:
                for sql, params in statements:
                    ids.append(self._db.execute(sql, params).lastrowid or 0)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        except (sqlite3.Error, OverflowError) as error:
            raise HistoryError(f"cannot write {self.path}: {_one_line(error)}") from error
        return ids

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        try:
            self._db.row_factory = sqlite3.Row
            return list(self._db.execute(sql, params))
        except sqlite3.Error as error:
            raise HistoryError(f"cannot read {self.path}: {_one_line(error)}") from error

    def record_grade(self, record: GradeRecord, attempt: Attempt | None = None) -> int:
        """Store `record` (and the state of its `attempt`) in one transaction; its id."""
        statements = self._attempt_statements(attempt) if attempt else []
        at = len(statements)
        columns = (
            "kata, graded_at, solution, solution_sha256, seed, profile, level, levels_graded, "
            "status, passed, total, bugs_caught, bugs_total, tests_set_aside, ruff_findings, "
            "mypy_findings, duration_s, elapsed_minutes, attempt_uid, error, own_work, hints, "
            "missed"
        )
        values = (
            record.kata,
            record.graded_at.isoformat(),
            record.solution,
            record.solution_sha256,
            record.seed,
            record.profile,
            record.level,
            record.levels_graded,
            record.status,
            record.passed,
            record.total,
            record.bugs_caught,
            record.bugs_total,
            json.dumps(record.tests_set_aside),
            record.ruff_findings,
            record.mypy_findings,
            record.duration_s,
            record.elapsed_minutes,
            record.attempt_uid,
            record.error,
            int(record.own_work),
            record.hints,
            json.dumps([m.__dict__ for m in record.missed]),
        )
        marks = ",".join("?" * len(values))
        statements.append((f"INSERT INTO grades ({columns}) VALUES ({marks})", values))
        for score in record.scores:
            statements.append(
                (
                    """INSERT INTO grade_scores (grade_id, level, kind, passed, total)
                    VALUES ((SELECT max(id) FROM grades), ?, ?, ?, ?)""",
                    (score.level, score.kind, score.passed, score.total),
                )
            )
        record.id = self._write(statements)[at]
        return record.id

    def save_attempt(self, attempt: Attempt) -> None:
        """Insert or update `attempt` and its levels' times."""
        self._write(self._attempt_statements(attempt))

    @staticmethod
    def _attempt_statements(attempt: Attempt) -> list[tuple[str, Sequence[Any]]]:
        statements: list[tuple[str, Sequence[Any]]] = [
            (
                """INSERT INTO attempts (uid, kata, started_at, budget_minutes, levels_total,
                finished_at, finish_reason, minutes) VALUES (?,?,?,?,?,?,?,?)
                ON CONFLICT (uid) DO UPDATE SET finished_at = excluded.finished_at,
                finish_reason = excluded.finish_reason, minutes = excluded.minutes""",
                (
                    attempt.uid,
                    attempt.kata,
                    attempt.started_at.isoformat(),
                    attempt.budget_minutes,
                    len(attempt.levels),
                    attempt.finished_at.isoformat() if attempt.finished_at else None,
                    attempt.finish_reason,
                    attempt.minutes,
                ),
            )
        ]
        for times in attempt.levels:
            statements.append(
                (
                    """INSERT OR REPLACE INTO attempt_levels (attempt_uid, level, name,
                    unlocked_minute, passed_minute, hints) VALUES (?,?,?,?,?,?)""",
                    (
                        attempt.uid,
                        times.level,
                        times.name,
                        times.unlocked_minute,
                        times.passed_minute,
                        times.hints,
                    ),
                )
            )
        return statements

    def _rows(
        self, rows: Sequence[sqlite3.Row], what: str, read: Callable[[sqlite3.Row], Any]
    ) -> list[Any]:
        """`read` applied to each row; a row it cannot read is skipped with a warning."""
        out = []
        for row in rows:
            try:
                out.append(read(row))
            except (ValueError, TypeError, KeyError, IndexError) as error:
                self.warnings.append(
                    f"skipped {what} {row[0]!r} of {self.path}: {_one_line(error)}"
                )
        return out

    def grades(self, kata: str | None = None) -> list[GradeRecord]:
        """Recorded grades (of `kata`, or all), newest first."""
        where, params = ("WHERE kata = ?", (kata,)) if kata else ("", ())
        rows = self._read(f"SELECT * FROM grades {where} ORDER BY graded_at DESC, id DESC", params)
        scores: dict[int, list[LevelScore]] = {}
        for row in self._read("SELECT * FROM grade_scores ORDER BY grade_id, level, kind"):
            scores.setdefault(row["grade_id"], []).append(
                LevelScore(row["level"], row["kind"], row["passed"], row["total"])
            )
        return self._rows(rows, "grade", lambda row: _grade(row, scores.get(row["id"], [])))

    def attempts(self, kata: str | None = None) -> list[Attempt]:
        """Recorded interview attempts (at `kata`, or all), newest first."""
        where, params = ("WHERE kata = ?", (kata,)) if kata else ("", ())
        rows = self._read(f"SELECT * FROM attempts {where} ORDER BY started_at DESC", params)
        levels: dict[str, list[LevelTimes]] = {}
        for row in self._read("SELECT * FROM attempt_levels ORDER BY attempt_uid, level"):
            levels.setdefault(row["attempt_uid"], []).append(
                LevelTimes(
                    row["level"],
                    row["name"],
                    row["unlocked_minute"],
                    row["passed_minute"],
                    row["hints"],
                )
            )
        return self._rows(rows, "attempt", lambda row: _attempt(row, levels.get(row["uid"], [])))


def _use_wal(connection: sqlite3.Connection, timeout: float) -> None:
    """Switch to WAL mode, waiting while another process holds the lock (changing the journal
    mode does not wait by itself)."""
    deadline = time.monotonic() + timeout
    while connection.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        try:
            connection.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _refuse_unwritable(path: Path, create: bool) -> None:
    if path.exists() and not path.is_file():
        raise HistoryError(f"{path} is not a file")
    if not create and not path.exists():
        raise HistoryError(f"no history yet at {path}")
    if path.exists():
        for side in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if not os.access(side, os.R_OK | os.W_OK) and side.exists():
                raise HistoryError(
                    f"{side} is not readable and writable by you, so the history cannot be "
                    "used; it was left as it is (make it writable again, e.g. chmod u+rw)"
                )
    folder = path.parent
    if folder.exists() and not folder.is_dir():
        raise HistoryError(f"cannot open {path}: {folder} is not a folder")
    if folder.exists() and not os.access(folder, os.W_OK | os.X_OK):
        raise HistoryError(f"cannot open {path}: the folder {folder} is not writable by you")


def _time(value: object) -> datetime:
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError(f"a time without a time zone: {value!r}")
    return moment


def _grade(row: sqlite3.Row, scores: list[LevelScore]) -> GradeRecord:
    return GradeRecord(
        kata=row["kata"],
        graded_at=_time(row["graded_at"]),
        solution=row["solution"],
        solution_sha256=row["solution_sha256"],
        seed=row["seed"],
        profile=row["profile"],
        level=row["level"],
        levels_graded=row["levels_graded"],
        status=row["status"],
        passed=int(row["passed"]),
        total=int(row["total"]),
        scores=scores,
        bugs_caught=row["bugs_caught"],
        bugs_total=row["bugs_total"],
        tests_set_aside=[str(name) for name in json.loads(row["tests_set_aside"] or "[]")],
        ruff_findings=row["ruff_findings"],
        mypy_findings=row["mypy_findings"],
        duration_s=float(row["duration_s"]),
        elapsed_minutes=row["elapsed_minutes"],
        attempt_uid=row["attempt_uid"],
        error=row["error"],
        id=row["id"],
        own_work=bool(row["own_work"]),
        missed=[MissedBug.from_json(m) for m in json.loads(row["missed"] or "[]")],
        hints=int(row["hints"]),
    )


def _attempt(row: sqlite3.Row, levels: list[LevelTimes]) -> Attempt:
    return Attempt(
        uid=row["uid"],
        kata=row["kata"],
        started_at=_time(row["started_at"]),
        budget_minutes=int(row["budget_minutes"]),
        levels=levels,
        finished_at=_time(row["finished_at"]) if row["finished_at"] else None,
        finish_reason=row["finish_reason"],
        minutes=row["minutes"],
    )


def record(path: Path, grade: GradeRecord, attempt: Attempt | None = None) -> int:
    """Open the history at `path`, store one grade (and its attempt's state), close it."""
    with History.open(path) as history:
        return history.record_grade(grade, attempt)


def save_attempt(path: Path, attempt: Attempt) -> None:
    """Open the history at `path`, store the state of one interview attempt, close it."""
    with History.open(path) as history:
        history.save_attempt(attempt)


def load(
    path: Path, kata: str | None = None, warnings: list[str] | None = None
) -> tuple[list[Attempt], list[GradeRecord]]:
    """The recorded attempts and grades (of `kata`, or all), newest first; empty lists when no
    history has been recorded yet. Rows that cannot be read are skipped and told in `warnings`.
    Raises HistoryError for a history that cannot be read."""
    if not path.exists():
        return [], []
    with History.open(path, create=False) as history:
        found = history.attempts(kata), history.grades(kata)
        if warnings is not None:
            warnings.extend(history.warnings)
        return found
