"""Every kata's statement and interview files hand the levels over one at a time.

The level names have one source (``kata.toml``'s ``levels``, repeated verbatim in the statement's
headings); ``level_api`` says which public names each level introduces; and nothing the learner
sees at level N (the statement's introduction and sections 1..N, or a file of
``katas/<id>/interview/``, which is level 1) mentions a name, a clause id or a heading of a level
above N. The interview starter tests run as the full ones do in ``test_katas.py``'s sense: they
pass on the reference and fail on the interview stub, each in a pytest of its own process.
"""

from __future__ import annotations

import ast
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tokenize
import tomllib
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from kata.catalog import ROOT, kata_ids, load_kata
from kata.interview import Statement, split_statement

KATAS = kata_ids(ROOT)
CONTRACT = "### The contract (what the grader holds you to)"
_CLAUSE_ID = re.compile(r"\bL(\d+)\.\d+\b")
_CLAUSE_BULLET = re.compile(r"^\s*[-*]\s+\*\*(L(\d+)\.\d+)\*\*", re.MULTILINE)
_MARKDOWN_CODE = re.compile(r"```.*?```|`[^`\n]+`", re.DOTALL)
_PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


@cache
def manifest(kid: str) -> dict[str, Any]:
    return tomllib.loads((ROOT / "katas" / kid / "kata.toml").read_text(encoding="utf-8"))


@cache
def statement(kid: str) -> Statement:
    path = kata_file(kid, "README.md")
    return split_statement(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))


def level_api(kid: str) -> list[list[str]]:
    return [list(names) for names in manifest(kid).get("level_api", [])]


def kata_file(kid: str, relative: str) -> Path:
    """``katas/<kid>/<relative>``, which must exist."""
    path = ROOT / "katas" / kid / relative
    assert path.is_file(), f"{path.relative_to(ROOT)} is missing"
    return path


def interview_files(kid: str) -> list[Path]:
    """The stub and starter tests an interview copies into the workspace: those of
    ``katas/<kid>/interview/``, or the full ones where that folder has none (the same file
    twice would be a copy to keep in step)."""
    kata = load_kata(kid, ROOT)
    return [kata.interview_stub, kata.interview_tests]


# ---------------------------------------------------------------------------------------------
# Finding what a text says of later levels


def is_common_word(name: str) -> bool:
    """A name that is also an ordinary English word (``get``, ``load``) is only a mention in code."""
    return name.isalpha() and name.islower()


def _in_markdown(text: str, name: str) -> bool:
    """`name` in a code span or block of `text`, or called in prose (``name(``)."""
    word = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)")
    code = "\n".join(_MARKDOWN_CODE.findall(text))
    return bool(word.search(code) or re.search(rf"(?<!\w){re.escape(name)}\(", text))


def _in_python(source: str, name: str) -> bool:
    """`name` as an identifier of the code, or as a markdown mention in a string or comment."""
    prose = {tokenize.STRING, tokenize.COMMENT}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.NAME and token.string == name:
            return True
        if token.type in prose and _in_markdown(token.string, name):
            return True
    return False


def mentions(text: str, name: str, *, python: bool) -> bool:
    """Whether `text` mentions the public `name` (a common word only as code, see above)."""
    if not is_common_word(name):
        return bool(re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text))
    return _in_python(text, name) if python else _in_markdown(text, name)


def later_level_mentions(kid: str, text: str, level: int, *, python: bool = False) -> list[str]:
    """Every name, clause id and heading of a level above `level` that `text` mentions."""
    api, names = level_api(kid), manifest(kid)["levels"]
    known = {name for names_k in api[:level] for name in names_k}
    found = [
        f"name {name!r} of level {k}"
        for k in range(level + 1, len(api) + 1)
        for name in api[k - 1]
        if name not in known and mentions(text, name, python=python)
    ]
    found += [f"clause id {m.group(0)}" for m in _CLAUSE_ID.finditer(text) if int(m[1]) > level]
    for k in range(level + 1, len(names) + 1):
        if re.search(rf"\blevel\s+{k}\b", text, re.IGNORECASE):
            found.append(f"'level {k}'")
        heading = names[k - 1]
        flags = re.IGNORECASE if " " in heading else 0  # a one-word name only as written
        if re.search(rf"(?<!\w){re.escape(heading)}(?!\w)", text, flags):
            found.append(f"heading {heading!r} of level {k}")
    return list(dict.fromkeys(found))


def test_the_later_level_finder_flags_names_clause_ids_and_headings_but_not_prose() -> None:
    kid = "recommendation_cache"
    assert later_level_mentions(kid, "Call `get_or_compute` once (L4.2).", 1) == [
        "name 'get_or_compute' of level 4",
        "clause id L4.2",
    ]
    assert later_level_mentions(kid, "as at Level 3, see Dependency invalidation", 2) == [
        "'level 3'",
        "heading 'Dependency invalidation' of level 3",
    ]
    assert later_level_mentions(kid, "L2.1 says `put` and `get` (L1.5).", 2) == []
    assert mentions("we load the data", "load", python=False) is False
    assert mentions("call `load` first", "load", python=False) is True
    assert mentions("x = ring.load(k)  # load it", "load", python=True) is True
    assert mentions('"""We load it."""\n', "load", python=True) is False


# ---------------------------------------------------------------------------------------------
# The statement and the manifest


