"""The history database: what a grade records, where it lives, and how it fails safely.

Every test uses a real SQLite file under tmp_path.
"""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kata import history, render
from kata.cli import main
from kata.errors import HistoryError, HistoryTooNewError
from kata.history import Attempt, GradeRecord, History, LevelScore, LevelTimes

REFERENCE = "solutions/toy/solution.py"
FAST = ["--no-quality", "--seed", "7"]


def run(root: Path, home: Path, *argv: str) -> int:
    return main(list(argv), root=root, rng=random.Random(0), home=home)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        return list(db.execute(sql))


def a_grade(kata: str = "toy", minute: int = 0, passed: int = 1) -> GradeRecord:
    return GradeRecord(
        kata=kata,
        graded_at=datetime(2030, 1, 1, tzinfo=UTC) + timedelta(minutes=minute),
        solution="work/toy/solution.py",
        solution_sha256="0" * 64,
        seed=1,
        profile="quick",
        level=None,
        levels_graded=2,
        status="fail",
        passed=passed,
        total=3,
        scores=[LevelScore(1, "correctness", passed, 2), LevelScore(2, "correctness", 0, 1)],
    )


# --- where it lives -------------------------------------------------------------------------


def test_the_history_lives_under_kata_home_else_the_user_data_folder(tmp_path: Path) -> None:
    assert history.database(history.home({"KATA_HOME": str(tmp_path)})) == (
        tmp_path / "history.sqlite3"
    )
    assert history.home({"XDG_DATA_HOME": "/data"}) == Path("/data/kata")
    assert history.home({}) == Path("~/.local/share/kata").expanduser()


