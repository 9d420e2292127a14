"""`python -m kata.mutants`: every operator makes the mutant it should, docstrings and annotations
are left alone, and a mutation run on the toy kata kills a mutant and reports a survivor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kata.catalog import load_kata
from kata.mutants import (
    Equivalent,
    Mutant,
    enumerate_mutants,
    grade_mutant,
    main,
    match_equivalents,
    sample,
)

TINY = '''"""A module docstring: a < b and 1 + 1."""
from __future__ import annotations


def f(a: int, b: int) -> bool | None:
    """Docstring of f: return a < b or not 2."""
    total = a + 1
    if a < b and not total:
        return True
    return None
'''


def mutated_lines() -> set[tuple[str, int, str]]:
    return {(m.operator, m.line, m.mutated) for m in enumerate_mutants(TINY)}


@pytest.mark.parametrize(
    ("operator", "line", "mutated"),
    [
        ("comparison", 8, "if a <= b and not total:"),
        ("comparison", 8, "if a >= b and not total:"),
        ("arithmetic", 7, "total = a - 1"),
        ("constant", 7, "total = a + 2"),
        ("constant", 7, "total = a + 0"),
        ("constant", 9, "return False"),
        ("boolean", 8, "if a < b or not total:"),
        ("boolean", 8, "if a < b and total:"),
        ("statement", 7, "pass"),
        ("statement", 8, "pass"),
        ("return", 9, "return None"),
    ],
)
def test_each_operator_makes_the_expected_mutant(operator: str, line: int, mutated: str) -> None:
    assert (operator, line, mutated) in mutated_lines(), sorted(mutated_lines())


def test_a_replacement_is_parenthesised_where_the_bare_text_would_parse_otherwise() -> None:
    source = "def g(a: bool, b: bool, c: bool) -> bool:\n    return a and not (b or c)\n"
    mutated = {m.mutated for m in enumerate_mutants(source)}
    assert "return a and (b or c)" in mutated
    assert "return a and b or c" not in mutated


def test_every_mutant_parses_and_differs_from_the_source_in_one_place() -> None:
    for mutant in enumerate_mutants(TINY):
        compile(mutant.source, "mutant.py", "exec")
        assert mutant.source != TINY
        assert mutant.original == TINY.splitlines()[mutant.line - 1].strip()


def test_docstrings_annotations_and_imports_are_never_mutated() -> None:
    mutants = enumerate_mutants(TINY)
    assert mutants
    for mutant in mutants:
        assert mutant.line not in (1, 2, 5, 6), mutant
        assert '"""A module docstring: a < b and 1 + 1."""' in mutant.source
        assert '"""Docstring of f: return a < b or not 2."""' in mutant.source
        assert "-> bool | None:" in mutant.source


def test_a_return_of_none_is_not_mutated_into_itself_and_mutants_are_distinct() -> None:
    mutants = enumerate_mutants(TINY)
    assert not [m for m in mutants if m.operator == "return" and m.line == 10]
    assert len({m.source for m in mutants}) == len(mutants)


def test_the_sample_is_seeded_and_in_file_order() -> None:
    mutants = enumerate_mutants(TINY)
    first, again = sample(mutants, 4, seed=3), sample(mutants, 4, seed=3)
    assert first == again and len(first) == 4
    assert [m.index for m in first] == sorted(m.index for m in first)
    assert sample(mutants, 1000, seed=3) == mutants


def test_a_declared_equivalent_matches_by_its_lines_the_nearest_line_first() -> None:
    mutants = enumerate_mutants(TINY)
    target = next(m for m in mutants if m.operator == "statement" and m.line == 7)
    declared = [Equivalent(6, target.original, "pass", "why"),
                Equivalent(3, "x = 1", "pass", "gone")]
    matched, stale = match_equivalents(mutants, declared)
    assert list(matched) == [target.index]
    assert [e.original for e in stale] == ["x = 1"]


TOY_SUITE_WITHOUT_RESET = '''import pytest
from solution import RunningTotal


@pytest.mark.clause("L1.1")
def test_add_returns_the_sum_so_far() -> None:
    total = RunningTotal()
    assert total.add(2) == 2
    assert total.add(3) == 5


@pytest.mark.clause("L2.1")
def test_reset_can_be_called() -> None:
    RunningTotal().reset()
'''


def test_a_mutation_run_on_the_toy_kata_kills_a_mutant_and_reports_a_survivor(
    toy_root: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # This toy suite checks add but not what reset leaves or returns: reset's mutants survive.
    (toy_root / "tests/hidden/toy/test_toy.py").write_text(TOY_SUITE_WITHOUT_RESET)
    (toy_root / "solutions/toy/equivalent_mutants.toml").write_text(
        "[[mutant]]\nline = 18\noriginal = 'return old'\nmutated = 'return None'\n"
        "why = 'declared so in this test'\n")
    kata = load_kata("toy", toy_root)
    killed = next(m for m in enumerate_mutants(kata.reference.read_text())
                  if m.mutated == "self.total -= n")
    assert grade_mutant(kata, killed, seed=1).killed
    out_file = tmp_path / "mutants.json"
    code = main(["toy", "--sample", "100", "--seed", "1", "--json", str(out_file)], root=toy_root)
    out = capsys.readouterr().out
    assert code == 0, out
    data = json.loads(out_file.read_text())
    verdicts = {(e["mutant"]["line"], e["mutant"]["mutated"]): e for e in data["mutants"]}
    assert verdicts[(12, "self.total -= n")]["killed"]
    assert not verdicts[(18, "pass")]["killed"]
    survivors = out.split("survivors:\n")[1].split("declared equivalent:")[0]
    assert "  line 18 (statement): return old  ->  pass\n" in survivors
    assert "declared equivalent:\n  line 18 (return): return old  ->  return None" in out
    survived = sum(not e["killed"] for e in data["mutants"])
    total = data["sampled"]
    assert f"killed {total - survived} of {total}" in out
    assert f"{total - survived} of {total - 1} non-equivalent" in out


def test_a_mutant_that_does_not_import_is_killed_by_error(toy_root: Path) -> None:
    kata = load_kata("toy", toy_root)
    broken = Mutant(0, "statement", 1, "x = 1", "pass", "import a_module_that_does_not_exist\n")
    verdict = grade_mutant(kata, broken, seed=1)
    assert verdict.killed and verdict.by == "error", verdict
