"""The runner is held to the bar it grades learners by: ruff with the learner's rules and line
length, `ruff format`, and no function longer than 50 lines in `tools/kata/`."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from kata import quality
from kata.catalog import ROOT

TOOLS = ROOT / "tools"
LONGEST = 50
STILL_LONG = {
    # Functions over the limit today, each to be split; the test fails when one grows back or
    # a new one appears, and when one listed here is short again (then strike it).
    "compare.py print_comparison",
    "gradebench.py main",
    "gradebench.py graded",
    "grading.py run_suite",
    "history.py open",
    "usertests.py grade_user_tests",
}


def ruff(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *argv], capture_output=True, text=True, check=False
    )


def test_the_runner_has_no_finding_under_the_learners_ruff_rules() -> None:
    done = ruff(
        "check", "--isolated", "--no-cache", "--output-format", "concise",
        "--select", quality.RUFF_RULES, "--ignore", quality.RUFF_IGNORE,
        "--line-length", "100", "--target-version", "py311", str(TOOLS),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_runner_is_formatted() -> None:
    done = ruff("format", "--check", "--line-length", "100", str(TOOLS))
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_function_of_the_runner_is_longer_than_50_lines() -> None:
    long = set()
    for path in sorted((TOOLS / "kata").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > LONGEST:
                    long.add(f"{Path(path).name} {node.name}")
    assert long == STILL_LONG


def test_mypy_with_a_cache_folder_finds_the_same_errors_and_keeps_its_cache_there(
    tmp_path: Path,
) -> None:
    source = tmp_path / "mine.py"
    source.write_text("def half(n: int) -> int:\n    return n / 2\n", encoding="utf-8")
    cache = tmp_path / "cache"
    without = quality.mypy(source)
    first, again = quality.mypy(source, cache_dir=cache), quality.mypy(source, cache_dir=cache)
    assert without.count == first.count == again.count == 1, without
    assert without.lines == first.lines == again.lines
    kept = cache / f"{sys.version_info.major}.{sys.version_info.minor}"
    assert sum(f.stat().st_size for f in kept.iterdir()) > 100_000, "the analysis is kept"
    assert source.read_text(encoding="utf-8").endswith("n / 2\n"), "the file is left as it was"
