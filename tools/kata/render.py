"""Every text a person reads about a workspace, an interview and the history, made from model
objects (the grade report's own lines are `kata.report.Printer`'s). Nothing here reads a file or
the clock, and nothing decides anything.

Terminals that cannot print a character used here (``·``, ``—``, ``✓``) get an ASCII stand-in
through `ascii_fallback`, never an error.
"""

from __future__ import annotations

import codecs
import contextlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from kata.catalog import Kata
from kata.interview import Outcome
from kata.model import BUGS, Attempt, GradeRecord, MissedBug
from kata.workspace import State, Workspace

_ASCII = dict(
    zip(
        "\u00b7\u2014\u2013\u2713\u2717\u2192\u00d7\u2264\u2265\u2212\u201c\u201d\u2018\u2019"
        "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588",
        [
            "-",
            "-",
            "-",
            "+",
            "x",
            "->",
            "x",
            "<=",
            ">=",
            "-",
            '"',
            '"',
            "'",
            "'",
            ".",
            "_",
            "-",
            "~",
            "=",
            "+",
            "*",
            "#",
        ],
        strict=True,
    )
)
"""Characters this project prints -> what an ASCII terminal shows instead."""


def _stand_in(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    text = error.object[error.start : error.end]
    return "".join(_ASCII.get(char, "?") for char in text), error.end


codecs.register_error("kata-ascii", _stand_in)


def ascii_fallback(*streams: TextIO) -> None:
    """Make `streams` print an ASCII stand-in for any character their encoding lacks."""
    for stream in streams:
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="kata-ascii")  # type: ignore[attr-defined]


def unicode_ok(stream: TextIO) -> bool:
    """Whether `stream` prints Unicode (else the ASCII variants of sparklines and marks)."""
    return (getattr(stream, "encoding", None) or "").lower().replace("-", "").startswith("utf")


def _fraction(pair: tuple[int, int] | None) -> str:
    return "-" if pair is None else f"{pair[0]}/{pair[1]}"


