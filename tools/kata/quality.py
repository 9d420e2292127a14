"""Code-quality checks of a solution file: ruff findings and mypy --strict errors.

Neither tool executes the file. Each becomes a check of kind ``quality``; they are reported beside
the correctness checks and count towards the verdict only with ``--strict-quality``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from kata import scratch
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


def _findings(tool: str, options: list[str], path: Path, timeout: float) -> Findings:
    """Run `python -m tool *options solution.py` on a copy of `path` in a scratch directory and
    keep the lines that report a problem in the file; exit codes 0 and 1 are the tool's verdicts."""
    with scratch.folder("quality") as tmp:
        shutil.copyfile(path, Path(tmp) / "solution.py")
        argv = [sys.executable, "-m", tool, *options, "solution.py"]
        try:
            done = subprocess.run(
                argv, cwd=tmp, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            return Findings(tool, 0, (), error=f"{tool} did not finish within {timeout:g} s")
    out = done.stdout + done.stderr
    if done.returncode not in (0, 1):
        return Findings(tool, 0, (), error=out.strip()[-500:] or f"{tool} failed")
    lines = tuple(
        line
        for line in out.splitlines()
        if line.startswith("solution.py:") and ": note:" not in line
    )
    return Findings(tool, len(lines), lines)


def ruff(path: Path, timeout: float = 60) -> Findings:
    """ruff's findings on `path` with this project's rule set, independent of any config file."""
    options = ["check", "--isolated", "--no-cache", "--output-format", "concise"]
    options += ["--select", RUFF_RULES, "--ignore", RUFF_IGNORE]
    options += ["--line-length", "100", "--target-version", "py311"]
    return _findings("ruff", options, path, timeout)


def mypy(path: Path, timeout: float = 120, cache_dir: Path | None = None) -> Findings:
    """mypy --strict errors in `path`, with no configuration file. With `cache_dir`, mypy keeps
    what it learnt of the standard library and numpy there (its own incremental cache, keyed by
    mypy's version and options), so a later check of a changed file takes about 2 s instead of
    about 9 s; without one it keeps nothing."""
    options = ["--strict", "--no-error-summary", "--hide-error-context", "--no-color-output"]
    options += ["--cache-dir", str(cache_dir) if cache_dir else "/dev/null", "--config-file", ""]
    return _findings("mypy", options, path, timeout)


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
