"""`kata watch`, end to end: a real watch process on the fixture repository's `toy` kata.

The tests wait for positive evidence (lines of output, processes appearing or going away) with
long timeouts, so a busy machine makes them slower, never wrong.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kata.cli import main

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="follows processes through /proc"
)

REFERENCE = "solutions/toy/solution.py"
OPTIONS = ("--no-quality", "--seed", "7", "--debounce", "200")
PATIENCE = 90.0
"""Seconds to wait for any one piece of evidence."""


def children_of(pid: int) -> set[int]:
    """Every live (not zombie) process descended from `pid`."""
    parents: dict[int, int] = {}
    states: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                states[int(entry.name)], parents[int(entry.name)] = fields[0], int(fields[1])
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for child, its_parent in parents.items():
            if its_parent == parent and child not in found:
                found.add(child)
                todo.append(child)
    return {p for p in found if states.get(p) != "Z"}


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def age(pid: int) -> float:
    """Seconds since `pid` started (0 if it is gone)."""
    try:
        started = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, IndexError, ValueError):
        return 0.0
    return uptime - started / os.sysconf("SC_CLK_TCK")


def command_line(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    return ""


def parent_of(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def is_check_run(pid: int) -> bool:
    """A process running hidden checks: a new interpreter (``-m pytest checks``), or a run the
    fork server forked (it shows the server's command line, and its parent is the server)."""
    line = command_line(pid)
    if " -m pytest checks " in line:
        return True
    return "kata.forkserver" in line and "kata.forkserver" in command_line(parent_of(pid))


def wait_for(what: str, condition: object, timeout: float = PATIENCE) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f} s waiting for {what}"
        time.sleep(0.1)


