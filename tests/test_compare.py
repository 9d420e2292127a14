"""`kata compare`: checks per level, speed side by side, code quality, where the reference is."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from kata.cli import main

SLOW = '''
class RunningTotal:
    """Correct but keeps every value: add costs O(n)."""

    def __init__(self) -> None:
        self.values: list[int] = []

    def add(self, n: int) -> int:
        self.values.append(n)
        return sum(self.values)

    def reset(self) -> int:
        old = sum(self.values)
        self.values = []
        return old
'''


def compare(root: Path, *argv: str) -> int:
    return main(["compare", "toy", "--seed", "1", *argv], root=root, rng=random.Random(0))


def test_compare_reports_a_slow_solution_whose_cost_grows_with_size(
    toy_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    slow = tmp_path / "slow.py"
    slow.write_text(SLOW)
    out_json = tmp_path / "c.json"
    assert compare(toy_root, "--solution", str(slow), "--json", str(out_json)) == 0
    out = capsys.readouterr().out
    assert "Level 1              2/2        2/2" in out
    assert "yours grows with size" in out
    data = json.loads(out_json.read_text())
    probe = data["probes"][0]
    assert probe["name"] == "add" and probe["growth"]["yours"] > 5 > probe["growth"]["reference"]
    assert data["yours"]["ruff"] == 0 and data["yours"]["lines_of_code"] > 0
    assert "class RunningTotal" not in out, "the reference is a spoiler, shown only on request"


def test_compare_on_the_stub_reports_its_failures_without_crashing(
    toy_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert compare(toy_root, "--solution", str(toy_root / "katas/toy/solution.py")) == 0
    out = capsys.readouterr().out
    assert "Level 1              0/2        2/2" in out
    assert "error: yours raised NotImplementedError" in out


def test_compare_shows_the_reference_only_with_show_reference(
    toy_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = str(toy_root / "solutions/toy/solution.py")
    assert compare(toy_root, "--solution", ref, "--show-reference") == 0
    out = capsys.readouterr().out
    assert "class RunningTotal" in out and "solutions/toy/NOTES.md" in out


def test_compare_on_an_unloadable_solution_is_an_error(
    toy_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("def (:\n")
    assert compare(toy_root, "--solution", str(broken)) == 2
    assert "SyntaxError" in capsys.readouterr().out
