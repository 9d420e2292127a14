"""Bad input gets one clear message and exit 2, never a traceback, and changes nothing: every
file in the workspace (the learner's and the runner's state) is byte-identical afterwards.

Each case runs the real command in its own process, as a learner would type it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kata.cli import main

FAST = ["--no-quality", "--no-tests", "--seed", "1"]
FIXED = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)


def kata(
    root: Path, home: Path, *argv: str, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "kata.cli", "--root", str(root), *argv],
        env={**os.environ, "KATA_HOME": str(home), **(env or {})},
        capture_output=True, text=True, timeout=300, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    return done.returncode, done.stdout, done.stderr


def digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def assert_refused(code: int, err: str, *words: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if "error:" in line]
    assert len(lines) == 1, err
    for word in words:
        assert word in err, err


@pytest.fixture
def interview(toy_root: Path, tmp_path: Path) -> Path:
    assert main(["start", "toy", "--interview"], root=toy_root, home=tmp_path / "home") == 0
    return toy_root / "work" / "toy"


BAD_GRADES = {
    "a seed beyond SQLite's integers": (["--seed", str(2**63)], "--seed"),
    "a negative seed": (["--seed", "-1"], "--seed"),
    "a check limit that is not a number": (["--check-timeout", "nan"], "--check-timeout"),
    "a run limit that is not a number": (["--run-timeout", "nan"], "--run-timeout"),
    "a memory limit too small to start Python": (["--memory-mb", "1"], "too small"),
    "a level that does not exist": (["--level", "9"], "--level"),
    "a level not unlocked yet": (["--level", "2"], "not unlocked"),
    "a report over the graded file": (["--json", "work/toy/solution.py"], "being graded"),
    "a report over the test file": (["--json", "work/toy/test_solution.py"], "being graded"),
    "a report in the workspace": (["--json", "work/toy/report.json"], "workspace"),
    "a report in a folder that does not exist": (["--json", "nowhere/r.json"], "does not exist"),
    "a missing solution file": (["--solution", "work/toy/solutoin.py"], "no such file"),
    "a missing test file": (["--tests", "work/toy/tset_solution.py"], "no such test file"),
}


@pytest.mark.parametrize("case", BAD_GRADES, ids=list(BAD_GRADES))
def test_a_bad_grade_option_is_refused_before_anything_runs(
    toy_root: Path, tmp_path: Path, interview: Path, case: str
) -> None:
    argv, words = BAD_GRADES[case]
    before = digests(interview)
    argv = [a.replace("work/", f"{toy_root}/work/") for a in argv]
    code, _, err = kata(toy_root, tmp_path / "home", "grade", "toy", *argv, "--no-quality")
    assert_refused(code, err, words)
    assert digests(interview) == before
    with sqlite3.connect(tmp_path / "home" / "history.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM grades").fetchone() == (0,), "nothing recorded"


@pytest.mark.parametrize("kata_id", ["toy/../toy", "/abs/katas/toy", "../toy", "to.y"])
def test_an_id_that_is_not_a_kata_folder_name_is_refused(
    toy_root: Path, tmp_path: Path, kata_id: str
) -> None:
    code, _, err = kata(toy_root, tmp_path / "home", "start", kata_id, "--force")
    assert_refused(code, err, "no kata named")
    assert not (toy_root / "work").exists() or not any((toy_root / "work").iterdir())


STATES = {
    "a list": [],
    "null": None,
    "text where a number belongs": {"attempt": {"budget_minutes": "ten"}},
    "a time without a time zone": {"started_at": "2030-01-01T09:00:00"},
    "no levels": {"attempt": {"levels": []}},
    "more levels than the kata": {"attempt": {"levels": "+1"}},
    "a level passed before it was unlocked": {"attempt": {"levels": "passed-early"}},
    "a future start": {"started_at": "2999-01-01T09:00:00+00:00"},
}


def edited(state: dict[str, object], change: object) -> object:
    if not isinstance(change, dict):
        return change
    data = json.loads(json.dumps(state))
    for key, value in change.items():
        if key != "attempt":
            data[key] = value
            continue
        for name, wanted in value.items():
            levels = data["attempt"]["levels"]
            if wanted == "+1":
                wanted = [*levels, {**levels[-1], "level": len(levels) + 1}]  # noqa: PLW2901
            elif wanted == "passed-early":
                wanted = [{**levels[0], "passed_minute": 1.0}, {**levels[1], "passed_minute": 2.0}]  # noqa: PLW2901
            data["attempt"][name] = wanted
    return data


@pytest.mark.parametrize("case", STATES, ids=list(STATES))
def test_a_damaged_state_file_is_named_and_nothing_changes(
    toy_root: Path, tmp_path: Path, interview: Path, case: str
) -> None:
    path = interview / ".kata-state.json"
    path.write_text(json.dumps(edited(json.loads(path.read_text()), STATES[case])))
    before = digests(interview)
    for command in (["status", "toy"], ["grade", "toy", *FAST], ["finish", "toy"], ["hint", "toy"]):
        code, _, err = kata(toy_root, tmp_path / "home", *command)
        assert_refused(code, err, ".kata-state.json")
    assert digests(interview) == before


def test_a_deleted_state_file_is_named_as_such(
    toy_root: Path, tmp_path: Path, interview: Path
) -> None:
    (interview / ".kata-state.json").unlink()
    code, _, err = kata(toy_root, tmp_path / "home", "status", "toy")
    assert_refused(code, err, "has no state file")


def test_starting_twice_in_one_second_keeps_both_backups(toy_root: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    for _ in range(3):
        assert main(["start", "toy", "--force"], root=toy_root, home=home, now=lambda: FIXED) == 0
    backups = sorted(p.name for p in (toy_root / "work").iterdir() if ".backup-" in p.name)
    assert len(backups) == 2 and len(set(backups)) == 2


def test_a_plain_force_records_the_running_interview_as_abandoned(
    toy_root: Path, tmp_path: Path, interview: Path
) -> None:
    code, out, err = kata(toy_root, tmp_path / "home", "start", "toy", "--force")
    assert code == 0, err
    assert "ends as abandoned" in out
    with sqlite3.connect(tmp_path / "home" / "history.sqlite3") as db:
        assert db.execute("SELECT finish_reason FROM attempts").fetchall() == [("abandoned",)]


def test_an_ascii_terminal_gets_stand_ins_not_an_error(toy_root: Path, tmp_path: Path) -> None:
    for command in (["list"], ["history"], ["grade", "toy", "--reference", *FAST]):
        code, out, err = kata(
            toy_root, tmp_path / "home", *command, env={"PYTHONIOENCODING": "ascii"}
        )
        assert code == 0 and "Traceback" not in err, err
        out.encode("ascii")
    assert " - " in kata(toy_root, tmp_path / "home", "list", env={"PYTHONIOENCODING": "ascii"})[1]


def test_a_closed_pipe_is_one_message_not_a_traceback(toy_root: Path, tmp_path: Path) -> None:
    reader, writer = os.pipe()
    os.close(reader)
    done = subprocess.run(
        [sys.executable, "-m", "kata.cli", "--root", str(toy_root), "list"],
        stdout=writer, stderr=subprocess.PIPE, text=True, timeout=60, check=False,
        env={**os.environ, "KATA_HOME": str(tmp_path / "home")},
    )  # fmt: skip
    os.close(writer)
    assert_refused(done.returncode, done.stderr, "closed")


def test_unreadable_history_rows_are_skipped_with_a_warning(toy_root: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert kata(toy_root, home, "grade", "toy", "--reference", *FAST)[0] == 0
    assert kata(toy_root, home, "grade", "toy", "--reference", *FAST)[0] == 0
    with sqlite3.connect(home / "history.sqlite3") as db:
        db.execute("UPDATE grades SET graded_at = 'yesterday' WHERE id = 1")
        db.execute("UPDATE grades SET tests_set_aside = '{not json' WHERE id = 2")
    code, out, err = kata(toy_root, home, "history")
    assert code == 0 and "Traceback" not in err
    assert err.count("skipped grade") == 2, err
    assert "no grades recorded yet" in out


def test_compare_refuses_to_write_its_report_over_the_graded_file(
    toy_root: Path, tmp_path: Path, interview: Path
) -> None:
    before = digests(interview)
    target = str(interview / "solution.py")
    code, _, err = kata(toy_root, tmp_path / "home", "compare", "toy", "--json", target)
    assert_refused(code, err, "being graded")
    assert digests(interview) == before


def test_another_programs_database_is_left_exactly_as_it_was(
    toy_root: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    path = home / "history.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (text TEXT)")
    before = path.read_bytes()
    code, _, err = kata(toy_root, home, "grade", "toy", "--reference", *FAST)
    assert code == 0 and "another program" in err and "Traceback" not in err
    assert path.read_bytes() == before
    assert sorted(p.name for p in home.iterdir()) == ["history.sqlite3"], "no side file made"