def _minute(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _named(level: int, name: str) -> str:
    return f"Level {level}" + (f" — {name}" if name else "")


def outcome_lines(kata: Kata, outcome: Outcome, readme: str) -> list[str]:
    """What a grade did to the interview, in a line."""
    o, kid, more = outcome, kata.id, outcome.level < outcome.levels
    clock = f"minute {o.minute:.1f} of {o.budget}"
    texts = {
        "error": f"{clock}; nothing could be graded, so nothing is unlocked: fix the error and "
        "grade again",
        "other-levels": f"grade levels 1..{o.level} (`kata grade {kid}`) "
        + ("to unlock the next" if more else "to end the interview"),
        "progress": f"{clock}; {o.passed} of {o.total} correctness checks of levels 1..{o.level} "
        "pass: passing them all " + (f"unlocks level {o.level + 1}" if more else "ends it"),
        "unlocked": f"level {o.level} passed at minute {o.minute:.1f}. "
        f"{_named(o.level + 1, o.name)} unlocked: its requirements are appended at the end of "
        f"{readme} (nothing above them was changed)",
        "passed": f"level {o.level}, the last, passed at minute {o.minute:.1f}: the interview "
        "is over",
        "replaced": "the workspace holds another attempt now (started during this grade); this "
        "grade is recorded and unlocks nothing",
        "ended": f"this attempt ended at minute {o.minute:.1f}; grades unlock nothing now "
        f"(`kata finish {kid}` shows its scorecard, `kata start {kid} --interview --force` "
        "starts anew)",
    }
    return [f"interview: {texts[o.kind]}"]


def start_lines(
    kata: Kata, ws: Workspace, mode: str, backup: Path | None, abandoned: bool
) -> list[str]:
    """What `kata start` says: where everything is, the clock, what to do next."""
    lines = ["the interview in progress there ends as abandoned"] if abandoned else []
    lines += [f"moved your previous work to {backup}"] if backup else []
    if mode == "interview":
        levels = len(kata.levels)
        lines.append(f"started an interview of {kata.id} in {ws.folder}: level 1 of {levels}")
        lines.append(f"  statement, level 1 only: {ws.readme}")
    else:
        lines += [f"started {kata.id} in {ws.folder}", f"  statement: {ws.readme}"]
    lines += [f"  implement: {ws.solution}", f"  your tests: {ws.tests}"]
    if mode == "interview":
        following = "unlocks level 2" if len(kata.levels) > 1 else "ends the interview"
        lines.append(
            f"clock started: {kata.minutes} min budget; `kata status {kata.id}` shows the time"
        )
        lines.append(
            f"then: kata grade {kata.id} (or kata watch {kata.id}); passing level 1 {following}"
        )
    elif mode == "timed":
        lines.append(
            f"clock started: {kata.minutes} min budget; `kata status {kata.id}` shows the time"
        )
    if mode != "interview":
        lines.append(f"then: kata grade {kata.id}")
    return lines


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


def missed_summary(missed: Sequence[MissedBug]) -> str:
    """``missed 3 planted bugs: level 1 (L1.5), level 2 (L2.2, L2.4)``: counts, no spoilers."""
    if not missed:
        return "missed no planted bug"
    levels: dict[int, list[str]] = {}
    for bug in missed:
        clauses = levels.setdefault(bug.level, [])
        if bug.clause not in clauses:
            clauses.append(bug.clause)
    parts = ", ".join(f"level {n} ({', '.join(sorted(c))})" for n, c in sorted(levels.items()))
    return f"missed {len(missed)} planted bug{'s' * (len(missed) != 1)}: {parts}"


def grade_line(grade: GradeRecord) -> str:
    """One line about a grade: per-level score, bug catch and code quality."""
    levels = [
        f"Level {n} {_fraction(grade.level_score(n))}" for n in range(1, grade.levels_graded + 1)
    ]
    return f"{' · '.join([*levels, f'{grade.percent}%'])} · {_bugs(grade)} · {_quality(grade)}"


def _clock_line(kata: Kata, state: State, moment: datetime) -> str:
    minutes = state.minutes_at(moment)
    attempt = state.attempt
    budget = kata.minutes if attempt is None else attempt.budget_minutes
    if attempt is not None and attempt.finished:
        what = f"ended ({attempt.finish_reason}) at minute {minutes:.1f}"
    else:
        what = f"minute {minutes:.1f} of {budget}"
    over = minutes - budget
    if over > 0:
        clock = f"{over:.1f} min over your {budget} min budget"
    elif attempt is not None and attempt.finished:
        clock = "within budget"
    else:
        clock = f"{-over:.1f} min left"
    kind = "interview" if attempt is not None else "timed start"
    return f"{kata.title} ({kata.id}) · {kind} {state.started_at:%Y-%m-%d %H:%M} · {what} · {clock}"


def status_lines(kata: Kata, state: State, moment: datetime) -> list[str]:
    """`kata status`: the clock against the budget, each level's minutes, the last grade."""
    lines = [_clock_line(kata, state, moment)]
    attempt = state.attempt
    for times in attempt.levels if attempt is not None else []:
        label = f"  level {times.level}" + (f" — {times.name}" if times.name else "")
        if times.unlocked_minute is None:
            lines.append(f"{label}: locked")
            continue
        passed = (
            f"passed at minute {times.passed_minute:.1f} ({times.minutes_taken or 0:.1f} min)"
            if times.passed_minute is not None
            else "not passed yet"
        )
        hints = f", {times.hints} hint(s)" if times.hints else ""
        lines.append(f"{label}: unlocked at minute {times.unlocked_minute:.1f}, {passed}{hints}")
    grade = state.last_grade
    if grade is None:
        lines.append(f"last grade: none yet (`kata grade {kata.id}`)")
    else:
        at = "" if grade.elapsed_minutes is None else f" at minute {grade.elapsed_minutes:.1f}"
        lines.append(f"last grade{at}: {grade_line(grade)}")
        if grade.bugs_total is not None:
            lines.append(
                f"  your tests {missed_summary(grade.missed)} (`kata hint {kata.id}` tells one)"
            )
        if grade.error:
            lines.append(f"  error: {grade.error}")
    if attempt is None or not attempt.finished:
        lines.append(f"next: kata grade {kata.id}   (or kata finish {kata.id} to end it here)")
    else:
        lines.append(f"next: kata finish {kata.id} shows the scorecard again")
    return lines


def scorecard_lines(
    kata: Kata, attempt: Attempt, grade: GradeRecord | None, earlier: Sequence[Attempt] | None
) -> list[str]:
    """The scorecard of an ended attempt: minutes, checks, bug catch and hints per level, code
    quality, the overrun, and how it compares with `earlier` attempts (None: unknown)."""
    reason = {
        "passed": "every level passed",
        "finished": "ended with `kata finish`",
        "abandoned": "abandoned (started again)",
    }.get(attempt.finish_reason, attempt.finish_reason)
    width = max(len(f"{t.level} {t.name}") for t in attempt.levels)
    lines = [
        f"Scorecard: {kata.title} ({kata.id}), interview of {attempt.started_at:%Y-%m-%d %H:%M} · "
        f"{attempt.passed} of {len(attempt.levels)} levels passed · {reason}",
        f"  {'level':<{width}} {'unlocked':>8} {'passed':>7} {'minutes':>7}  {'checks':>6}  "
        "bugs caught  hints",
    ]
    for times in attempt.levels:
        label = f"{times.level} {times.name}"
        if times.unlocked_minute is None:
            lines.append(f"  {label:<{width}} {'locked':>8}")
            continue
        checks = grade.level_score(times.level) if grade else None
        bugs = grade.level_score(times.level, (BUGS,)) if grade else None
        unlocked, passed = _minute(times.unlocked_minute), _minute(times.passed_minute)
        lines.append(
            f"  {label:<{width}} {unlocked:>8} {passed:>7} {_minute(times.minutes_taken):>7}  "
            f"{_fraction(checks):>6}  {_fraction(bugs):<11}  {times.hints}"
        )
    over, budget = attempt.over_budget, attempt.budget_minutes
    within = (
        f"{over:.1f} min over your {budget} min budget"
        if over > 0
        else f"within your {budget} min budget"
    )
    lines.append(f"  time: {attempt.minutes or 0.0:.1f} min, {within} · hints {attempt.hints}")
    if grade is not None:
        lines.append(f"  last grade: {grade.percent}% · {_bugs(grade)}")
        lines.append(f"  code quality: {_quality(grade)}")
    else:
        lines.append("  last grade: none (the attempt ended before any grade)")
    return lines + _comparison(attempt, earlier)


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


def hint_lines(kata: Kata, shown: MissedBug | None, remaining: int, missed: int) -> list[str]:
    """`kata hint`: the next missed bug's description, and how many are left."""
    if missed == 0:
        return [
            f"your tests caught every planted bug of the last grade of {kata.id}: no hint to give"
        ]
    if shown is None:
        return [
            f"every hint of the last grade was shown ({missed}); `kata grade {kata.id} --hints` "
            "lists them again"
        ]
    left = f"{remaining} more hint{'s' * (remaining != 1)}" if remaining else "no more hints"
    return [
        f"hint (level {shown.level}, {shown.clause}): your tests miss this planted bug: "
        f"{shown.description}",
        f"{left} for this grade; hints taken are counted on the scorecard",
    ]


SPARKS = "▁▂▃▄▅▆▇█"
ASCII_SPARKS = "._-~=+*#"
TREND_POINTS = 10
GRADES_SHOWN = 10


def sparkline(
    values: Sequence[float | None], top: float | None = None, *, unicode: bool = True
) -> str:
    """One character per value, its height proportional to value / `top` (default: the largest);
    a blank for a missing value."""
    marks = SPARKS if unicode else ASCII_SPARKS
    known = [v for v in values if v is not None]
    top = top if top is not None else max(known, default=0.0)
    out = []
    for value in values:
        if value is None:
            out.append(" ")
        elif top <= 0:
            out.append(marks[0])
        else:
            out.append(marks[round(min(max(value / top, 0.0), 1.0) * (len(marks) - 1))])
    return "".join(out)


def best_grade(grades: Sequence[GradeRecord]) -> GradeRecord | None:
    """The learner's best grade of their own work: the most levels graded, then the highest
    score, then the earliest; grades of the reference or of other files never count."""
    own = [g for g in grades if g.own_work]
    if not own:
        return None
    return max(
        own,
        key=lambda g: (
            not g.error,
            g.levels_graded,
            g.passed / g.total if g.total else 0.0,
            -g.graded_at.timestamp(),
        ),
    )


def _attempt_line(attempt: Attempt, number: int) -> str:
    state = attempt.finish_reason or "running"
    minutes = "" if attempt.minutes is None else f"{attempt.minutes:.1f} min"
    if attempt.over_budget > 0:
        minutes += f" ({attempt.over_budget:.1f} over)"
    passed = [t for t in attempt.levels if t.passed_minute is not None]
    reached = " · ".join(f"level {t.level} at {t.passed_minute or 0:.1f}" for t in passed)
    reached = (reached or "no level passed") + (f"  hints {attempt.hints}" if attempt.hints else "")
    return (
        f"    #{number} {attempt.started_at:%Y-%m-%d %H:%M}  {state:<9} "
        f"{attempt.passed}/{len(attempt.levels)} levels  {minutes:<20} {reached}"
    )


def _grade_row(grade: GradeRecord, attempt_numbers: Mapping[str, int]) -> str:
    bugs = "" if grade.bugs_total is None else f"  bugs {grade.bugs_caught}/{grade.bugs_total}"
    quality = ""
    if grade.ruff_findings is not None or grade.mypy_findings is not None:
        quality = f"  ruff {_count(grade.ruff_findings)} mypy {_count(grade.mypy_findings)}"
    number = attempt_numbers.get(grade.attempt_uid or "")
    attempt = f"  interview #{number}" if number else ""
    score = "error" if grade.error else f"{grade.passed}/{grade.total} {grade.percent}%"
    graded = "" if grade.own_work else f"  {grade.solution} (not your work: not ranked)"
    return (
        f"    {grade.graded_at:%Y-%m-%d %H:%M}  levels 1..{grade.levels_graded}  {score:<12}"
        f"{bugs}{quality}  seed {grade.seed} {grade.profile}{attempt}{graded}"
    )


def _minutes(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def _trend(tries: Sequence[Attempt], mine: Sequence[GradeRecord], unicode: bool) -> list[str]:
    """The trend lines: each glyph stands above the number it shows, oldest to newest."""
    old_first = list(reversed(tries))[-TREND_POINTS:]
    graded = [g for g in reversed(mine) if g.own_work][-TREND_POINTS:]
    lines = []
    if len(old_first) > 1:
        top = float(max(len(a.levels) for a in old_first))
        levels = [float(a.passed) for a in old_first]
        lines.append(
            f"    levels passed per attempt  {sparkline(levels, top, unicode=unicode)}  "
            + " ".join(str(a.passed) for a in old_first)
        )
        minutes = [a.minutes for a in old_first]
        lines.append(
            f"    minutes per attempt        {sparkline(minutes, unicode=unicode)}  "
            + " ".join(_minutes(m) for m in minutes)
        )
    if len(graded) > 1:
        scores = [None if g.error else float(g.percent) for g in graded]
        lines.append(
            f"    score per grade            {sparkline(scores, 100.0, unicode=unicode)}  "
            + " ".join("err" if g.error else f"{g.percent}%" for g in graded)
        )
    return ["  trend, oldest to newest:", *lines] if lines else []


def history_lines(
    attempts: Sequence[Attempt],
    grades: Sequence[GradeRecord],
    titles: Mapping[str, str],
    *,
    unicode: bool = True,
) -> list[str]:
    """`kata history` for a terminal: per kata, the best grade, the interview attempts and the
    grades (newest first), and a trend of levels, minutes and score (oldest first)."""
    lines: list[str] = []
    for kata in sorted({g.kata for g in grades} | {a.kata for a in attempts}):
        mine = [g for g in grades if g.kata == kata]
        tries = [a for a in attempts if a.kata == kata]
        numbers = {a.uid: len(tries) - i for i, a in enumerate(tries)}
        title = titles.get(kata, "")
        lines.append(f"{kata}" + (f" — {title}" if title else ""))
        best = best_grade(mine)
        if best is not None:
            lines.append(
                f"  best: {best.percent}% ({best.passed}/{best.total} checks of levels "
                f"1..{best.levels_graded}) on {best.graded_at:%Y-%m-%d %H:%M}"
            )
        if tries:
            lines.append("  interview attempts, newest first:")
            lines.extend(_attempt_line(a, numbers[a.uid]) for a in tries)
        lines.extend(_trend(tries, mine, unicode))
        if mine:
            lines.append("  grades, newest first:")
            lines.extend(_grade_row(g, numbers) for g in mine[:GRADES_SHOWN])
            if len(mine) > GRADES_SHOWN:
                lines.append(f"    ... {len(mine) - GRADES_SHOWN} older (--json shows all)")
        lines.append("")
    return lines[:-1] if lines else lines


def history_json(
    attempts: Sequence[Attempt], grades: Sequence[GradeRecord], version: int
) -> dict[str, Any]:
    """`kata history --json`: everything recorded, newest first, with the best grade per kata."""
    katas = sorted({g.kata for g in grades} | {a.kata for a in attempts})
    best = {k: best_grade([g for g in grades if g.kata == k]) for k in katas}
    return {
        "version": version,
        "best": {k: (g.as_json() if g else None) for k, g in best.items()},
        "attempts": [a.as_json() for a in attempts],
        "grades": [g.as_json() for g in grades],
    }
