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
    long = []
    for path in sorted((TOOLS / "kata").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > LONGEST:
                    long.append(f"{Path(path).name}:{node.lineno} {node.name}: {lines} lines")
    assert long == []
