"""Code-quality checks of a solution file: ruff findings and mypy --strict errors.

Neither tool executes the file. Each becomes a check of kind ``quality``; they are reported beside
the correctness checks and count towards the verdict only with ``--strict-quality``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kata.grading import Check

RUFF_RULES = "E,F,W,B,UP,SIM,RUF,PL,C90,N"
RUFF_IGNORE = "PLR2004,PLR0913"
SHOWN = 5


@dataclass(frozen=True)
class Findings:
    """What one tool said about a file."""

    tool: str
    count: int
    lines: tuple[str, ...]
    error: str = ""


def _run(argv: list[str], cwd: Path, timeout: float) -> tuple[int, str]:
    try:
        done = subprocess.run(
            argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return -1, f"{argv[2]} did not finish within {timeout:g} s"
    return done.returncode, done.stdout + done.stderr


def ruff(path: Path, timeout: float = 60) -> Findings:
    """ruff's findings on `path` with this project's rule set, independent of any config file."""
    with tempfile.TemporaryDirectory(prefix="kata-quality-") as tmp:
        shutil.copyfile(path, Path(tmp) / "solution.py")
        code, out = _run(
            [
                sys.executable,
                "-m",
                "ruff",
                "check",
                "--isolated",
                "--no-cache",
                "--output-format",
                "concise",
                "--select",
                RUFF_RULES,
                "--ignore",
                RUFF_IGNORE,
                "--line-length",
                "100",
                "--target-version",
                "py311",
                "solution.py",
            ],
            Path(tmp),
            timeout,
        )
    lines = tuple(line for line in out.splitlines() if line.startswith("solution.py:"))
    if code not in (0, 1):
        return Findings("ruff", 0, (), error=out.strip()[-500:] or "ruff failed")
    return Findings("ruff", len(lines), lines)


def mypy(path: Path, timeout: float = 120) -> Findings:
    """mypy --strict errors in `path`."""
    with tempfile.TemporaryDirectory(prefix="kata-quality-") as tmp:
        shutil.copyfile(path, Path(tmp) / "solution.py")
        code, out = _run(
            [
                sys.executable,
                "-m",
                "mypy",
                "--strict",
                "--no-error-summary",
                "--hide-error-context",
                "--no-color-output",
                "--cache-dir",
                str(Path(tmp) / ".mypy_cache"),
                "solution.py",
            ],
            Path(tmp),
            timeout,
        )
    lines = tuple(
        line for line in out.splitlines() if line.startswith("solution.py:") and ": error:" in line
    )
    if code not in (0, 1):
        return Findings("mypy", 0, (), error=out.strip()[-500:] or "mypy failed")
    return Findings("mypy", len(lines), lines)


def as_check(findings: Findings) -> Check:
    """A quality check that passes when the tool found nothing."""
    name = {"ruff": "ruff check finds no problems", "mypy": "mypy --strict finds no type errors"}[
        findings.tool
    ]
    check = Check(id=f"quality::{findings.tool}", name=name, level=0, kind="quality")
    if findings.error:
        check.message = f"{findings.tool} could not check the file: {findings.error}"
    elif findings.count:
        shown = "\n".join(findings.lines[:SHOWN])
        more = f"\n(+{findings.count - SHOWN} more)" if findings.count > SHOWN else ""
        check.status = "fail"
        check.message = f"{findings.count} finding(s):\n{shown}{more}"
    else:
        check.status = "pass"
    return check