def test_kata_home_from_the_environment_is_used_by_the_command(
    toy_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KATA_HOME", str(tmp_path / "elsewhere"))
    assert main(["grade", "toy", "--reference", *FAST], root=toy_root) == 0
    assert rows(tmp_path / "elsewhere" / "history.sqlite3", "SELECT count(*) FROM grades") == [(1,)]


# --- what a grade records -------------------------------------------------------------------


def test_a_grade_records_its_figures_per_level_and_kind(toy_root: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    run(toy_root, home, "start", "toy")
    work = toy_root / "work" / "toy"
    (work / "solution.py").write_text((toy_root / REFERENCE).read_text())
    (work / "test_solution.py").write_text(
        textwrap.dedent(
            """
            from solution import RunningTotal

            def test_adding_returns_the_new_total() -> None:
                assert RunningTotal().add(2) == 2

            def test_a_wrong_belief() -> None:
                assert RunningTotal().add(0) == 1
            """
        )
    )
    assert run(toy_root, home, "grade", "toy", *FAST) == 0
    (grade,) = history.load(history.database(home))[1]
    assert grade.kata == "toy" and grade.seed == 7 and grade.profile == "quick"
    assert grade.solution_sha256 == digest(work / "solution.py")
    assert (grade.level, grade.levels_graded, grade.status) == (None, 2, "pass")
    assert (grade.passed, grade.total) == (3, 3)
    assert grade.scores == [
        LevelScore(1, "correctness", 2, 2),
        LevelScore(1, history.BUGS, 1, 1),
        LevelScore(2, "correctness", 1, 1),
        LevelScore(2, history.BUGS, 0, 1),
    ]
    assert (grade.bugs_caught, grade.bugs_total) == (1, 2)
    assert grade.tests_set_aside == ["a wrong belief"]
    assert grade.ruff_findings is None and grade.mypy_findings is None, "--no-quality"
    assert grade.duration_s > 0 and grade.attempt_uid is None


def test_quality_findings_are_recorded(toy_root: Path, tmp_path: Path) -> None:
    sloppy = tmp_path / "sloppy.py"
    sloppy.write_text((toy_root / REFERENCE).read_text() + "\nimport os\n")
    assert run(toy_root, tmp_path, "grade", "toy", "--solution", str(sloppy), "--seed", "1") == 0
    (grade,) = history.load(history.database(tmp_path))[1]
    assert grade.ruff_findings is not None and grade.ruff_findings >= 1
    assert grade.mypy_findings == 0


def test_no_history_records_nothing(toy_root: Path, tmp_path: Path) -> None:
    assert run(toy_root, tmp_path, "grade", "toy", "--reference", "--no-history", *FAST) == 0
    assert not (tmp_path / "history.sqlite3").exists()


def test_the_history_command_shows_best_trend_and_grades_newest_first(
    toy_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(toy_root, tmp_path, "start", "toy")
    run(toy_root, tmp_path, "grade", "toy", *FAST)
    (toy_root / "work" / "toy" / "solution.py").write_text((toy_root / REFERENCE).read_text())
    run(toy_root, tmp_path, "grade", "toy", *FAST)
    run(toy_root, tmp_path, "grade", "toy", "--reference", *FAST)
    capsys.readouterr()
    assert run(toy_root, tmp_path, "history", "toy") == 0
    out = capsys.readouterr().out
    assert "toy — Running total" in out
    assert "best: 100% (3/3 checks of levels 1..2)" in out
    assert "reference (not your work: not ranked)" in out
    assert "score per grade            ▁█  0% 100%" in out, "one glyph per number shown"
    assert out.index("3/3 100%") < out.index("0/3 0%"), "newest first"
    assert run(toy_root, tmp_path, "history", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert [g["passed"] for g in data["grades"]] == [3, 3, 0]
    assert [g["own_work"] for g in data["grades"]] == [False, True, True]
    assert data["best"]["toy"]["own_work"] is True, "the reference is never your best"
    assert run(toy_root, tmp_path, "history", "nope") == 2


def test_an_empty_history_says_so_without_creating_a_database(
    toy_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(toy_root, tmp_path, "history") == 0
    assert "no grades recorded yet" in capsys.readouterr().out
    assert not (tmp_path / "history.sqlite3").exists()


def test_sparklines_scale_to_the_top_value() -> None:
    assert render.sparkline([0, 50, 100], 100) == "▁▅█"
    assert render.sparkline([1, None, 4]) == "▃ █"
    assert render.sparkline([0, 100], 100, unicode=False) == ".#"


# --- the database itself --------------------------------------------------------------------


def test_a_new_database_is_versioned_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    history.record(path, a_grade())
    assert rows(path, "PRAGMA user_version") == [(history.SCHEMA_VERSION,)]
    assert rows(path, "PRAGMA journal_mode") == [("wal",)]


def test_migrations_run_the_missing_steps_once_and_keep_the_data(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    first = ("CREATE TABLE notes (text TEXT)",)
    second = ("ALTER TABLE notes ADD COLUMN stars INTEGER NOT NULL DEFAULT 0",)
    with History.open(path, migrations=[first]) as db:
        assert db.version == 1
    with sqlite3.connect(path) as raw:
        raw.execute("INSERT INTO notes VALUES ('kept')")
    with History.open(path, migrations=[first, second]) as db:
        assert db.version == 2
    with History.open(path, migrations=[first, second]) as db:
        assert db.version == 2, "nothing to do the second time"
    assert rows(path, "SELECT text, stars FROM notes") == [("kept", 0)]


def test_a_failed_migration_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    first = ("CREATE TABLE notes (text TEXT)",)
    broken = ("CREATE TABLE more (x INTEGER)", "THIS IS NOT SQL")
    with History.open(path, migrations=[first]):
        pass
    with pytest.raises(HistoryError, match="left as it is"):
        History.open(path, migrations=[first, broken])
    assert rows(path, "PRAGMA user_version") == [(1,)]
    assert rows(path, "SELECT name FROM sqlite_master WHERE name = 'more'") == []


def test_attempts_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    attempt = Attempt(
        uid="a1",
        kata="toy",
        started_at=datetime(2030, 1, 1, tzinfo=UTC),
        budget_minutes=10,
        levels=[LevelTimes(1, "Adding", 0.0, 4.0), LevelTimes(2, "Resetting", 4.0, None)],
    )
    history.save_attempt(path, attempt)
    attempt.finished_at, attempt.finish_reason, attempt.minutes = (
        datetime(2030, 1, 1, 0, 12, tzinfo=UTC),
        "finished",
        12.0,
    )
    history.record(path, a_grade(), attempt)
    (loaded,), (grade,) = history.load(path)
    assert loaded == attempt
    assert grade.scores == a_grade().scores


def test_two_writers_at_once_both_get_recorded(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    writer = textwrap.dedent(
        """
        import sys
        from datetime import UTC, datetime
        from pathlib import Path
        from kata import history
        from kata.history import GradeRecord, LevelScore
        for i in range(25):
            history.record(Path(sys.argv[2]), GradeRecord(
                kata=sys.argv[1], graded_at=datetime.now(UTC), solution="s", solution_sha256="",
                seed=i, profile="quick", level=None, levels_graded=1, status="pass", passed=1,
                total=1, scores=[LevelScore(1, "correctness", 1, 1)]))
        """
    )
    writers = [
        subprocess.Popen([sys.executable, "-c", writer, name, str(path)], stderr=subprocess.PIPE)
        for name in ("a", "b")
    ]
    for process in writers:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
    assert rows(path, "SELECT kata, count(*) FROM grades GROUP BY kata") == [("a", 25), ("b", 25)]
    assert rows(path, "SELECT count(*) FROM grade_scores") == [(50,)]


# --- a history that cannot be used: one warning, the grade still runs, nothing altered -------


def _newer(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE future (x INTEGER)")
        db.execute(f"PRAGMA user_version = {history.SCHEMA_VERSION + 1}")


def _corrupt(path: Path) -> None:
    path.write_bytes(b"this is not a database, just bytes " * 200)


def _truncated(path: Path) -> None:
    history.record(path, a_grade())
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    data = path.read_bytes()
    path.write_bytes(data[:100] + b"\xff" * (len(data) - 100))


@pytest.mark.parametrize(
    ("spoil", "words"),
    [
        (_newer, "newer version of kata"),
        (_corrupt, "cannot be used as the history"),
        (_truncated, "cannot be used as the history"),
    ],
)
def test_an_unusable_database_gives_one_warning_and_is_left_untouched(
    toy_root: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    spoil: object,
    words: str,
) -> None:
    path = tmp_path / "history.sqlite3"
    assert callable(spoil)
    spoil(path)
    before = digest(path)
    assert run(toy_root, tmp_path, "grade", "toy", "--reference", *FAST) == 0
    captured = capsys.readouterr()
    assert "Level 1 2/2 · Level 2 1/1 · 100%" in captured.out
    warnings = captured.err.strip().splitlines()
    assert len(warnings) == 1 and warnings[0].startswith("kata: warning: history not recorded")
    assert words in warnings[0]
    assert digest(path) == before
    assert run(toy_root, tmp_path, "history") == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert digest(path) == before


def test_a_history_folder_that_cannot_be_made_gives_one_warning(
    toy_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    assert run(toy_root, blocker, "grade", "toy", "--reference", *FAST) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot open" in err[0]
    assert blocker.read_text() == "a file where the folder should be"


def test_a_newer_database_is_refused_by_the_library(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    _newer(path)
    with pytest.raises(HistoryTooNewError):
        History.open(path)
