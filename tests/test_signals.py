"""Signals end everything: SIGTERM (an IDE's stop button) and SIGHUP (a closed terminal) stop a
grade or a watch with every process it started and every temporary folder it made, as Ctrl-C
does; what a `kill -9` leaves behind is removed by the next grade.

Each test gives the command a temporary folder of its own (TMPDIR), so "nothing left" means: no
process working in that folder and no folder in it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kata.cli import main

PATIENCE = 60.0
HANG = """
class RunningTotal:
    def __init__(self) -> None:
        self.total = 0

    def add(self, n: int) -> int:
        while True:
            pass

    def reset(self) -> int:
        return 0
"""


def working_in(folder: Path) -> list[int]:
    """Processes whose current folder is inside `folder`."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            cwd = Path(os.readlink(entry / "cwd"))
        except OSError:
            continue
        if folder in cwd.parents:
            found.append(int(entry.name))
    return found


def wait_for(what: str, condition: Callable[[], object], timeout: float = PATIENCE) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f} s waiting for {what}"
        time.sleep(0.1)


IGNORING_SIGINT = ["bash", "-c", 'trap "" INT; exec "$@"', "bash"]
"""Runs its arguments with SIGINT ignored, as a script's background job starts them."""


def kata(
    root: Path, tmp: Path, home: Path, *argv: str, start: tuple[str, ...] = ()
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KATA_HOME": str(home), "TMPDIR": str(tmp)}
    return subprocess.Popen(
        [*start, sys.executable, "-m", "kata.cli", "--root", str(root), *argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )


def assert_nothing_left(tmp: Path) -> None:
    wait_for("every grading process to end", lambda: not working_in(tmp))
    assert not list(tmp.glob("kata-*")), "every temporary folder is removed"


@pytest.fixture
def tmp(tmp_path: Path) -> Path:
    folder = (tmp_path / "tmp").resolve()
    folder.mkdir()
    return folder


@pytest.mark.parametrize(
    "sig",
    [signal.SIGTERM, signal.SIGHUP, signal.SIGINT],
    ids=["SIGTERM", "SIGHUP", "SIGINT started ignored"],
)
def test_a_signal_stops_a_grade_of_a_hanging_solution_and_leaves_nothing(
    toy_root: Path, tmp_path: Path, tmp: Path, sig: int
) -> None:
    # SIGINT is sent to a grade started with it ignored: Ctrl-C must work however it started.
    hang = tmp_path / "hang.py"
    hang.write_text(HANG)
    start = tuple(IGNORING_SIGINT) if sig == signal.SIGINT else ()
    grade = kata(toy_root, tmp, tmp_path / "home", "grade", "toy", "--solution", str(hang),
                 "--no-quality", "--seed", "1", start=start)  # fmt: skip
    wait_for("a grading process", lambda: working_in(tmp))
    time.sleep(1.0)
    grade.send_signal(sig)
    assert grade.wait(PATIENCE) == 130
    assert_nothing_left(tmp)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_stops_a_watch_mid_grade_and_leaves_nothing(
    toy_root: Path, tmp_path: Path, tmp: Path, sig: int
) -> None:
    home = tmp_path / "home"
    assert main(["start", "toy"], root=toy_root, home=home) == 0
    (toy_root / "work" / "toy" / "solution.py").write_text(HANG)
    watch = kata(toy_root, tmp, home, "watch", "toy", "--no-quality", "--seed", "1")
    wait_for("a grading process", lambda: working_in(tmp))
    time.sleep(1.0)
    watch.send_signal(sig)
    assert watch.wait(PATIENCE) == 0
    assert_nothing_left(tmp)


def test_what_a_kill_9_leaves_is_removed_by_the_next_grade(
    toy_root: Path, tmp_path: Path, tmp: Path
) -> None:
    hang = tmp_path / "hang.py"
    hang.write_text(HANG)
    home = tmp_path / "home"
    grade = kata(toy_root, tmp, home, "grade", "toy", "--solution", str(hang), "--no-quality")
    wait_for("a grading process", lambda: working_in(tmp))
    grade.kill()
    grade.wait(PATIENCE)
    assert list(tmp.glob("kata-*")), "a kill -9 leaves folders behind"
    again = kata(toy_root, tmp, home, "grade", "toy", "--reference", "--no-quality", "--no-tests")
    assert again.wait(PATIENCE * 2) == 0
    assert_nothing_left(tmp)


def test_a_learner_test_that_kills_its_parent_does_not_kill_the_grade(
    toy_root: Path, tmp_path: Path, tmp: Path
) -> None:
    tests = tmp_path / "test_kill.py"
    tests.write_text(
        "import os\nimport signal\n\nfrom solution import RunningTotal\n\n\n"
        "def test_adds() -> None:\n    assert RunningTotal().add(2) == 2\n\n\n"
        "def test_kills_its_parent() -> None:\n    os.kill(os.getppid(), signal.SIGKILL)\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "kata.cli", "--root", str(toy_root), "grade", "toy", "--reference",
         "--tests", str(tests), "--no-quality", "--no-history", "--seed", "1"],
        capture_output=True, text=True, timeout=PATIENCE * 2, check=False,
        env={**os.environ, "TMPDIR": str(tmp)},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "a test killed the process that started it" in done.stdout
    assert "Level 2 1/1" in done.stdout, "the hidden checks are decided as usual"
    assert_nothing_left(tmp)
