"""One owner for the learner's state: races between the README's own commands, signals, and bad
input never leave the workspace's state, its README and the history disagreeing.

The races run the session layer in threads (the workspace lock is an `flock` on a file opened by
each command, so threads exclude each other exactly as processes do) with the grade itself
replaced by a fast stand-in that sleeps a random moment: what is under test is who owns the
state, not the hidden suite. One race also runs with real grades in real processes.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from kata import session
from kata.catalog import load_kata
from kata.grading import Check
from kata.report import Report
from kata.session import Context, GradeOptions
from kata.workspace import Workspace

RUNS = 20
INTERVIEW = SimpleNamespace(interview=True, timed=False, force=True)
LEVEL_2 = "## Level 2 — Resetting"


def fake_grade(kata: Any, solution: Path, **options: Any) -> Report:
    """Every check of the graded levels passes, after a random pause of up to 30 ms."""
    time.sleep(random.uniform(0, 0.03))
    level = options["level"] or len(kata.levels)
    checks = [Check(f"c{n}", f"check {n}", n, status="pass") for n in range(1, level + 1)]
    for check in checks:
        options["on_check"](check)
    return Report(kata=kata, solution=options["label"], seed=options["seed"],
                  profile=options["profile"], level=options["level"], checks=checks)  # fmt: skip


@pytest.fixture
def ctx(toy_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Context:
    monkeypatch.setattr(session, "grade_snapshot", fake_grade)
    monkeypatch.setattr(session.scratch, "sweep", lambda: 0)
    return Context(toy_root, tmp_path / "home", out=open_null(), err=open_null())


def open_null() -> Any:
    return open("/dev/null", "w", encoding="utf-8")


def grade(ctx: Context) -> Callable[[], object]:
    return lambda: session.grade(ctx, GradeOptions("toy", no_quality=True, seed=1))


def together(*steps: Callable[[], object]) -> None:
    """Run `steps` at once, each in its own thread, after a random stagger."""
    errors: list[BaseException] = []

    def run(step: Callable[[], object]) -> None:
        time.sleep(random.uniform(0, 0.02))
        try:
            step()
        except BaseException as error:  # the test reports it below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(step,)) for step in steps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors


def state_of(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / ".kata-state.json").read_text())
    return data


def history_attempt(ctx: Context, uid: str) -> tuple[Any, list[Any]]:
    with sqlite3.connect(ctx.database) as db:
        row = db.execute("SELECT finish_reason, minutes FROM attempts WHERE uid = ?", (uid,))
        levels = db.execute(
            "SELECT level, unlocked_minute, passed_minute FROM attempt_levels "
            "WHERE attempt_uid = ? ORDER BY level",
            (uid,),
        ).fetchall()
        return row.fetchone(), levels


def assert_agree(ctx: Context, folder: Path) -> None:
    """The state file, the README and the history tell the same story of the attempt."""
    state = state_of(folder)
    attempt = state["attempt"]
    unlocked = sum(t["unlocked_minute"] is not None for t in attempt["levels"])
    readme = (folder / "README.md").read_text()
    assert state["appended"] == unlocked
    assert readme.count(LEVEL_2) == (1 if unlocked >= 2 else 0), "each level appended once"
    row, levels = history_attempt(ctx, attempt["uid"])
    assert row == (attempt["finish_reason"], attempt["minutes"])
    assert levels == [
        (t["level"], t["unlocked_minute"], t["passed_minute"]) for t in attempt["levels"]
    ]


def start_interview(ctx: Context) -> Path:
    session.start(ctx, "toy", INTERVIEW)
    return Workspace(load_kata("toy", ctx.root)).folder


@pytest.mark.parametrize("run", range(RUNS))
def test_two_grades_of_one_interview_at_once_unlock_the_level_once(ctx: Context, run: int) -> None:
    folder = start_interview(ctx)
    together(grade(ctx), grade(ctx))
    assert_agree(ctx, folder)
    assert state_of(folder)["attempt"]["levels"][1]["unlocked_minute"] is not None


@pytest.mark.parametrize("run", range(RUNS))
def test_finish_during_a_grade_is_never_undone_by_it(ctx: Context, run: int) -> None:
    folder = start_interview(ctx)
    together(grade(ctx), lambda: session.finish(ctx, "toy"))
    assert_agree(ctx, folder)
    assert state_of(folder)["attempt"]["finish_reason"] == "finished"


@pytest.mark.parametrize("run", range(RUNS))
def test_start_force_during_a_grade_keeps_the_old_grade_out_of_the_new_workspace(
    ctx: Context, run: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = start_interview(ctx)
    old = state_of(folder)["attempt"]["uid"]

    def grade_then_restart(kata: Any, solution: Path, **options: Any) -> Report:
        report = fake_grade(kata, solution, **options)
        together(lambda: session.start(ctx, "toy", INTERVIEW))
        return report

    monkeypatch.setattr(session, "grade_snapshot", grade_then_restart)
    grade(ctx)()
    new = state_of(folder)["attempt"]
    assert new["uid"] != old
    assert new["levels"][1]["unlocked_minute"] is None, "the old grade unlocked nothing new"
    assert_agree(ctx, folder)
    assert history_attempt(ctx, old)[0][0] == "abandoned"
    backups = [p for p in folder.parent.iterdir() if p.name.startswith("toy.backup-")]
    assert len(backups) == 1
    assert state_of(backups[0])["attempt"]["finish_reason"] == "abandoned"


def test_two_real_grades_at_once_in_two_processes_agree(toy_root: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    ctx = Context(toy_root, home, out=open_null(), err=open_null())
    folder = start_interview(ctx)
    reference = (toy_root / "solutions" / "toy" / "solution.py").read_text()
    (folder / "solution.py").write_text(reference[: reference.index("    def reset")])
    argv = [sys.executable, "-m", "kata.cli", "--root", str(toy_root), "grade", "toy"]
    argv += ["--no-quality", "--seed", "3"]
    env = {"KATA_HOME": str(home), "PATH": "/usr/bin:/bin"}
    grades = [subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
              for _ in range(2)]  # fmt: skip
    outputs = [g.communicate(timeout=300)[0].decode() for g in grades]
    assert all("Traceback" not in out for out in outputs), outputs
    assert_agree(ctx, folder)
    with sqlite3.connect(home / "history.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM grades").fetchone() == (2,)


@pytest.mark.parametrize("run", range(RUNS))
def test_a_grade_stopped_at_any_moment_by_a_save_in_watch_leaves_the_state_agreeing(
    toy_root: Path, tmp_path: Path, run: int
) -> None:
    # kata watch stops a grade with SIGTERM when a file is saved; the stop may land anywhere,
    # also while the grade records its result. Whatever it interrupted, the next command
    # (here `kata status`) finds the state file, the README and the history agreeing.
    home = tmp_path / "home"
    ctx = Context(toy_root, home, out=open_null(), err=open_null())
    folder = start_interview(ctx)
    reference = (toy_root / "solutions" / "toy" / "solution.py").read_text()
    (folder / "solution.py").write_text(reference[: reference.index("    def reset")])
    argv = [sys.executable, "-m", "kata.cli", "--root", str(toy_root), "grade", "toy"]
    grade = subprocess.Popen(
        [*argv, "--no-quality", "--no-tests", "--seed", "3"],
        env={**os.environ, "KATA_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    time.sleep(random.Random(run).uniform(0.3, 3.0))
    grade.send_signal(signal.SIGTERM)
    # -SIGTERM: stopped while Python was still starting, before the command changed anything.
    assert grade.wait(60) in (0, 1, 130, -signal.SIGTERM)
    session.status(ctx, "toy")
    assert_agree(ctx, folder)
