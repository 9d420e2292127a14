"""The round as it is run: nothing of a later level shows early, hints come on request and are
counted, and the clock is told truthfully.
"""

from __future__ import annotations

import ast
import json
import random
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kata.catalog import ROOT, Kata, kata_ids, load_kata
from kata.cli import main

FAST = ["--no-quality", "--seed", "1"]
INTERVIEW_KATAS = [kid for kid in kata_ids(ROOT) if load_kata(kid, ROOT).level_api]


class Clock:
    def __init__(self) -> None:
        self.minutes = 0.0

    def __call__(self) -> datetime:
        return datetime(2030, 1, 1, 9, 0, tzinfo=UTC) + timedelta(minutes=self.minutes)


def leaks(kata: Kata, text: str, unlocked: int) -> list[str]:
    """What `text` shows of the levels above `unlocked`: names, clause ids, headings."""
    found = []
    for level in range(unlocked + 1, len(kata.levels) + 1):
        names = kata.level_api[level - 1] if level <= len(kata.level_api) else ()
        found += [n for n in names if re.search(rf"\b{re.escape(n)}\b", text)]
        found += re.findall(rf"\bL{level}\.\d+\b", text)
        found += [h for h in (f"Level {level} —", kata.levels[level - 1]) if h in text]
    return found


def up_to_level(kata: Kata, level: int) -> str:
    """The reference as a learner has it at `level`: without the classes, functions and methods
    that later levels introduce (manifest ``level_api``)."""
    later = {n for names in kata.level_api[level:] for n in names}
    tree = ast.parse(kata.reference.read_text(encoding="utf-8"))
    defs = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    tree.body = [n for n in tree.body if not (isinstance(n, defs) and n.name in later)]
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            node.body = [m for m in node.body if not (isinstance(m, defs) and m.name in later)]
    return ast.unparse(tree) + "\n"


def tool_written(folder: Path, *, solution_too: bool) -> dict[str, str]:
    """Every file of the workspace the tool wrote (the solution only before the learner's)."""
    return {
        p.name: p.read_text(encoding="utf-8")
        for p in folder.iterdir()
        if p.is_file() and (solution_too or p.name != "solution.py")
    }


@pytest.mark.parametrize("kid", INTERVIEW_KATAS)
def test_a_scripted_interview_never_shows_a_locked_level(
    kid: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    for part in ("katas", "solutions", "tests"):
        (root / part).symlink_to(ROOT / part)
    kata, clock, home = load_kata(kid, root), Clock(), tmp_path / "home"
    folder = root / "work" / kid

    def run(*argv: str) -> int:
        return main(list(argv), root=root, rng=random.Random(0), now=clock, home=home)

    assert run("start", kid, "--interview") == 0
    files = tool_written(folder, solution_too=True)
    assert [(n, leaks(kata, t, 1)) for n, t in files.items() if leaks(kata, t, 1)] == []
    capsys.readouterr()
    for unlocked in range(1, len(kata.levels) + 1):
        # the learner's file holds what the unlocked levels ask for, and nothing more
        (folder / "solution.py").write_text(up_to_level(kata, unlocked), encoding="utf-8")
        clock.minutes += 5
        assert run("grade", kid, "--no-tests", *FAST) == 0, capsys.readouterr().out[-3000:]
        now_unlocked = min(unlocked + 1, len(kata.levels))
        files = tool_written(folder, solution_too=False)
        shown = [(n, leaks(kata, t, now_unlocked)) for n, t in files.items()]
        assert [(n, found) for n, found in shown if found] == [], f"after level {unlocked} passed"
        out = capsys.readouterr().out
        assert leaks(kata, out, now_unlocked) == [], f"the grade of level {unlocked} printed"
    assert "the interview is over" in out and "Scorecard" in out


@pytest.fixture
def thin_tests(tmp_path: Path) -> Path:
    path = tmp_path / "thin_test.py"
    path.write_text("from solution import RunningTotal\n\n\ndef test_it_imports() -> None:\n"
                    "    assert RunningTotal().add(2) >= 0\n")  # fmt: skip
    return path


def test_missed_bugs_are_counted_and_told_only_on_request(
    toy_root: Path, tmp_path: Path, thin_tests: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clock, home = Clock(), tmp_path / "home"

    def run(*argv: str) -> int:
        return main(list(argv), root=toy_root, rng=random.Random(0), now=clock, home=home)

    run("start", "toy", "--interview")
    work = toy_root / "work" / "toy"
    shutil.copyfile(thin_tests, work / "test_solution.py")
    source = (toy_root / "solutions" / "toy" / "solution.py").read_text()
    (work / "solution.py").write_text(source[: source.index("    def reset")])
    capsys.readouterr()
    assert run("grade", "toy", *FAST) == 0
    out = capsys.readouterr().out
    assert "missed 1 planted bug: level 1 (L1.2)" in out
    assert "a new total starts at 1" not in out, "no description without asking"
    assert run("hint", "toy") == 0
    out = capsys.readouterr().out
    assert "a new total starts at 1" in out and "no more hints" in out
    assert run("hint", "toy") == 0
    assert "every hint of the last grade was shown" in capsys.readouterr().out
    (work / "solution.py").write_text(source)
    assert run("grade", "toy", "--hints", *FAST) == 0
    out = capsys.readouterr().out
    assert "reset returns 0 instead of the old total" in out, "--hints tells every one"
    card = out[out.index("Scorecard") :]
    assert "hints 2" in card
    assert run("history", "toy", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert [t["hints"] for t in data["attempts"][0]["levels"]] == [1, 1]


def test_a_timed_start_has_a_status_and_an_ended_attempt_says_when_it_ended(
    toy_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clock, home = Clock(), tmp_path / "home"

    def run(*argv: str) -> int:
        return main(list(argv), root=toy_root, rng=random.Random(0), now=clock, home=home)

    run("start", "toy", "--timed")
    clock.minutes = 3
    assert run("status", "toy") == 0
    assert "timed start" in (out := capsys.readouterr().out) and "minute 3.0 of 10" in out
    run("start", "toy", "--interview", "--force")
    clock.minutes = 7.1
    assert run("finish", "toy") == 0
    clock.minutes = 20
    capsys.readouterr()
    run("grade", "toy", *FAST)
    out = capsys.readouterr().out
    assert "this interview ended at minute 4.1" in out and "min of your" not in out
    assert run("status", "toy") == 0
    out = capsys.readouterr().out
    assert "next level" not in out and "to unlock the next" not in out
