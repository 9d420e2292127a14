"""Every kata keeps its promises: the reference passes its hidden suite, the stub fails every check,
each planted bug is caught, each other correct implementation passes, every check cites the
statement, and the starter tests tell the reference from the stub.

The hidden suite runs exactly as it does for a learner: through the runner, in its own processes.
"""

from __future__ import annotations

import ast
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest
from verdict_sets import causes, failing_clauses

from kata import quality
from kata.bench import load
from kata.catalog import ROOT, Kata, kata_ids, load_kata
from kata.grading import Check, SuiteRun, run_suite
from kata.planted import Bug, load_bugs
from kata.sandbox import Limits

SEED = 0
# Generous: these runs prove behaviour, not speed, and CI machines are shared.
LIMITS = Limits(check_seconds=60, run_seconds=600)
KATAS = kata_ids(ROOT)


@cache
def kata(kid: str) -> Kata:
    return load_kata(kid, ROOT)


@cache
def hidden_run(kid: str, solution: Path, markers: str | None = None) -> SuiteRun:
    return run_suite(
        kata(kid).hidden_suite, solution, kata=kata(kid), seed=SEED, limits=LIMITS, markers=markers
    )


def failing(run: SuiteRun) -> list[Check]:
    return [c for c in run.checks if not c.passed]


def describe(checks: list[Check]) -> str:
    return "\n".join(f"- {c.name} {c.clauses} ({c.status}): {c.message[:300]}" for c in checks)


@cache
def bug_verdicts(kid: str) -> dict[str, SuiteRun]:
    """Every planted bug of a kata run against the whole hidden suite (not stopping at the first
    failure, so that every check it makes fail is seen), two at a time."""
    source = kata(kid).reference.read_text(encoding="utf-8")

    timed = {
        clause
        for check in hidden_run(kid, kata(kid).reference).checks
        if check.kind == "performance"
        for clause in check.clauses
    }

    def run_bug(bug: Bug) -> SuiteRun:
        # Timing checks run only for a bug of a clause they measure, so that a noisy machine can
        # neither catch a bug for the wrong reason nor end the run before the checks that matter.
        markers = None if bug.clause in timed else "not performance"
        with tempfile.TemporaryDirectory(prefix="kata-planted-") as tmp:
            path = Path(tmp) / "solution.py"
            path.write_text(bug.apply(source), encoding="utf-8")
            return run_suite(
                kata(kid).hidden_suite,
                path,
                kata=kata(kid),
                seed=SEED,
                limits=LIMITS,
                markers=markers,
            )

    bugs = load_bugs(kata(kid).planted_bugs)
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip([b.id for b in bugs], pool.map(run_bug, bugs), strict=True))


def planted() -> list[tuple[str, Bug]]:
    return [(kid, bug) for kid in KATAS for bug in load_bugs(load_kata(kid, ROOT).planted_bugs)]


def alternatives() -> list[tuple[str, Path]]:
    return [(kid, path) for kid in KATAS for path in load_kata(kid, ROOT).alternatives]


def test_the_repository_ships_both_katas() -> None:
    assert {"recommendation_cache", "streaming_anomaly"} <= set(KATAS)


@pytest.mark.parametrize("kid", KATAS)
def test_each_kata_has_a_manifest_statement_stub_starter_tests_and_reference(kid: str) -> None:
    k = kata(kid)
    assert k.title and k.exports and len(k.levels) >= 2 and k.minutes > 0
    for path in (k.statement, k.stub, k.starter_tests, k.reference, k.notes, k.benchmark):
        assert path.is_file(), f"{path} is missing"
    levels = {int(c[1:].split(".")[0]) for c in k.clauses}
    assert levels == set(range(1, len(k.levels) + 1)), "every level states clauses (**L<n>.<m>**)"


@pytest.mark.parametrize("kid", KATAS)
def test_the_stub_declares_every_export_and_implements_nothing(kid: str) -> None:
    tree = ast.parse(kata(kid).stub.read_text(encoding="utf-8"))
    defined = {n.name for n in tree.body if isinstance(n, ast.ClassDef | ast.FunctionDef)}
    assert set(kata(kid).exports) <= defined
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            raises = [s for s in node.body if isinstance(s, ast.Raise)]
            assert raises, f"stub function {node.name} must raise NotImplementedError"


@pytest.mark.parametrize("kid", KATAS)
def test_the_reference_passes_every_hidden_check(kid: str) -> None:
    run = hidden_run(kid, kata(kid).reference)
    assert not run.error, run.error
    assert run.checks and not failing(run), describe(failing(run))
    assert not run.problems, run.problems


