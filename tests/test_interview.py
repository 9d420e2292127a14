"""Interview mode, scripted on the fixture repository's `toy` kata with an injected clock.

Each test drives `main([...])` as the learner would type it; the history goes to a database under
tmp_path, and the clock only moves when the test moves it.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kata.cli import main
from kata.errors import InterviewError
from kata.interview import split_statement

REFERENCE = "solutions/toy/solution.py"
FAST = ["--no-quality", "--seed", "7"]
LEVEL_2_HEADING = "## Level 2 — Resetting"


class Clock:
    """A wall clock that moves only when told."""

    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def at(self, minutes: float) -> Clock:
        """Set the clock to `minutes` after 09:00."""
        self.now = datetime(2030, 1, 1, 9, 0, tzinfo=UTC) + timedelta(minutes=minutes)
        return self


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "kata-home"


def run(root: Path, clock: Clock, home: Path, *argv: str) -> int:
    return main(list(argv), root=root, rng=random.Random(0), now=clock, home=home)


def work(root: Path) -> Path:
    return root / "work" / "toy"


def level_1_only(root: Path) -> str:
    """The reference with `reset` cut off: passes level 1, fails level 2."""
    source = (root / REFERENCE).read_text()
    return source[: source.index("    def reset")]


def digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()
    }


def db_rows(home: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(home / "history.sqlite3") as db:
        return list(db.execute(sql))


# --- the scripted interviews ----------------------------------------------------------------


def test_a_scripted_interview_unlocks_each_level_in_turn_and_ends_with_a_scorecard(
    toy_root: Path, clock: Clock, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(toy_root, clock.at(0), home, "start", "toy", "--interview") == 0
    out = capsys.readouterr().out
    assert "clock started: 10 min budget" in out and "level 1 of 2" in out
    readme = work(toy_root) / "README.md"
    first = readme.read_text()
    assert "## Level 1 — Adding" in first and "**L1.2**" in first
    assert "Level 2" not in first and "L2.1" not in first, "level 2 is not shown yet"

    assert run(toy_root, clock.at(2), home, "grade", "toy", *FAST) == 1
    out = capsys.readouterr().out
    assert "Level 1 0/2" in out and "Level 2" not in out, "only the unlocked level is graded"
    assert "0 of 2 correctness checks of levels 1..1 pass" in out
    assert readme.read_text() == first

    (work(toy_root) / "solution.py").write_text(level_1_only(toy_root))
    assert run(toy_root, clock.at(4), home, "grade", "toy", *FAST) == 0
    out = capsys.readouterr().out
    assert "level 1 passed at minute 4.0. Level 2 — Resetting unlocked" in out
    assert readme.read_text().startswith(first), "what was there is kept as it was"
    assert readme.read_text().rstrip().endswith("returns the total it had.")
    assert LEVEL_2_HEADING in readme.read_text()

    assert run(toy_root, clock.at(5.5), home, "status", "toy") == 0
    status = capsys.readouterr().out
    assert "minute 5.5 of 10" in status and "4.5 min left" in status
    assert "level 1 — Adding: unlocked at minute 0.0, passed at minute 4.0 (4.0 min)" in status
    assert "level 2 — Resetting: unlocked at minute 4.0, not passed yet" in status
    assert "last grade at minute 4.0: Level 1 2/2 · 100%" in status
    assert "your tests caught 1 of 1 planted bugs" in status

    assert run(toy_root, clock.at(6), home, "grade", "toy", *FAST) == 1
    assert "2 of 3 correctness checks of levels 1..2 pass: passing them all ends it" in (
        capsys.readouterr().out
    )
    (work(toy_root) / "solution.py").write_text((toy_root / REFERENCE).read_text())
    assert run(toy_root, clock.at(7), home, "grade", "toy", *FAST) == 0
    out = capsys.readouterr().out
    assert "level 2, the last, passed at minute 7.0: the interview is over" in out
    card = out[out.index("Scorecard") :]
    assert "2 of 2 levels passed · every level passed" in card
    assert "1 Adding" in card and "2 Resetting" in card
    row_1 = next(line for line in card.splitlines() if "1 Adding" in line).split()
    row_2 = next(line for line in card.splitlines() if "2 Resetting" in line).split()
    assert row_1[2:] == ["0.0", "4.0", "4.0", "2/2", "1/1", "0"]
    assert row_2[2:] == ["4.0", "7.0", "3.0", "1/1", "0/1", "0"]
    assert "time: 7.0 min, within your 10 min budget" in card
    assert "ruff and mypy not run" in card
    assert "earlier attempts: none" in card
    assert readme.read_text().count(LEVEL_2_HEADING) == 1

    # the history holds the attempt, its level times and every grade
    attempts = db_rows(home, "SELECT kata, finish_reason, minutes, levels_total FROM attempts")
    assert attempts == [("toy", "passed", 7.0, 2)]
    levels = db_rows(
        home, "SELECT level, unlocked_minute, passed_minute FROM attempt_levels ORDER BY level"
    )
    assert levels == [(1, 0.0, 4.0), (2, 4.0, 7.0)]
    grades = db_rows(
        home,
        "SELECT level, passed, total, bugs_caught, bugs_total, attempt_uid IS NOT NULL, seed"
        " FROM grades ORDER BY id",
    )
    assert grades == [
        (1, 0, 2, 1, 1, 1, 7),
        (1, 2, 2, 1, 1, 1, 7),
        (2, 2, 3, 1, 2, 1, 7),
        (2, 3, 3, 1, 2, 1, 7),
    ]
    assert run(toy_root, clock.at(8), home, "history", "toy") == 0
    history = capsys.readouterr().out
    assert "#1 2030-01-01 09:00  passed    2/2 levels  7.0 min" in history
    assert "level 1 at 4.0 · level 2 at 7.0" in history
    assert "best: 100% (3/3 checks of levels 1..2)" in history


def test_an_abandoned_attempt_ends_with_finish_and_shows_the_overrun(
    toy_root: Path, clock: Clock, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(toy_root, clock.at(0), home, "start", "toy", "--interview")
    (work(toy_root) / "solution.py").write_text(level_1_only(toy_root))
    assert run(toy_root, clock.at(3), home, "grade", "toy", *FAST) == 0
    assert run(toy_root, clock.at(11), home, "grade", "toy", *FAST) == 1, "level 2 fails"
    capsys.readouterr()
    assert run(toy_root, clock.at(14), home, "status") == 0, "the only interview needs no id"
    assert "4.0 min over your 10 min budget" in capsys.readouterr().out
    assert run(toy_root, clock.at(14), home, "finish", "toy") == 0
    card = capsys.readouterr().out
    assert "1 of 2 levels passed · ended with `kata finish`" in card
    row_2 = next(line for line in card.splitlines() if "2 Resetting" in line).split()
    assert row_2[2:] == ["3.0", "-", "-", "0/1", "0/1", "0"]
    assert "time: 14.0 min, 4.0 min over your 10 min budget" in card

    before = digests(work(toy_root))
    for again in (["finish", "toy"], ["finish"]):
        assert run(toy_root, clock.at(15), home, *again) == 0, "an ended attempt's card again"
        assert "1 of 2 levels passed · ended with `kata finish`" in capsys.readouterr().out
    assert run(toy_root, clock.at(15), home, "status") == 0
    assert "ended (finished) at minute 14.0" in capsys.readouterr().out
    assert digests(work(toy_root)) == before
    assert db_rows(home, "SELECT finish_reason, minutes FROM attempts") == [("finished", 14.0)]

    # a grade after the end unlocks nothing and belongs to no attempt
    (work(toy_root) / "solution.py").write_text((toy_root / REFERENCE).read_text())
    assert run(toy_root, clock.at(16), home, "grade", "toy", *FAST) == 0
    assert "grades unlock nothing now" in capsys.readouterr().out
    assert LEVEL_2_HEADING in (work(toy_root) / "README.md").read_text()
    assert db_rows(home, "SELECT attempt_uid FROM grades ORDER BY id DESC LIMIT 1") == [(None,)]


def test_a_second_attempt_is_compared_with_the_first(
    toy_root: Path, clock: Clock, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for start, minutes in ((0, (6, 9)), (60, (62, 64))):
        assert run(toy_root, clock.at(start), home, "start", "toy", "--interview", "--force") == 0
        (work(toy_root) / "solution.py").write_text(level_1_only(toy_root))
        run(toy_root, clock.at(minutes[0]), home, "grade", "toy", *FAST)
        (work(toy_root) / "solution.py").write_text((toy_root / REFERENCE).read_text())
        capsys.readouterr()
        assert run(toy_root, clock.at(minutes[1]), home, "grade", "toy", *FAST) == 0
    card = capsys.readouterr().out
    assert "earlier attempts: 1; best: 2 of 2 levels in 9.0 min" in card
    assert "this one: 2 in 4.0 min: 5.0 min faster than your best" in card
    assert "level 1: 2.0 min (best earlier 6.0)" in card
    assert run(toy_root, clock.at(70), home, "history") == 0
    history = capsys.readouterr().out
    assert history.index("#2 2030-01-01 10:00") < history.index("#1 2030-01-01 09:00")
    assert "minutes per attempt" in history and "levels passed per attempt" in history


def test_starting_again_while_an_interview_runs_records_it_as_abandoned(
    toy_root: Path, clock: Clock, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(toy_root, clock.at(0), home, "start", "toy", "--interview")
    (work(toy_root) / "solution.py").write_text("# my work\n")
    assert run(toy_root, clock.at(5), home, "start", "toy", "--interview") == 2
    assert "already exists" in capsys.readouterr().err
    assert run(toy_root, clock.at(5), home, "start", "toy", "--interview", "--force") == 0
    assert "ends as abandoned" in capsys.readouterr().out
    (backup,) = (toy_root / "work").glob("toy.backup-*")
    assert (backup / "solution.py").read_text() == "# my work\n"
    reasons = db_rows(home, "SELECT finish_reason, minutes FROM attempts ORDER BY started_at")
    assert reasons == [("abandoned", 5.0), ("", None)]


# --- timed starts ---------------------------------------------------------------------------


def test_a_timed_start_says_the_clock_started_with_the_budget(
    toy_root: Path, clock: Clock, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(toy_root, clock, home, "start", "toy", "--timed") == 0
    assert "clock started: 10 min budget" in capsys.readouterr().out


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["status", "finish"])
def test_interview_commands_name_what_is_missing(
    toy_root: Path,
    clock: Clock,
    home: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    assert run(toy_root, clock, home, command, "nope") == 2
    assert "no kata named 'nope'" in capsys.readouterr().err
    assert run(toy_root, clock, home, command, "toy") == 2
    assert "no workspace for toy" in capsys.readouterr().err
    assert run(toy_root, clock, home, command) == 2
    assert "there is no interview" in capsys.readouterr().err
    run(toy_root, clock, home, "start", "toy")
    capsys.readouterr()
    assert run(toy_root, clock, home, command, "toy") == 2
    err = capsys.readouterr().err
    assert "is not an interview" in err and "--interview --force" in err
    assert "Traceback" not in err


def test_a_level_not_yet_unlocked_cannot_be_graded(
    toy_root: Path, clock: Clock, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(toy_root, clock, home, "start", "toy", "--interview")
    capsys.readouterr()
    assert run(toy_root, clock, home, "grade", "toy", "--level", "2", *FAST) == 2
    assert "level 2 is not unlocked yet" in capsys.readouterr().err
    assert run(toy_root, clock, home, "grade", "toy", "--reference", *FAST) == 0, (
        "grading another file is not part of the interview"
    )
    assert "interview:" not in capsys.readouterr().out


def test_a_clock_that_went_backwards_is_refused_and_nothing_changes(
    toy_root: Path, clock: Clock, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(toy_root, clock.at(0), home, "start", "toy", "--interview")
    (work(toy_root) / "solution.py").write_text(level_1_only(toy_root))
    run(toy_root, clock.at(5), home, "grade", "toy", *FAST)
    before = digests(work(toy_root))
    capsys.readouterr()
    for command in (["grade", "toy", *FAST], ["status", "toy"], ["finish", "toy"]):
        assert run(toy_root, clock.at(3), home, *command) == 2
        err = capsys.readouterr().err
        assert "earlier than" in err and "nothing was changed" in err
        assert "Traceback" not in err
    assert digests(work(toy_root)) == before
    assert run(toy_root, clock.at(6), home, "status", "toy") == 0


def test_a_heavily_edited_readme_gets_the_next_level_appended_at_its_end(
    toy_root: Path, clock: Clock, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(toy_root, clock, home, "start", "toy", "--interview")
    readme = work(toy_root) / "README.md"
    mine = "My notes\n\n## Level 1 — my own words\nno trailing newline"
    readme.write_text(mine)
    (work(toy_root) / "solution.py").write_text(level_1_only(toy_root))
    assert run(toy_root, clock, home, "grade", "toy", *FAST) == 0
    text = readme.read_text()
    assert text.startswith(mine + "\n\n" + LEVEL_2_HEADING)
    assert text.count("## Level") == 2


def test_a_readme_that_cannot_take_the_next_level_is_an_error_and_nothing_is_lost(
    toy_root: Path, clock: Clock, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(toy_root, clock, home, "start", "toy", "--interview")
    readme = work(toy_root) / "README.md"
    readme.unlink()
    readme.mkdir()
    (readme / "notes.txt").write_text("mine")
    (work(toy_root) / "solution.py").write_text(level_1_only(toy_root))
    capsys.readouterr()
    assert run(toy_root, clock, home, "grade", "toy", *FAST) == 2
    captured = capsys.readouterr()
    assert "Level 1 2/2" in captured.out, "the grade itself is reported"
    assert "cannot be added to" in captured.err and "Traceback" not in captured.err
    assert (readme / "notes.txt").read_text() == "mine"
    assert db_rows(home, "SELECT count(*) FROM grades") == [(1,)], "the grade is in the history"
    assert run(toy_root, clock, home, "status", "toy") == 0
    captured = capsys.readouterr()
    assert "level 2 — Resetting: unlocked" in captured.out, "the unlock is recorded"
    assert "cannot be added to" in captured.err, "and the README still lacks it"
    (readme / "notes.txt").unlink()
    readme.rmdir()
    assert run(toy_root, clock, home, "status", "toy") == 0
    assert readme.read_text().count(LEVEL_2_HEADING) == 1, "the next command adds it, once"
    assert run(toy_root, clock, home, "status", "toy") == 0
    assert readme.read_text().count(LEVEL_2_HEADING) == 1


def test_a_kata_without_level_headings_cannot_be_an_interview(
    toy_root: Path, clock: Clock, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    statement = toy_root / "katas" / "toy" / "README.md"
    statement.write_text(statement.read_text().replace("## Level", "## Part"))
    assert run(toy_root, clock, home, "start", "toy", "--interview") == 2
    err = capsys.readouterr().err
    assert "no level headings" in err and "without --interview" in err
    assert not work(toy_root).exists(), "nothing was created"
    assert run(toy_root, clock, home, "start", "toy") == 0


def test_statements_are_cut_at_level_headings_outside_code_blocks() -> None:
    text = (
        "# T\nintro\n```\n## Level 9 — in code\n```\n## Level 1 — One\na\n"
        "## Level 2: Two\nb\n## Notes\nc"
    )
    statement = split_statement(text)
    assert statement.intro == "# T\nintro\n```\n## Level 9 — in code\n```\n"
    assert [(s.level, s.name) for s in statement.levels] == [(1, "One"), (2, "Two")]
    assert statement.levels[1].text == "## Level 2: Two\nb\n## Notes\nc\n"
    with pytest.raises(InterviewError, match="numbered"):
        split_statement("## Level 1\n## Level 3\n")
    with pytest.raises(InterviewError, match="no level headings"):
        split_statement("# Just a title\n")
