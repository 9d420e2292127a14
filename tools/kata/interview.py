"""Interview mode: a kata's levels handed over one at a time, against the clock, then a scorecard.

`start` makes a workspace whose README.md holds the statement's introduction and level 1 only,
and starts the clock. After a grade of the unlocked levels 1..N, `after_grade` unlocks level N+1
when every correctness check of levels 1..N passed: the level's section of the statement is
appended at the end of the workspace's README.md (nothing the learner wrote there is changed) and
the minute is noted. Passing the last level, or `finish`, ends the attempt; `render_scorecard`
sums it up. Running out of time locks nothing: the scorecard shows the overrun.

The attempt's state lives in ``work/<id>/.kata-interview.json``, so an interview works even when
the history database cannot be written. Levels come from the statement's level headings
(``## Level N — name``). Every command reads the clock through a `Now` parameter and refuses a
clock that reads earlier than a time the interview already recorded (`ClockWentBackwards`).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from kata import workspace
from kata.catalog import Kata, kata_ids, load_kata
from kata.errors import ClockWentBackwards, InterviewError, KataError
from kata.history import BUGS, Attempt, GradeRecord, LevelTimes
from kata.workspace import Now, utc_now

STATE_FILE = ".kata-interview.json"
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

    def first_readme(self) -> str:
        """What the learner sees at the start: the introduction and level 1."""
        return self.intro + self.levels[0].text


def split_statement(text: str, source: str = "the statement") -> Statement:
    """Cut `text` at its ``## Level N — name`` headings (outside code blocks).

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


@dataclass
class Interview:
    """One interview attempt in a workspace: its times, its last grade, where it is kept."""

    attempt: Attempt
    last_seen: datetime
    """The latest clock reading a command recorded; a clock earlier than this is refused."""
    folder: Path
    last_grade: GradeRecord | None = None

    @property
    def finished(self) -> bool:
        return self.attempt.finished_at is not None

    @property
    def readme(self) -> Path:
        return self.folder / "README.md"

    @property
    def path(self) -> Path:
        return self.folder / STATE_FILE

    def read_clock(self, now: Now) -> tuple[datetime, float]:
        """The clock's reading and the minutes since the start; refuses a clock gone backwards."""
        moment = now()
        if moment < self.last_seen:
            raise ClockWentBackwards(
                f"the clock reads {moment:%Y-%m-%d %H:%M:%S}, earlier than "
                f"{self.last_seen:%Y-%m-%d %H:%M:%S} when this interview of {self.attempt.kata} "
                "last recorded a time, so its minutes cannot be counted. Set the clock right and "
                "run the command again; nothing was changed"
            )
        return moment, (moment - self.attempt.started_at).total_seconds() / 60

    def minutes(self, now: Now) -> float:
        """Minutes of the attempt: since the start, or from start to finish once finished."""
        if self.finished and self.attempt.minutes is not None:
            self.read_clock(now)
            return self.attempt.minutes
        return self.read_clock(now)[1]

    def save(self) -> None:
        """Write the state atomically (a temporary file renamed over the old one)."""
        data = {
            "version": 1,
            "attempt": self.attempt.as_json(),
            "last_seen": self.last_seen.isoformat(),
            "last_grade": self.last_grade.as_json() if self.last_grade else None,
        }
        temporary = self.path.with_name(self.path.name + ".tmp")
        try:
            temporary.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError as error:
            raise InterviewError(
                f"cannot save the interview's state in {self.path}: {error}"
            ) from error