@pytest.mark.parametrize("kid", KATAS)
def test_the_statements_level_headings_are_the_manifests_level_names(kid: str) -> None:
    levels = statement(kid).levels
    headings = [section.text.splitlines()[0] for section in levels]
    expected = [f"## Level {n} — {name}" for n, name in enumerate(manifest(kid)["levels"], 1)]
    assert headings == expected


@pytest.mark.parametrize("kid", KATAS)
def test_the_manifest_names_the_api_of_every_level_and_the_full_stub_defines_it(kid: str) -> None:
    api = level_api(kid)
    assert len(api) == len(manifest(kid)["levels"]), "level_api needs one list per level"
    assert api[0], "level 1 introduces at least the kata's first class or function"
    tree = ast.parse(kata_file(kid, "solution.py").read_text(encoding="utf-8"))
    functions = ast.FunctionDef | ast.AsyncFunctionDef
    defined = {n.name for n in tree.body if isinstance(n, ast.ClassDef | functions)}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name in manifest(kid)["exports"]:
            defined |= {n.name for n in node.body if isinstance(n, functions)}
    undefined = [name for names in api for name in names if name not in defined]
    assert not undefined, f"level_api names what the full stub does not define: {undefined}"


@pytest.mark.parametrize("kid", KATAS)
def test_no_part_of_the_statement_shown_at_a_level_mentions_a_later_level(kid: str) -> None:
    shown = statement(kid).intro
    for section in statement(kid).levels:
        shown += section.text
        found = later_level_mentions(kid, shown, section.level)
        assert not found, f"the statement up to level {section.level} mentions {found}"


@pytest.mark.parametrize("kid", KATAS)
def test_each_level_opens_with_the_interviewer_then_the_contract_of_its_own_clauses(
    kid: str,
) -> None:
    for section in statement(kid).levels:
        opening, contract, rest = section.text.partition(CONTRACT)
        assert contract, f"level {section.level} has no {CONTRACT!r} subheading"
        spoken = opening.split("\n", 1)[1].strip()
        assert spoken.startswith('"'), f"level {section.level} opens without the interviewer"
        assert not _CLAUSE_BULLET.search(opening), f"level {section.level}: a clause above it"
        levels = {int(level) for _, level in _CLAUSE_BULLET.findall(rest)}
        assert levels == {section.level}, f"level {section.level} states clauses of {levels}"


@pytest.mark.parametrize("kid", KATAS)
def test_each_later_level_gives_the_signatures_of_what_it_introduces(kid: str) -> None:
    for section, names in zip(statement(kid).levels[1:], level_api(kid)[1:], strict=True):
        code = "\n".join(_PYTHON_BLOCK.findall(section.text))
        missing = [n for n in names if not re.search(rf"(?<!\w){re.escape(n)}(?!\w)", code)]
        assert not missing, f"level {section.level} gives no signature for {missing}"


# ---------------------------------------------------------------------------------------------
# The interview files: level 1 only


@pytest.mark.parametrize("kid", KATAS)
def test_no_interview_file_mentions_a_level_above_the_first(kid: str) -> None:
    files = interview_files(kid)
    assert files[0] != load_kata(kid, ROOT).stub, "an interview needs a level-1-only stub"
    for path in files:
        text = path.read_text(encoding="utf-8")
        found = later_level_mentions(kid, text, 1, python=path.suffix == ".py")
        assert not found, f"{path.relative_to(ROOT)} mentions {found}"


@pytest.mark.parametrize("kid", KATAS)
def test_the_interview_stub_defines_every_level_one_name_and_implements_nothing(kid: str) -> None:
    tree = ast.parse(kata_file(kid, "interview/solution.py").read_text(encoding="utf-8"))
    defined = {n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef | ast.FunctionDef)}
    assert set(level_api(kid)[0]) <= defined
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            assert any(isinstance(s, ast.Raise) for s in node.body), f"{node.name} must raise"


def run_starter_tests(tests: Path, solution: Path) -> dict[str, str]:
    """Test name -> "passed", "failed" or "skipped": `tests` run by pytest in a process of its own,
    in a temporary folder where `solution` is copied as ``solution.py``, as a learner runs them."""
    with tempfile.TemporaryDirectory(prefix="kata-statement-") as tmp:
        folder = Path(tmp)
        shutil.copyfile(tests, folder / "test_solution.py")
        shutil.copyfile(solution, folder / "solution.py")
        report = folder / "report.xml"
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        # The starter tests are plain pytest: without the installed plugins (Hypothesis's takes
        # most of a second to load) each run takes a fraction of a second.
        env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1"}
        subprocess.run(
            [*command, f"--junitxml={report}", "test_solution.py"],
            cwd=folder,
            env=env,
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert report.is_file(), f"pytest wrote no report for {tests} on {solution}"
        outcomes = {}
        for case in ET.parse(report).getroot().iter("testcase"):
            kinds = {child.tag for child in case}
            outcome = "failed" if kinds & {"failure", "error"} else "passed"
            outcomes[case.get("name", "?")] = "skipped" if "skipped" in kinds else outcome
        return outcomes


@pytest.mark.parametrize("kid", KATAS)
def test_the_interview_starter_tests_pass_on_the_reference_and_fail_on_the_interview_stub(
    kid: str,
) -> None:
    stub, tests = interview_files(kid)
    on_reference = run_starter_tests(tests, ROOT / "solutions" / kid / "solution.py")
    assert on_reference and set(on_reference.values()) == {"passed"}, on_reference
    on_stub = run_starter_tests(tests, stub)
    assert set(on_stub) == set(on_reference) and set(on_stub.values()) == {"failed"}, on_stub
