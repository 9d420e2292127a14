"""Interview mode: a kata's levels handed over one at a time, against the clock.

This module decides; it neither prints nor touches a file except the README it appends to.
`decide` turns a grade of the unlocked levels 1..N into an `Outcome`: level N+1 unlocked when every
correctness check of levels 1..N passed, the attempt ended after the last level, or progress.
`apply` writes that outcome into the workspace's `State`; the session saves the state, and only
then appends the new level's section to the README (`append_missing`, which checks before it
appends, so a level is added exactly once even when a step is repeated). Levels come from the
statement's level headings (``## Level N — name``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from kata.catalog import Kata
from kata.errors import InterviewError
from kata.model import Attempt, GradeRecord, LevelTimes
from kata.workspace import State

_LEVEL_HEADING = re.compile(r"^##\s+Level\s+(\d+)\b[\s\u2013\u2014:.-]*(.*?)\s*$")
"""``## Level 2 — bounded size``: the number, then the name after a dash or colon."""
_FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True)
class Section:
    """One level of a statement: its number, its name and its text, heading included."""

    level: int
    name: str
    text: str


@dataclass(frozen=True)
class Statement:
    """A statement cut at its level headings: the introduction, then one section per level."""

    intro: str
    levels: tuple[Section, ...]

    def up_to(self, level: int) -> str:
        """What the learner sees once levels 1..`level` are unlocked."""
        return self.intro + "".join(s.text for s in self.levels[:level])


def split_statement(text: str, source: str = "the statement") -> Statement:
    """Cut `text` at its ``## Level N — name`` headings (outside code blocks); O(lines).

    Raises InterviewError when there is no level heading or the levels are not numbered 1, 2, ...
    """
    lines = text.splitlines(keepends=True)
    starts: list[tuple[int, int, str]] = []
    fenced = False
    for index, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        match = None if fenced else _LEVEL_HEADING.match(line)
        if match:
            starts.append((index, int(match.group(1)), match.group(2)))
    if not starts:
        raise InterviewError(
            f"{source} has no level headings (`## Level N — name`), so it cannot be handed "
            "over one level at a time; start it without --interview"
        )
    numbers = [number for _, number, _ in starts]
    if numbers != list(range(1, len(numbers) + 1)):
        raise InterviewError(
            f"{source}: its level headings are numbered {numbers}, not 1, 2, 3, ...; start it "
            "without --interview"
        )
    sections = []
    for k, (index, number, name) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(lines)
        body = "".join(lines[index:end])
        sections.append(Section(number, name, body if body.endswith("\n") else body + "\n"))
    return Statement("".join(lines[: starts[0][0]]), tuple(sections))


def statement_of(kata: Kata) -> Statement:
    """The kata's statement cut into levels; raises InterviewError when it cannot be."""
    try:
        text = kata.statement.read_text(encoding="utf-8")
    except OSError as error:
        raise InterviewError(f"cannot read the statement of {kata.id}: {error}") from error
    return split_statement(text, str(kata.statement.relative_to(kata.root)))


def new_attempt(kata: Kata, statement: Statement, moment: datetime, uid: str) -> Attempt:
    """A running attempt with level 1 unlocked at minute 0. A level's name is recorded when it
    is unlocked: the workspace holds nothing of a level before then."""
    levels = [LevelTimes(s.level, "") for s in statement.levels]
    levels[0].name, levels[0].unlocked_minute = statement.levels[0].name, 0.0
    return Attempt(uid, kata.id, moment, kata.minutes, levels)


def grading_level(attempt: Attempt, requested: int | None) -> int:
    """The levels to grade: the unlocked ones, or `requested` if that many are unlocked."""
    unlocked = attempt.unlocked
    if requested is None:
        return unlocked
    if requested > unlocked and not attempt.finished:
        raise InterviewError(
            f"level {requested} is not unlocked yet: this interview has unlocked levels "
            f"1..{unlocked}; pass them to unlock the next"
        )
    return requested