def load(kata: Kata) -> Interview:
    """The interview in the kata's workspace. Raises NoWorkspace, or InterviewError when the
    workspace is not an interview or its state cannot be read."""
    folder = workspace.existing(kata)
    path = folder / STATE_FILE
    if not path.is_file():
        raise InterviewError(
            f"{folder} is not an interview: it was started without --interview. Start one with "
            f"`kata start {kata.id} --interview --force` (your work is moved to a backup first)"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        last = data.get("last_grade")
        return Interview(
            attempt=Attempt.from_json(data["attempt"]),
            last_seen=datetime.fromisoformat(data["last_seen"]),
            folder=folder,
            last_grade=GradeRecord.from_json(last) if last else None,
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InterviewError(
            f"the interview's state {path} cannot be read ({error}); start again with "
            f"`kata start {kata.id} --interview --force` (your work is moved to a backup first)"
        ) from error


def is_interview(kata: Kata) -> bool:
    """Whether the kata's workspace holds an interview."""
    return (workspace.workspace(kata) / STATE_FILE).is_file()


def find(root: Path, kata_id: str | None, *, running_only: bool = False) -> Kata:
    """The kata whose interview a command is about: `kata_id`, or else the only interview in
    progress (else, unless `running_only`, the most recently started one)."""
    if kata_id is not None:
        return load_kata(kata_id, root)
    found: list[tuple[Kata, Interview]] = []
    for kid in kata_ids(root):
        kata = load_kata(kid, root)
        if is_interview(kata):
            try:
                found.append((kata, load(kata)))
            except KataError:
                continue
    running = [(k, i) for k, i in found if not i.finished]
    if len(running) == 1:
        return running[0][0]
    if len(running) > 1:
        names = ", ".join(k.id for k, _ in running)
        raise InterviewError(f"several interviews are in progress ({names}); name one")
    if found and not running_only:
        return max(found, key=lambda pair: pair[1].attempt.started_at)[0]
    what = "no interview is in progress" if found else "there is no interview"
    raise InterviewError(f"{what}; start one with `kata start ID --interview`")


def start(
    kata: Kata,
    *,
    force: bool = False,
    now: Now = utc_now,
    new_uid: Callable[[], str] = lambda: uuid.uuid4().hex,
) -> tuple[Interview, Path | None, Interview | None]:
    """Start an interview: a workspace whose README.md has the introduction and level 1 only.

    Returns (the new interview, the backup of the previous workspace or None, the previous
    workspace's interview if it was still running: it is ended as ``abandoned``).
    Raises InterviewError (before touching anything) when the statement has no level headings.
    """
    statement = statement_of(kata)
    abandoned = _abandon_previous(kata, now) if force and is_interview(kata) else None
    folder, backup = workspace.start(
        kata, force=force, timed=True, now=now, readme=statement.first_readme()
    )
    moment = now()
    levels = [LevelTimes(s.level, s.name) for s in statement.levels]
    levels[0].unlocked_minute = 0.0
    attempt = Attempt(new_uid(), kata.id, moment, kata.minutes, levels)
    interview = Interview(attempt, moment, folder)
    interview.save()
    return interview, backup, abandoned


def _abandon_previous(kata: Kata, now: Now) -> Interview | None:
    """End the workspace's running interview as ``abandoned`` before it is moved to a backup."""
    try:
        previous = load(kata)
    except KataError:
        return None
    if previous.finished:
        return None
    moment = max(now(), previous.last_seen)
    _end(previous, moment, "abandoned")
    try:
        previous.save()
    except InterviewError:
        return None
    return previous


def grading_level(interview: Interview, requested: int | None) -> int:
    """The levels to grade: the unlocked ones, or `requested` if that many are unlocked."""
    unlocked = interview.attempt.unlocked
    if requested is None:
        return unlocked
    if requested > unlocked and not interview.finished:
        raise InterviewError(
            f"level {requested} is not unlocked yet: this interview has unlocked levels "
            f"1..{unlocked}; pass them to unlock the next"
        )
    return requested


def _end(interview: Interview, moment: datetime, reason: str) -> None:
    attempt = interview.attempt
    attempt.finished_at = moment
    attempt.finish_reason = reason
    attempt.minutes = (moment - attempt.started_at).total_seconds() / 60
    interview.last_seen = moment


def append_level(readme: Path, section: Section) -> None:
    """Append `section` at the end of `readme` (created if missing); never rewrites what is
    there. Raises InterviewError, with the file unchanged, when it cannot be appended to."""
    try:
        if readme.exists() and not readme.is_file():
            raise IsADirectoryError(f"{readme} is not a file")
        existing = readme.read_bytes() if readme.exists() else b""
        if not existing or existing.endswith(b"\n\n"):
            gap = ""
        else:
            gap = "\n" if existing.endswith(b"\n") else "\n\n"
        with readme.open("a", encoding="utf-8") as out:
            out.write(gap + section.text)
    except OSError as error:
        raise InterviewError(
            f"level {section.level} is earned but cannot be added to {readme} ({error}); "
            "nothing was changed: make it a writable file again (or remove it) and grade again"
        ) from error


@dataclass
class Outcome:
    """What one grade did to an interview."""

    lines: list[str] = field(default_factory=list)
    unlocked: int | None = None
    finished: bool = False


def after_grade(
    kata: Kata, interview: Interview, grade: GradeRecord, now: Now = utc_now
) -> Outcome:
    """Note `grade` in the interview; when it graded every unlocked level 1..N and all their
    correctness checks passed, unlock level N+1 (appended to the README) or, after the last
    level, end the attempt. Saves the state; raises InterviewError if the README cannot take
    the next level (then nothing is recorded, and the next grade tries again)."""
    outcome = Outcome()
    if interview.finished:
        outcome.lines.append(
            f"interview: this attempt ended at minute {interview.attempt.minutes or 0:.1f}; "
            f"grades unlock nothing now (`kata start {kata.id} --interview --force` starts anew)"
        )
        return outcome
    moment, minutes = interview.read_clock(now)
    attempt = interview.attempt
    level = attempt.unlocked
    interview.last_grade = grade
    interview.last_seen = moment
    if grade.error:
        outcome.lines.append(
            f"interview: minute {minutes:.1f} of {attempt.budget_minutes}; nothing could be "
            "graded, so nothing is unlocked: fix the error and grade again"
        )
    elif grade.level != level:
        outcome.lines.append(
            f"interview: grade levels 1..{level} (`kata grade {kata.id}`) to unlock the next"
        )
    elif grade.passed_levels_up_to(level):
        attempt.levels[level - 1].passed_minute = minutes
        if level < len(attempt.levels):
            section = statement_of(kata).levels[level]
            append_level(interview.readme, section)
            attempt.levels[level].unlocked_minute = minutes
            outcome.unlocked = level + 1
            name = f" — {section.name}" if section.name else ""
            outcome.lines.append(
                f"interview: level {level} passed at minute {minutes:.1f}. Level {level + 1}"
                f"{name} unlocked: its requirements are appended at the end of "
                f"{_shown(kata, interview.readme)} (nothing above them was changed)"
            )
        else:
            _end(interview, moment, "passed")
            outcome.finished = True
            outcome.lines.append(
                f"interview: level {level}, the last, passed at minute {minutes:.1f}: "
                "the interview is over"
            )
    else:
        score = [grade.level_score(n, ("correctness",)) or (0, 0) for n in range(1, level + 1)]
        passed, total = sum(s[0] for s in score), sum(s[1] for s in score)
        following = f"unlocks level {level + 1}" if level < len(attempt.levels) else "ends it"
        outcome.lines.append(
            f"interview: minute {minutes:.1f} of {attempt.budget_minutes}; {passed} of {total} "
            f"correctness checks of levels 1..{level} pass: passing them all {following}"
        )
    interview.save()
    return outcome


def finish(kata: Kata, interview: Interview, now: Now = utc_now) -> None:
    """End the attempt now, whatever it has passed; raises InterviewError if it already ended."""
    if interview.finished:
        ended = interview.attempt.finished_at
        raise InterviewError(
            f"this interview of {kata.id} already ended at minute "
            f"{interview.attempt.minutes or 0:.1f} ({ended:%Y-%m-%d %H:%M}); `kata status "
            f"{kata.id}` shows it and `kata start {kata.id} --interview --force` starts anew"
        )
    moment, _ = interview.read_clock(now)
    _end(interview, moment, "finished")
    interview.save()


def _shown(kata: Kata, path: Path) -> str:
    try:
        return str(path.relative_to(kata.root))
    except ValueError:
        return str(path)


def _fraction(pair: tuple[int, int] | None) -> str:
    return "-" if pair is None else f"{pair[0]}/{pair[1]}"


def _minute(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _quality(grade: GradeRecord) -> str:
    if grade.ruff_findings is None and grade.mypy_findings is None:
        return "ruff and mypy not run (graded with --no-quality)"
    ruff = "not run" if grade.ruff_findings is None else f"{grade.ruff_findings} finding(s)"
    mypy = "not run" if grade.mypy_findings is None else f"{grade.mypy_findings} error(s)"
    return f"ruff {ruff} · mypy {mypy}"


def _bugs(grade: GradeRecord) -> str:
    if grade.bugs_total is None:
        return "your tests: not graded"
    aside = f" ({len(grade.tests_set_aside)} test(s) set aside)" if grade.tests_set_aside else ""
    return f"your tests caught {grade.bugs_caught} of {grade.bugs_total} planted bugs{aside}"


def grade_line(grade: GradeRecord) -> str:
    """One line about a grade: per-level score, bug catch and code quality."""
    levels = [
        f"Level {n} {_fraction(grade.level_score(n))}" for n in range(1, grade.levels_graded + 1)
    ]
    score = " · ".join([*levels, f"{grade.percent}%"])
    return f"{score} · {_bugs(grade)} · {_quality(grade)}"


def render_status(kata: Kata, interview: Interview, now: Now = utc_now) -> list[str]:
    """`kata status`: the clock against the budget, each level's minutes, the last grade."""
    attempt = interview.attempt
    minutes = interview.minutes(now)
    budget = attempt.budget_minutes
    if interview.finished:
        state = f"ended ({attempt.finish_reason}) after {minutes:.1f} min"
    else:
        state = f"minute {minutes:.1f} of {budget}"
    over = minutes - budget
    if over > 0:
        clock = f"{over:.1f} min over your {budget} min budget"
    else:
        clock = "within budget" if interview.finished else f"{-over:.1f} min left"
    lines = [
        f"{kata.title} ({kata.id}) · interview started {attempt.started_at:%Y-%m-%d %H:%M} · "
        f"{state} · {clock}"
    ]
    for times in attempt.levels:
        name = f" — {times.name}" if times.name else ""
        if times.unlocked_minute is None:
            lines.append(f"  level {times.level}{name}: locked")
            continue
        passed = (
            f"passed at minute {times.passed_minute:.1f} ({times.minutes_taken or 0:.1f} min)"
            if times.passed_minute is not None
            else "not passed yet"
        )
        lines.append(
            f"  level {times.level}{name}: unlocked at minute {times.unlocked_minute:.1f}, {passed}"
        )
    grade = interview.last_grade
    if grade is None:
        lines.append(f"last grade: none yet (`kata grade {kata.id}`)")
    else:
        at = "" if grade.elapsed_minutes is None else f" at minute {grade.elapsed_minutes:.1f}"
        lines.append(f"last grade{at}: {grade_line(grade)}")
        if grade.error:
            lines.append(f"  error: {grade.error}")
    if not interview.finished:
        lines.append(f"next: kata grade {kata.id}   (or kata finish {kata.id} to end it here)")
    return lines


def render_scorecard(
    kata: Kata, interview: Interview, earlier: Sequence[Attempt] | None
) -> list[str]:
    """The scorecard of an ended attempt: minutes, checks and bug catch per level, code quality,
    the overrun, and how it compares with `earlier` attempts (None: history unavailable)."""
    attempt = interview.attempt
    grade = interview.last_grade
    minutes = attempt.minutes or 0.0
    reason = {
        "passed": "every level passed",
        "finished": "ended with `kata finish`",
        "abandoned": "abandoned (started again)",
    }.get(attempt.finish_reason, attempt.finish_reason)
    width = max(len(f"{t.level} {t.name}") for t in attempt.levels)
    lines = [
        f"Scorecard: {kata.title} ({kata.id}), interview of "
        f"{attempt.started_at:%Y-%m-%d %H:%M} · {attempt.passed} of {len(attempt.levels)} "
        f"levels passed · {reason}",
        f"  {'level':<{width}} {'unlocked':>8} {'passed':>7} {'minutes':>7}  {'checks':>6}  "
        "bugs caught",
    ]
    for times in attempt.levels:
        label = f"{times.level} {times.name}"
        checks = grade.level_score(times.level) if grade else None
        bugs = grade.level_score(times.level, (BUGS,)) if grade else None
        if times.unlocked_minute is None:
            lines.append(f"  {label:<{width}} {'locked':>8}")
            continue
        lines.append(
            f"  {label:<{width}} {_minute(times.unlocked_minute):>8} "
            f"{_minute(times.passed_minute):>7} "
            f"{_minute(times.minutes_taken):>7}  {_fraction(checks):>6}  {_fraction(bugs)}"
        )
    over = attempt.over_budget
    budget = (
        f"{over:.1f} min over your {attempt.budget_minutes} min budget"
        if over > 0
        else f"within your {attempt.budget_minutes} min budget"
    )
    lines.append(f"  time: {minutes:.1f} min, {budget}")
    if grade is not None:
        lines.append(f"  last grade: {grade.percent}% · {_bugs(grade)}")
        lines.append(f"  code quality: {_quality(grade)}")
    else:
        lines.append("  last grade: none (the attempt ended before any grade)")
    lines.extend(_comparison(attempt, earlier))
    return lines


def _comparison(attempt: Attempt, earlier: Sequence[Attempt] | None) -> list[str]:
    if earlier is None:
        return ["  earlier attempts: unknown (the history could not be read)"]
    before = [
        a
        for a in earlier
        if a.uid != attempt.uid
        and a.kata == attempt.kata
        and a.finished_at is not None
        and a.started_at <= attempt.started_at
    ]
    if not before:
        return ["  earlier attempts: none; this is your first at this kata"]
    best = min(before, key=lambda a: (-a.passed, a.minutes or 0.0))
    lines = [
        f"  earlier attempts: {len(before)}; best: {best.passed} of {len(best.levels)} levels in "
        f"{best.minutes or 0:.1f} min ({best.started_at:%Y-%m-%d}); this one: {attempt.passed} "
        f"in {attempt.minutes or 0:.1f} min{_verdict(attempt, best)}"
    ]
    for times in attempt.levels:
        taken = [
            t.minutes_taken
            for a in before
            for t in a.levels
            if t.level == times.level and t.minutes_taken is not None
        ]
        if times.minutes_taken is not None and taken:
            lines.append(
                f"    level {times.level}: {times.minutes_taken:.1f} min (best earlier "
                f"{min(taken):.1f})"
            )
    return lines


def _verdict(attempt: Attempt, best: Attempt) -> str:
    if attempt.passed != best.passed:
        more = attempt.passed - best.passed
        return f": {abs(more)} level(s) {'more' if more > 0 else 'fewer'} than your best"
    delta = (best.minutes or 0.0) - (attempt.minutes or 0.0)
    return f": {abs(delta):.1f} min {'faster' if delta >= 0 else 'slower'} than your best"
