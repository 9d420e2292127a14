"""Verdicts point at the cause: a flaw at the TTL boundary fails the L1.5 checks and leaves the
others not decided, the report leads with the cause and folds the rest, and no check can be
satisfied by an object that lies about equality.

That every planted bug of every kata fails exactly the checks of its clause is proved in
test_katas.py, on the same runs that prove each bug caught.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

from verdict_sets import causes

from kata.catalog import ROOT, Kata, load_kata
from kata.grading import SuiteRun, run_suite
from kata.planted import load_bugs
from kata.sandbox import Limits

SEED = 0
LIMITS = Limits(check_seconds=60, run_seconds=600)


@cache
def kata(kid: str) -> Kata:
    return load_kata(kid, ROOT)


def grade_text(kid: str, source: str, *, markers: str | None, level: int | None = None) -> SuiteRun:
    with tempfile.TemporaryDirectory(prefix="kata-precision-") as tmp:
        path = Path(tmp) / "solution.py"
        path.write_text(source, encoding="utf-8")
        return run_suite(
            kata(kid).hidden_suite,
            path,
            kata=kata(kid),
            seed=SEED,
            limits=LIMITS,
            markers=markers,
            level=level,
            shrink=False,
        )


@cache
def ttl_boundary_run() -> SuiteRun:
    """The planted TTL-boundary flaw of recommendation_cache against the whole hidden suite."""
    rc = kata("recommendation_cache")
    bug = next(b for b in load_bugs(rc.planted_bugs) if b.id == "expiry-off-by-one")
    return grade_text(
        rc.id, bug.apply(rc.reference.read_text(encoding="utf-8")), markers="not performance"
    )


def describe(run: SuiteRun) -> str:
    return "\n".join(
        f"- {c.name} {c.clauses} ({c.status}): {c.message.splitlines()[0][:200]}"
        for c in run.checks
        if not c.passed
    )


def test_a_flaw_at_the_ttl_boundary_fails_the_l1_5_checks_and_leaves_the_others_not_decided() -> (
    None
):
    run = ttl_boundary_run()
    decided = [c for c in run.checks if not c.passed and causes(c) is None]
    assert decided and all(c.clauses == ["L1.5"] for c in decided), describe(run)
    knock_ons = [c for c in run.checks if not c.passed and causes(c) == {"L1.5"}]
    cited = {clause for c in knock_ons for clause in c.tested}
    assert {"L1.4", "L1.6"} <= cited, describe(run)
    for check in knock_ons:
        assert check.message.startswith("not decided: L1.5 fails first: "), check.message


def test_a_not_decided_check_is_an_error_cited_to_the_clause_that_fails_first() -> None:
    run = ttl_boundary_run()
    knock_ons = [c for c in run.checks if causes(c) == {"L1.5"}]
    assert knock_ons
    assert all(
        c.status == "error" and c.kind == "correctness" and c.clauses == ["L1.5"] for c in knock_ons
    ), describe(run)


LIAR = '''

class _EqualToEverything:
    """Answers True to every ==, False to every !=."""

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    __hash__ = object.__hash__
'''


def test_a_cache_that_returns_an_object_equal_to_everything_for_a_miss_fails_an_l1_5_check() -> (
    None
):
    source = kata("recommendation_cache").reference.read_text(encoding="utf-8")
    old = "            if entry is None or self._clock() >= entry.expires:\n                return None\n"
    assert source.count(old) == 1
    lying = source.replace(old, old.replace("return None", "return _EqualToEverything()")) + LIAR
    run = grade_text("recommendation_cache", lying, markers="not performance", level=1)
    assert not run.error, run.error
    caught = [c for c in run.checks if not c.passed and causes(c) is None and "L1.5" in c.clauses]
    assert caught, describe(run)


RAISES_NOT_DECIDED = """
import pytest
from kata.verdicts import Breaks, NotDecided


@pytest.mark.clause("L1.6")
def test_reads_do_not_extend() -> None:
    raise NotDecided("L1.5", reason="still fresh at exactly stored time + ttl")


@pytest.mark.clause("L1.6")
def test_plain_failure() -> None:
    assert False, "expected None"


@pytest.mark.clause("L1.2", "L1.8")
def test_random_calls() -> None:
    raise Breaks("L1.8", message="cache.invalidate('p3'): expected False, got True")
"""


def test_the_plugin_records_the_clauses_a_not_decided_check_or_a_failing_example_names(
    tmp_path: Path,
) -> None:
    (tmp_path / "test_it.py").write_text(RAISES_NOT_DECIDED)
    records = tmp_path / "records.jsonl"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "test_it.py",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "kata.pytest_plugin",
            "--kata-results",
            str(records),
        ],
        cwd=tmp_path,
        capture_output=True,
        check=False,
        timeout=60,
    )
    results = {
        r["id"]: r
        for r in map(json.loads, records.read_text().splitlines())
        if r.get("event") == "result"
    }
    undecided = results["test_it.py::test_reads_do_not_extend"]
    assert undecided["outcome"] == "undecided" and undecided["clauses"] == ["L1.5"]
    assert undecided["message"] == (
        "not decided: L1.5 fails first: still fresh at exactly stored time + ttl"
    )
    assert undecided["where"] == ""
    plain = results["test_it.py::test_plain_failure"]
    assert plain["outcome"] == "failed" and "clauses" not in plain
    narrowed = results["test_it.py::test_random_calls"]
    assert narrowed["outcome"] == "failed" and narrowed["clauses"] == ["L1.8"]
    assert narrowed["message"] == "cache.invalidate('p3'): expected False, got True"


def test_the_report_of_a_ttl_boundary_flaw_leads_with_the_l1_5_check_and_folds_the_rest(
    tmp_path: Path,
) -> None:
    bug = next(b for b in load_bugs(kata("recommendation_cache").planted_bugs)
               if b.id == "expiry-off-by-one")  # fmt: skip
    path = tmp_path / "solution.py"
    path.write_text(bug.apply(kata("recommendation_cache").reference.read_text()))
    done = subprocess.run(
        [sys.executable, "-m", "kata.cli", "grade", "recommendation_cache", "--solution", str(path),
         "--no-quality", "--seed", "1", "--level", "2", "--no-history"],
        capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )  # fmt: skip
    lines = done.stdout.splitlines()
    shown = [i for i, line in enumerate(lines) if line.lstrip().startswith("✗")]
    assert shown, done.stdout
    assert lines[shown[0] + 1].strip().startswith("L1.5:"), "the cause comes first"
    assert all(lines[i + 1].strip().startswith("L1.5:") for i in shown), "only the cause in full"
    folded = [line for line in lines if "not decided: L1.5 fails first" in line]
    assert len(folded) == 1 and "checks" in folded[0], done.stdout