class WatchProcess:
    """A `kata watch toy` process whose output lines are read as they come."""

    def __init__(self, root: Path, home: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kata.cli", "--root", str(root), "watch", "toy", *OPTIONS],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            env={**os.environ, "KATA_HOME": str(home)},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def expect(self, pattern: str, timeout: float = PATIENCE) -> str:
        """The next line matching `pattern` (a regex); fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self.lines.get(timeout=max(left, 0.01))
            except queue.Empty:
                transcript = "\n".join(self.seen[-40:])
                pytest.fail(f"no line matching {pattern!r} within {timeout:.0f} s:\n{transcript}")
            self.seen.append(line)
            if re.search(pattern, line):
                return line

    def grading_processes(self) -> set[int]:
        """Every process of the running grade, once a hidden-check process of it has run for
        two seconds (so it is busy with a check, not starting or ending)."""

        def busy() -> bool:
            return any(is_check_run(p) and age(p) >= 2.0 for p in children_of(self.process.pid))

        wait_for("a busy grading process", busy)
        return children_of(self.process.pid)

    def close(self) -> None:
        """Kill whatever is left (only reached when a test failed half-way)."""
        for pid in children_of(self.process.pid):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)


@pytest.fixture
def watching(toy_root: Path, tmp_path: Path) -> Iterator[WatchProcess]:
    assert main(["start", "toy"], root=toy_root, home=tmp_path / "home") == 0
    process = WatchProcess(toy_root, tmp_path / "home")
    try:
        yield process
    finally:
        process.close()


def save(path: Path, text: str) -> None:
    """Save the way many editors do: write a new file, rename it over the old one."""
    scratch = path.with_name(path.name + ".saving")
    scratch.write_text(text)
    os.replace(scratch, path)


def slow(root: Path) -> str:
    """The reference, with an `add` that hangs: each check of it runs into its time limit."""
    source = (root / REFERENCE).read_text()
    return "import time\n" + source.replace(
        "        self.total += n\n", "        time.sleep(300)\n        self.total += n\n"
    )


def test_a_save_grades_again_and_a_save_during_a_grade_cancels_it(
    watching: WatchProcess, toy_root: Path, tmp_path: Path
) -> None:
    solution = toy_root / "work" / "toy" / "solution.py"
    watching.expect(r"^watching ")
    watching.expect(r"grade 1 \(start\)")
    watching.expect(r"^grade 1: fail")
    watching.expect(r"Level 1 — Adding +0/2")
    watching.expect(r"NotImplementedError")
    watching.expect(r"^waiting for a save")

    save(solution, (toy_root / REFERENCE).read_text())
    watching.expect(r"grade \d+ \(solution\.py saved\)")
    watching.expect(r"^grade \d+: pass · 100%")
    watching.expect(r"Level 2 — Resetting +1/1")
    watching.expect(r"^waiting for a save")

    save(solution, slow(toy_root))
    watching.expect(r"grade \d+ \(solution\.py saved\)")
    hung = watching.grading_processes()
    save(solution, (toy_root / REFERENCE).read_text())
    watching.expect(r"solution\.py saved during grade \d+: stopped it")
    wait_for("the cancelled grade's processes to end", lambda: not any(map(alive, hung)))
    watching.expect(r"^grade \d+: pass · 100%")
    assert not any("grade" in line and "fail" in line for line in watching.seen[6:]), (
        "the cancelled grade reported nothing"
    )
    finished = [line for line in watching.seen if re.match(r"grade \d+: (pass|fail)", line)]
    with sqlite3.connect(tmp_path / "home" / "history.sqlite3") as db:
        recorded = db.execute("SELECT count(*) FROM grades").fetchone()[0]
    assert recorded == len(finished) == 3, "every finished grade is recorded, the cancelled one not"


def test_ctrl_c_stops_the_watch_and_leaves_no_process(
    watching: WatchProcess, toy_root: Path
) -> None:
    solution = toy_root / "work" / "toy" / "solution.py"
    watching.expect(r"^grade 1: fail")
    save(solution, slow(toy_root))
    watching.expect(r"grade \d+ \(solution\.py saved\)")
    everything = watching.grading_processes()
    watching.process.send_signal(signal.SIGINT)
    watching.expect(r"^stopped watching; no grade is running")
    assert watching.process.wait(timeout=PATIENCE) == 0
    wait_for("every process of the watch to end", lambda: not any(map(alive, everything)))


# --- the summary, without processes ---------------------------------------------------------


def test_the_summary_is_one_line_per_level_and_the_first_failure_in_full(toy_root: Path) -> None:
    from kata.catalog import load_kata
    from kata.interview import Outcome
    from kata.render import outcome_lines
    from kata.watch import Summary

    data = {
        "status": "fail",
        "tests": [
            {"name": "adds", "status": "pass", "level": 1, "kind": "correctness"},
            {
                "name": "resets",
                "status": "fail",
                "level": 2,
                "kind": "correctness",
                "clauses": ["L2.1"],
                "message": "expected 5, got 0",
                "test_code": "total.reset()",
            },
            {"name": "also resets", "status": "fail", "level": 2, "kind": "correctness"},
            {"name": "ruff check finds no problems", "status": "pass", "kind": "quality"},
        ],
        "user_tests": {"bugs_caught": 1, "bugs_total": 2, "set_aside": 1},
    }
    lines = Summary(load_kata("toy", toy_root), unicode=False).lines(data)
    assert lines[0].split() == ["Level", "1", "—", "Adding", "1/1", "+"]
    assert lines[1].split() == ["Level", "2", "—", "Resetting", "0/2", "x"]
    text = "\n".join(lines)
    assert "x resets" in text and "also resets" not in text, "only the first failure"
    assert "L2.1: `reset()` sets the total back to 0" in text
    assert "expected 5, got 0" in text and "total.reset()" in text
    assert "your tests: 1 of 2 planted bugs caught · 1 set aside" in text
    assert "quality: ruff clean" in text
    news = {"kind": "unlocked", "minute": 4.0, "level": 1, "levels": 2, "budget": 10,
            "name": "Resetting"}  # fmt: skip
    assert "interview: level 1 passed at minute 4.0. Level 2 — Resetting unlocked" in "\n".join(
        outcome_lines(load_kata("toy", toy_root), Outcome(**news), "README.md")
    ), "the interview's news comes from the report's fields, not from printed text"


def quiet_batches(count: int) -> Iterator[set[tuple[object, str]]]:
    """`count` empty batches of file events, a tenth of a second apart."""
    for _ in range(count):
        time.sleep(0.1)
        yield set()


def test_a_watch_follows_the_workspace_folder_not_a_backup_of_it(
    watching: WatchProcess, toy_root: Path, tmp_path: Path
) -> None:
    watching.expect(r"^grade 1: fail")
    watching.expect(r"^waiting for a save")
    assert main(["start", "toy", "--force"], root=toy_root, home=tmp_path / "home") == 0
    backup = next(p for p in (toy_root / "work").iterdir() if ".backup-" in p.name)
    save(backup / "solution.py", (toy_root / REFERENCE).read_text())
    tests = toy_root / "work" / "toy" / "test_solution.py"
    save(tests, tests.read_text() + "\n# a change\n")
    line = watching.expect(r"grade \d+ \(")
    assert "(test_solution.py saved)" in line, "the save in the backup is not followed"
    watching.expect(r"^grade \d+: fail")


def test_h_and_enter_shows_a_hint_while_watching(toy_root: Path) -> None:
    import io

    from kata.catalog import load_kata
    from kata.watch import watch

    hints: list[str] = []
    out = io.StringIO()
    code = watch(
        load_kata("toy", toy_root),
        [sys.executable, "-c", "pass"],
        folder=toy_root,
        events=quiet_batches(20),
        out=out,
        on_hint=lambda: hints.append("shown"),
        keys=io.StringIO("h\n"),
    )
    assert code == 0 and hints == ["shown"], out.getvalue()