@pytest.mark.parametrize("kid", KATAS)
def test_every_hidden_check_cites_clauses_of_the_statement(kid: str) -> None:
    run = hidden_run(kid, kata(kid).reference)
    for check in run.checks:
        assert check.clauses, f"{check.name} cites no clause"
        unknown = [c for c in check.clauses if c not in kata(kid).clauses]
        assert not unknown, f"{check.name} cites {unknown}, which the statement does not define"


@pytest.mark.parametrize("kid", KATAS)
def test_every_level_and_every_clause_has_a_hidden_check(kid: str) -> None:
    run = hidden_run(kid, kata(kid).reference)
    assert {c.level for c in run.checks} == set(range(1, len(kata(kid).levels) + 1))
    cited = {clause for c in run.checks for clause in c.clauses}
    assert set(kata(kid).clauses) <= cited, (
        f"clauses no check tests: {set(kata(kid).clauses) - cited}"
    )


@pytest.mark.parametrize("kid", KATAS)
def test_the_stub_fails_every_hidden_check(kid: str) -> None:
    run = hidden_run(kid, kata(kid).stub)
    assert not run.error, run.error
    passing = [c.name for c in run.checks if c.passed]
    assert run.checks and not passing, f"checks the stub passes: {passing}"


@pytest.mark.parametrize("kid", KATAS)
def test_each_kata_plants_at_least_15_described_bugs_citing_its_clauses(kid: str) -> None:
    bugs = load_bugs(kata(kid).planted_bugs)
    assert len(bugs) >= 15
    assert len({b.id for b in bugs}) == len(bugs)
    for bug in bugs:
        assert bug.description and "\n" not in bug.description
        assert bug.clause in kata(kid).clauses, f"{bug.id} cites unknown clause {bug.clause}"


@pytest.mark.parametrize(("kid", "bug"), planted(), ids=lambda v: getattr(v, "id", v))
def test_each_planted_bug_is_caught_by_the_hidden_suite(kid: str, bug: Bug) -> None:
    run = bug_verdicts(kid)[bug.id]
    assert not run.error, f"{bug.id} does not load: {run.error}"
    caught = [c for c in failing(run) if c.kind == "correctness" or bug.clause in c.clauses]
    assert caught, f"no check catches {bug.id}: {bug.description}"


@pytest.mark.parametrize(("kid", "bug"), planted(), ids=lambda v: getattr(v, "id", v))
def test_a_planted_bug_fails_exactly_the_checks_of_its_clause(kid: str, bug: Bug) -> None:
    """Verdicts point at the cause: every check a one-clause bug makes fail either cites that
    clause or says "not decided: <that clause> fails first"."""
    run = bug_verdicts(kid)[bug.id]
    assert not run.error, run.error
    assert failing_clauses(run) == {bug.clause}, describe(failing(run))
    for check in run.checks:
        named = causes(check)
        assert named is None or named <= {bug.clause}, (
            f"{check.name} names {named} as failing first, the bug breaks {bug.clause}"
        )


@pytest.mark.parametrize(("kid", "path"), alternatives(), ids=str)
def test_each_other_correct_implementation_passes_every_correctness_check(
    kid: str, path: Path
) -> None:
    run = hidden_run(kid, path, markers="not performance")
    assert not run.error, run.error
    wrong = [c for c in failing(run) if c.kind == "correctness"]
    assert run.checks and not wrong, describe(wrong)


@pytest.mark.parametrize("kid", KATAS)
def test_the_starter_tests_pass_on_the_reference_and_fail_on_the_stub(kid: str) -> None:
    k = kata(kid)
    on_reference = run_suite(k.starter_tests, k.reference, seed=SEED, limits=LIMITS)
    assert on_reference.checks and not failing(on_reference), describe(failing(on_reference))
    on_stub = run_suite(k.starter_tests, k.stub, seed=SEED, limits=LIMITS)
    assert on_stub.checks and all(not c.passed for c in on_stub.checks)


@pytest.mark.parametrize("kid", KATAS)
def test_the_benchmark_probes_run_on_the_reference(kid: str) -> None:
    k = kata(kid)
    module = load(k.benchmark, f"benchmark_{kid}")
    reference = load(k.reference, f"reference_{kid}")
    small, large = module.SIZES
    assert 0 < small < large and module.PROBES
    for name, probe in module.PROBES.items():
        run: Callable[[], int] = probe(reference, small)
        assert run() > 0, f"probe {name} performed no operation"


@pytest.mark.parametrize("kid", KATAS)
def test_the_reference_has_no_finding_under_the_learners_code_quality_checks(kid: str) -> None:
    # The reference is what a learner compares against: it must meet the bar it sets them.
    for findings in (quality.ruff(kata(kid).reference), quality.mypy(kata(kid).reference)):
        assert findings.count == 0, findings.lines