def end(attempt: Attempt, moment: datetime, reason: str) -> None:
    """End `attempt` at `moment` for `reason` (passed, finished, abandoned)."""
    attempt.finished_at = moment
    attempt.finish_reason = reason
    attempt.minutes = (moment - attempt.started_at).total_seconds() / 60


@dataclass(frozen=True)
class Outcome:
    """What one grade did to an interview: typed news, rendered elsewhere.

    `kind` is one of: ``error`` (nothing could be graded), ``other-levels`` (the grade did not
    grade exactly the unlocked levels), ``progress`` (some check still fails), ``unlocked``,
    ``passed`` (the last level: the attempt is over), ``ended`` (it had ended before) and
    ``replaced`` (the workspace holds another attempt now).
    """

    kind: str
    minute: float = 0.0
    level: int = 0
    """The highest unlocked level the grade was about."""
    levels: int = 0
    budget: int = 0
    passed: int = 0
    total: int = 0
    """Correctness checks of levels 1..`level` that passed, of `total`."""
    name: str = ""
    """The name of the unlocked level (for ``unlocked``)."""

    @property
    def finished(self) -> bool:
        return self.kind == "passed"


def decide(attempt: Attempt, grade: GradeRecord, minute: float, statement: Statement) -> Outcome:
    """What `grade`, taken at `minute` of a running `attempt`, does to it (pure)."""
    level, levels = attempt.unlocked, len(attempt.levels)
    base = Outcome("progress", minute, level, levels, attempt.budget_minutes)
    if grade.error:
        return replace(base, kind="error")
    if grade.level != level:
        return replace(base, kind="other-levels")
    if grade.passed_levels_up_to(level):
        if level == levels:
            return replace(base, kind="passed")
        return replace(base, kind="unlocked", name=statement.levels[level].name)
    scores = [grade.level_score(n, ("correctness",)) or (0, 0) for n in range(1, level + 1)]
    return replace(base, passed=sum(s[0] for s in scores), total=sum(s[1] for s in scores))


def apply(state: State, outcome: Outcome, grade: GradeRecord, moment: datetime) -> None:
    """Write `outcome` into `state` (times, last grade, the end of the attempt)."""
    attempt = state.attempt
    assert attempt is not None
    state.last_grade = grade
    state.last_seen = moment
    if outcome.kind in ("unlocked", "passed"):
        attempt.levels[outcome.level - 1].passed_minute = outcome.minute
    if outcome.kind == "unlocked":
        attempt.levels[outcome.level].unlocked_minute = outcome.minute
        attempt.levels[outcome.level].name = outcome.name
    if outcome.kind == "passed":
        end(attempt, moment, "passed")


def append_missing(readme: Path, statement: Statement, state: State) -> int:
    """Append to `readme` every unlocked level's section it lacks, each once; returns how many
    level sections it holds now (what `state.appended` becomes). A section already at the end
    of the file (an earlier step appended it, then stopped) is not appended again.

    Raises InterviewError, the file unchanged, when it cannot be appended to."""
    assert state.attempt is not None
    appended = state.appended
    for section in statement.levels[state.appended : state.attempt.unlocked]:
        _append(readme, section)
        appended = section.level
    return appended


def _append(readme: Path, section: Section) -> None:
    try:
        if readme.exists() and not readme.is_file():
            raise IsADirectoryError(f"{readme} is not a file")
        existing = readme.read_bytes() if readme.exists() else b""
        if existing.rstrip().endswith(section.text.rstrip().encode("utf-8")):
            return
        if not existing or existing.endswith(b"\n\n"):
            gap = ""
        else:
            gap = "\n" if existing.endswith(b"\n") else "\n\n"
        with readme.open("a", encoding="utf-8") as out:
            out.write(gap + section.text)
    except OSError as error:
        raise InterviewError(
            f"level {section.level} is unlocked but cannot be added to {readme.name} ({error}); "
            "nothing of yours was changed: make it a writable file again (or remove it), then "
            "any `kata` command on this kata adds it"
        ) from error
