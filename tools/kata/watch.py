"""`kata watch`: grade the workspace again each time solution.py or test_solution.py is saved.

Each grade is ``kata grade ID --json FILE`` run as a child process in a session of its own, so
it grades exactly what `kata grade` would (in an interview, the unlocked levels, unlocking the
next). A save while a grade runs stops that grade (SIGTERM first, so it removes its temporary
folders, then every process it started is killed) and starts a new one. File events come from
`watchfiles`, debounced; the workspace is watched by its path, so a folder moved away by
`kata start --force` is not followed. `h` and Enter shows a hint. The output is compact: one
line per level, the first failure in full, and the interview's news from the report's
``interview`` field. Ctrl-C, SIGTERM and SIGHUP stop the running grade and return.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import watchfiles

from kata.catalog import Kata
from kata.errors import KataError
from kata.interview import Outcome
from kata.render import outcome_lines, unicode_ok
from kata.sandbox import descendants
from kata.scratch import make as make_scratch

WATCHED = ("solution.py", "test_solution.py")
STOP_GRACE_S = 5.0
"""How long a stopped grade may take to clean up after SIGTERM before it is killed."""

Batch = set[tuple[Any, str]]
"""One debounced batch of file events: (change, path) pairs, as `watchfiles.watch` yields them."""
Launch = Callable[[Sequence[str], Mapping[str, str], Path], "subprocess.Popen[bytes]"]


def stop_tree(process: subprocess.Popen[bytes]) -> None:
    """Kill `process` (started in a session of its own), its group and every process it started,
    including those in groups of their own (grading processes), and reap it.

    The group is stopped first so that nothing new starts between listing and killing.
    """
    ours = os.getpgrp()
    if process.poll() is None:
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGSTOP)
        tree = descendants(process.pid)
        groups = {process.pid}
        for pid in tree:
            with contextlib.suppress(OSError):
                groups.add(os.getpgid(pid))
        for group in groups - {ours}:
            with contextlib.suppress(OSError):
                os.killpg(group, signal.SIGKILL)
        for pid in tree:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
    process.wait()


def launch(argv: Sequence[str], env: Mapping[str, str], folder: Path) -> subprocess.Popen[bytes]:
    """Start `argv` in a session of its own, its output (stdout and stderr) to a file in
    `folder`."""
    with (folder / "output.txt").open("wb") as output:
        return subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=dict(env),
            start_new_session=True,
        )


@dataclass
class Job:
    """One grade running as a child process; its report and output go to a scratch folder."""

    number: int
    reason: str
    process: subprocess.Popen[bytes]
    folder: Path

    @property
    def report(self) -> Path:
        return self.folder / "report.json"

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """SIGTERM the grade so it stops its processes and removes its folders; kill what is
        left after `STOP_GRACE_S`."""
        with contextlib.suppress(OSError):
            self.process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(STOP_GRACE_S)
        stop_tree(self.process)
        shutil.rmtree(self.folder, ignore_errors=True)

    def result(self) -> tuple[int, dict[str, Any] | None, str]:
        """(exit code, the report as results.json or None, what the grade printed)."""
        code = self.process.wait()
        try:
            data = json.loads(self.report.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = None
        try:
            output = (self.folder / "output.txt").read_text(encoding="utf-8", errors="replace")
        except OSError:
            output = ""
        shutil.rmtree(self.folder, ignore_errors=True)
        return code, data if isinstance(data, dict) else None, output


@dataclass
class Summary:
    """Turns one grade's results.json into a few lines."""

    kata: Kata
    unicode: bool = True
    marks: tuple[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.marks = ("✓", "✗") if self.unicode else ("+", "x")

    def lines(self, data: Mapping[str, Any]) -> list[str]:
        tests = [t for t in data.get("tests", []) if isinstance(t, dict)]
        graded = [t for t in tests if t.get("kind") != "quality"]
        ok, bad = self.marks
        out = []
        for level in sorted({int(t.get("level") or 0) for t in graded}):
            mine = [t for t in graded if int(t.get("level") or 0) == level]
            passed = sum(t.get("status") == "pass" for t in mine)
            name = self.kata.level_name(level)
            label = f"Level {level}" + (f" — {name}" if name else "")
            mark = ok if passed == len(mine) else bad
            out.append(f"  {label:<40} {passed}/{len(mine)} {mark}")
        failing = [t for t in graded if t.get("status") != "pass"]
        # The cause first: a check not decided because another clause failed is folded.
        failed = next((t for t in failing if not t.get("cause")), failing[0] if failing else None)
        if failed is not None:
            out.extend(self._failure(failed))
        knock_ons = [t for t in failing if t.get("cause")]
        if knock_ons:
            causes = sorted({c for t in knock_ons for c in t["cause"]})
            out.append(
                f"  and {len(knock_ons)} more check{'s' * (len(knock_ons) != 1)} not decided: "
                f"{', '.join(causes)} fails first"
            )
        elif data.get("status") == "error":
            out.extend(f"  {line}" for line in str(data.get("message", "")).splitlines()[:40])
        out.extend(self._extras(data, tests))
        return out

    def _failure(self, test: Mapping[str, Any]) -> list[str]:
        out = [f"  {self.marks[1]} {test.get('name', '')}"]
        for clause in test.get("clauses") or []:
            out.append(f"      {clause}: {self.kata.clauses.get(clause, '')}")
        out.extend(f"      {line}" for line in str(test.get("message") or "").splitlines()[:40])
        if test.get("test_code"):
            out.append("      minimal failing example:")
            out.extend(f"        {line}" for line in str(test["test_code"]).splitlines()[:40])
        if test.get("output"):
            out.append("      your code printed:")
            out.extend(f"        {line}" for line in str(test["output"]).splitlines()[:10])
        return out

    def _extras(self, data: Mapping[str, Any], tests: list[dict[str, Any]]) -> list[str]:
        out = []
        user = data.get("user_tests")
        if isinstance(user, dict):
            if user.get("error"):
                out.append(f"  your tests: {str(user['error']).splitlines()[0]}")
            else:
                aside = f" · {user.get('set_aside', 0)} set aside" if user.get("set_aside") else ""
                out.append(
                    f"  your tests: {user.get('bugs_caught', 0)} of {user.get('bugs_total', 0)} "
                    f"planted bugs caught{aside}"
                )
        quality = [t for t in tests if t.get("kind") == "quality"]
        if quality:
            words = [
                f"{str(t.get('name', '')).split()[0]} "
                + (
                    "clean"
                    if t.get("status") == "pass"
                    else str(t.get("message") or "").split(":")[0]
                )
                for t in quality
            ]
            out.append("  quality: " + " · ".join(words))
        return out


def _errors(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("kata: ")] or [
        line for line in output.strip().splitlines()[-5:]
    ]


def _identity(folder: Path) -> tuple[int, int] | None:
    """Which folder `folder` names now (device and inode), or None when there is none."""
    try:
        found = folder.stat()
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _only_watched(change: Any, path: str) -> bool:
    return Path(path).name in WATCHED


def file_events(folder: Path, *, debounce_ms: int = 400, poll: bool = False) -> Iterator[Batch]:
    """Debounced batches of changes to the watched files in `folder`, with an empty batch about
    every quarter second when nothing changed (so the caller can look at its running grade).
    The folder is followed by its path: when the path names another folder (the old one was
    moved to a backup by `kata start --force`), the new one is watched instead."""
    first = True
    while True:
        current = _identity(folder)
        if current is None:
            time.sleep(0.25)
            yield set()
            continue
        if not first:  # a new folder: saves made before it was watched count as changes
            yield {(None, str(folder / name)) for name in WATCHED}
        first = False
        for batch in watchfiles.watch(
            folder,
            watch_filter=_only_watched,
            debounce=debounce_ms,
            step=50,
            rust_timeout=250,
            yield_on_timeout=True,
            force_polling=True if poll else None,
            recursive=False,
        ):
            if _identity(folder) != current:
                break  # this batch may be of the folder moved away: not ours
            yield batch


def watch(
    kata: Kata,
    grade_argv: Sequence[str],
    *,
    folder: Path,
    env: Mapping[str, str] | None = None,
    events: Iterable[Batch] | None = None,
    out: TextIO | None = None,
    start: Launch = launch,
    clock: Callable[[], datetime] = datetime.now,
    debounce_ms: int = 400,
    poll: bool = False,
    on_hint: Callable[[], object] = lambda: None,
    keys: TextIO | None = None,
) -> int:
    """Grade once, then again after each save of a watched file in `folder`, until Ctrl-C,
    SIGTERM or SIGHUP (or until `events` ends: then the last grade is awaited). `grade_argv` is
    the grade command without ``--json``; a line ``h`` on `keys` (default: standard input when
    it is a terminal) calls `on_hint`. Returns 0; no grading process is left running.
    """
    watcher = Watcher(
        kata,
        grade_argv,
        env=dict(os.environ if env is None else env),
        stream=out or sys.stdout,
        start=start,
        clock=clock,
    )
    watcher.folder = folder
    watcher.say(f"watching {folder / WATCHED[0]} and {WATCHED[1]}; Ctrl-C to stop")
    on_main_thread = threading.current_thread() is threading.main_thread()
    stops = (signal.SIGTERM, signal.SIGHUP) if on_main_thread else ()
    previous = {sig: signal.signal(sig, signal.default_int_handler) for sig in stops}
    if keys is None and sys.stdin is not None and sys.stdin.isatty():
        keys = sys.stdin
    watcher.keys = _key_lines(keys) if keys is not None else None
    watcher.on_hint = on_hint
    try:
        if events is None:
            events = file_events(folder, debounce_ms=debounce_ms, poll=poll)
        watcher.run(events)
    except KeyboardInterrupt:
        pass
    finally:
        watcher.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    watcher.say("stopped watching; no grade is running")
    return 0


def _key_lines(stream: TextIO) -> queue.Queue[str]:
    """Lines typed on `stream`, read by a daemon thread into a queue."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in stream:
            lines.put(line.strip())

    threading.Thread(target=read, daemon=True).start()
    return lines


class Watcher:
    """Runs one grade at a time, restarting it on each save, and prints each one's summary."""

    def __init__(
        self,
        kata: Kata,
        grade_argv: Sequence[str],
        *,
        env: Mapping[str, str],
        stream: TextIO,
        start: Launch,
        clock: Callable[[], datetime],
    ) -> None:
        self.grade_argv = list(grade_argv)
        self.env = env
        self.stream = stream
        self.start = start
        self.clock = clock
        self.summary = Summary(kata, unicode=unicode_ok(stream))
        self.kata = kata
        self.job: Job | None = None
        self.count = 0
        self.keys: queue.Queue[str] | None = None
        self.folder: Path | None = None
        self.seen: dict[str, bytes | None] = {}
        self.on_hint: Callable[[], object] = lambda: None

    def say(self, text: str = "") -> None:
        print(text, file=self.stream, flush=True)

    def run(self, events: Iterable[Batch]) -> None:
        """Grade now, then on each batch of events that names a watched file; a batch while a
        grade runs stops it first. When `events` ends, wait for the running grade."""
        self.begin("start")
        for batch in events:
            self.read_keys()
            if self.job is not None and not self.job.running():
                self.report(self.job)
                self.job = None
            saved = self.changed({Path(path).name for _, path in batch} & set(WATCHED))
            if not saved:
                continue
            if self.job is not None:
                self.job.stop()
                self.say(f"{', '.join(saved)} saved during grade {self.job.number}: stopped it")
                self.job = None
            self.begin(f"{', '.join(saved)} saved")
        while self.job is not None and self.job.running():
            time.sleep(0.05)
        if self.job is not None:
            self.report(self.job)
            self.job = None

    def contents(self) -> dict[str, bytes | None]:
        """The watched files of the workspace folder, read by path now."""
        found: dict[str, bytes | None] = {}
        for name in WATCHED:
            try:
                found[name] = (self.folder / name).read_bytes() if self.folder else None
            except OSError:
                found[name] = None
        return found

    def changed(self, names: set[str]) -> list[str]:
        """Of the files `names` an event named, those whose content differs from what the
        last grade saw. A file event can name the old path of a folder that was moved away
        (`kata start --force` makes a backup); reading by path tells the two apart."""
        now = self.contents()
        return sorted(name for name in names if now[name] != self.seen.get(name))

    def read_keys(self) -> None:
        """Act on the lines typed since the last look: ``h`` shows a hint."""
        while self.keys is not None and not self.keys.empty():
            if self.keys.get().lower() in ("h", "hint"):
                try:
                    self.on_hint()
                except KataError as error:
                    self.say(f"kata: {error}")

    def stop(self) -> None:
        """Stop the running grade, if any, and every process it started."""
        if self.job is not None:
            self.job.stop()
            self.job = None

    def begin(self, reason: str) -> None:
        self.count += 1
        self.seen = self.contents()
        scratch = make_scratch("watch")
        argv = [*self.grade_argv, "--json", str(scratch / "report.json")]
        self.say(f"[{self.clock():%H:%M:%S}] grade {self.count} ({reason}) ...")
        self.job = Job(self.count, reason, self.start(argv, self.env, scratch), scratch)

    def report(self, done: Job) -> None:
        code, data, output = done.result()
        if data is None:
            self.say(f"grade {done.number}: could not grade (exit code {code})")
            for line in _errors(output):
                self.say(f"  {line}")
        else:
            score = data.get("score") or {}
            total = int(score.get("total") or 0)
            percent = round(100 * int(score.get("passed") or 0) / total) if total else 0
            duration = float(data.get("duration_s") or 0.0)
            self.say(f"grade {done.number}: {data.get('status')} · {percent}% · {duration:.1f} s")
            for line in self.summary.lines(data):
                self.say(line)
            news = data.get("interview")
            if isinstance(news, dict):
                outcome = Outcome(**news)
                for line in outcome_lines(self.kata, outcome, "README.md"):
                    self.say(line)
                if outcome.finished:
                    self.say(f"the scorecard: kata finish {self.kata.id}")
        self.say("waiting for a save (h and Enter: a hint; Ctrl-C to stop)")
