"""The grader survives broken and hostile solutions (issue 6).

Every case of ``tests/corpus/cases.toml`` is built from a kata's reference and graded by
``kata grade`` in a subprocess, for the fixture kata ``toy`` and for every real kata that has a
reference. Each grade must end within its run limit, exit non-zero, say what happened in
results.json, leave the learner's file as it was and leave no file behind (neither beside it nor
in the temporary directory the grader used). The grades of all cases run up front, a few at a
time (every grade is a subprocess), and the tests then check one result each.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import signal
import string
import subprocess
import sys
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kata.catalog import ROOT, Kata, kata_ids, load_kata
from kata.grading import public_api

CORPUS = Path(__file__).parent / "corpus" / "cases.toml"
FIXTURE_ROOT = Path(__file__).parent / "fixtures" / "repo"

CHECK_TIMEOUT = 1.0
RUN_TIMEOUT = 15.0
MARGIN = 3.0
"""Seconds a grade may take beyond RUN_TIMEOUT: interpreter start-up, the grace a process gets to
exit, killing it and writing the report."""
OUTPUT_CAP = 1 << 20
"""Bytes of terminal output or results.json a grade may produce, whatever the solution prints."""
WORKERS = int(os.environ.get("CORPUS_WORKERS", "4"))
"""Grades run at once. Most of a grade's time is spent waiting (process start-up, grace periods,
timeouts), so on a 2-core machine 4 at a time take about 45 s where 2 take about 70 s."""

GRADE = (
    "import signal, sys\n"
    "from pathlib import Path\n"
    "from kata.cli import main\n"
    "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
    "sys.exit(main(sys.argv[2:], root=Path(sys.argv[1])))\n"
)
"""`kata grade` in a subprocess, on the kata repository named by argv[1]; Ctrl-C interrupts it
even where the shell that started the test run ignores SIGINT."""


@dataclass(frozen=True)
class Target:
    """A kata to grade hostile solutions of, and the level to grade it at (None: every level)."""

    kata_id: str
    root: Path
    level: int | None

    def __str__(self) -> str:
        return self.kata_id

    @property
    def kata(self) -> Kata:
        return load_kata(self.kata_id, self.root)


@dataclass(frozen=True)
class Case:
    """One broken or hostile solution of the corpus (see the corpus file for the fields)."""

    id: str
    about: str
    how: str
    code: str
    status: str
    expect: tuple[str | tuple[str, ...], ...]
    memory_mb: int | None = None
    run_timeout: float = 15.0
    check_timeout: float = 1.0
    each_check: bool = False
    one_check: bool = False
    limit_waits: int | None = None

    def __str__(self) -> str:
        return self.id


def load_corpus() -> tuple[list[Case], list[dict[str, Any]]]:
    """The corpus's cases, and the solutions the interrupt tests grade."""
    data = tomllib.loads(CORPUS.read_text(encoding="utf-8"))
    cases = [
        Case(
            id=c["id"],
            about=c["about"],
            how=c["how"],
            code=c["code"],
            status=c["status"],
            expect=tuple(tuple(e) if isinstance(e, list) else e for e in c["expect"]),
            memory_mb=c.get("memory_mb"),
            run_timeout=float(c.get("run_timeout", RUN_TIMEOUT)),
            check_timeout=float(c.get("check_timeout", CHECK_TIMEOUT)),
            each_check=c.get("each_check", False),
            one_check=c.get("one_check", False),
            limit_waits=c.get("limit_waits"),
        )
        for c in data["case"]
    ]
    return cases, data["interrupt"]


CASES, INTERRUPTS = load_corpus()


def targets() -> list[Any]:
    """The fixture kata at every level, and each real kata at level 1; a real kata without a
    reference, stub or hidden suite yet is listed as skipped, with the reason."""
    found: list[Any] = [Target("toy", FIXTURE_ROOT, None)]
    for kid in kata_ids(ROOT):
        kata = load_kata(kid, ROOT)
        missing = [
            name
            for name, path in (
                ("reference", kata.reference),
                ("stub", kata.stub),
                ("hidden suite", kata.hidden_suite),
            )
            if not path.exists()
        ]
        target = Target(kid, ROOT, 1)
        if missing:
            reason = f"{kid} is not complete yet: no {', '.join(missing)}"
            found.append(pytest.param(target, marks=pytest.mark.skip(reason=reason), id=kid))
        else:
            found.append(target)
    return found


TARGETS = targets()


def _levels_cited(docstring: str) -> set[int]:
    return {int(level) for level in re.findall(r"\bL(\d+)\.\d+", docstring)}


def target_method(kata: Kata, level: int | None) -> str:
    """`$method`: the last public method of the first export whose stub docstring cites a clause
    of a graded level, else its first public method."""
    cls = kata.exports[0]
    methods = public_api(kata.stub).get(cls, [])
    if not methods:
        pytest.skip(f"{kata.id}: {cls} has no public methods for the corpus to replace")
    docs: dict[str, str] = {}
    for node in ast.parse(kata.stub.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ClassDef) and node.name == cls:
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    docs[item.name] = ast.get_docstring(item) or ""
    graded = [
        m
        for m in methods
        if any(level is None or cited <= level for cited in _levels_cited(docs.get(m, "")))
    ]
    return graded[-1] if graded else methods[0]


def _top_of_module(source: str) -> int:
    """The line after the module docstring and `from __future__` imports (0 when none)."""
    end = 0
    for node in ast.parse(source).body:
        is_docstring = (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            and end == 0
        )
        is_future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if not (is_docstring or is_future):
            break
        end = node.end_lineno or end
    return end


def build(code: str, how: str, target: Target) -> tuple[str, dict[str, str]]:
    """(source, placeholders): the hostile solution `code` makes of the kata's reference."""
    kata = target.kata
    names = {"cls": kata.exports[0], "method": target_method(kata, target.level), "line": ""}
    text = string.Template(code)
    if how == "file":
        return text.substitute(names), names
    reference = kata.reference.read_text(encoding="utf-8")
    if how == "append":
        return f"{reference.rstrip()}\n\n\n{text.substitute(names)}", names
    assert how == "prepend", how
    lines = reference.splitlines(keepends=True)
    top = _top_of_module(reference)
    names["line"] = str(top + 1)
    return "".join([*lines[:top], text.substitute(names), "\n", *lines[top:]]), names


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@dataclass
class Graded:
    """What one `kata grade` of a hostile solution did."""

    exit_code: int
    wall_s: float
    report: dict[str, Any]
    stdout: str
    stderr: str
    json_bytes: int
    unchanged: bool
    beside: list[str]
    leftovers: list[str]

    def said(self) -> str:
        """Everything the report says in words: message, notes, problems, each check's message
        and output."""
        parts = [str(self.report.get("message") or ""), *map(str, self.report.get("notes", []))]
        for test in self.report.get("tests", []):
            parts += [str(test.get("message") or ""), str(test.get("output") or "")]
        return "\n".join(parts)


def grade(
    source: str,
    target: Target,
    where: Path,
    *,
    memory_mb: int | None = None,
    run_timeout: float = RUN_TIMEOUT,
    check_timeout: float = CHECK_TIMEOUT,
) -> Graded:
    """Grade `source` as the learner's ``where/learner/solution.py`` with short limits."""
    learner, tmp = where / "learner", where / "tmp"
    learner.mkdir(parents=True)
    tmp.mkdir()
    solution = learner / "solution.py"
    solution.write_text(source, encoding="utf-8")
    before = _digest(solution)
    out = where / "results.json"
    argv = [sys.executable, "-c", GRADE, str(target.root), "grade", target.kata_id]
    argv += ["--solution", str(solution), "--json", str(out), "--seed", "1", "--no-quality"]
    argv += ["--check-timeout", f"{check_timeout:g}", "--run-timeout", f"{run_timeout:g}"]
    if target.level is not None:
        argv += ["--level", str(target.level)]
    if memory_mb is not None:
        argv += ["--memory-mb", str(memory_mb)]
    started = time.monotonic()
    done = subprocess.run(
        argv,
        cwd=learner,
        env={**os.environ, "TMPDIR": str(tmp), "PYTHONIOENCODING": "utf-8"},
        capture_output=True,
        text=True,
        errors="replace",
        timeout=run_timeout + 60,
        check=False,
    )
    wall = time.monotonic() - started
    return Graded(
        exit_code=done.returncode,
        wall_s=wall,
        report=json.loads(out.read_text(encoding="utf-8")) if out.is_file() else {},
        stdout=done.stdout,
        stderr=done.stderr,
        json_bytes=out.stat().st_size if out.is_file() else 0,
        unchanged=_digest(solution) == before,
        beside=_listing(learner),
        leftovers=_listing(tmp),
    )


def _key(case: Case, target: Target) -> str:
    return f"{case.id}-{target.kata_id}"


@pytest.fixture(scope="module")
def corpus_grades(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Graded | None]:
    """The grade of every (case, kata) pair this session runs, `WORKERS` grades at a time."""
    wanted: dict[str, tuple[Case, Target]] = {}
    for item in request.session.items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if getattr(item, "module", None) is request.module and "case" in params:
            wanted[_key(params["case"], params["target"])] = (params["case"], params["target"])
    if any(getattr(item, "originalname", "") == HANGING_TEST for item in request.session.items):
        hang = next(c for c in CASES if c.id == "infinite_loop_in_method")
        wanted[_key(hang, TARGETS[0])] = (hang, TARGETS[0])
    base = tmp_path_factory.mktemp("corpus")

    # Built one after another: `ast.parse` in several threads at once can fail on CPython 3.11.
    sources: dict[str, str | None] = {}
    for key, (case, target) in wanted.items():
        try:
            sources[key] = build(case.code, case.how, target)[0]
        except pytest.skip.Exception:
            sources[key] = None  # the test of this case skips, saying why

    def run(key: str) -> Graded | None:
        case, target = wanted[key]
        source = sources[key]
        if source is None:
            return None
        return grade(
            source,
            target,
            base / key,
            memory_mb=case.memory_mb,
            run_timeout=case.run_timeout,
            check_timeout=case.check_timeout,
        )

    # The slowest (the ones that wait for timeouts) first, so the two workers finish together.
    order = sorted(wanted, key=lambda k: not ("loop" in k or "memory" in k))
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return dict(zip(order, pool.map(run, order), strict=True))


@pytest.mark.parametrize("target", TARGETS, ids=str)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_hostile_solution_gets_a_clear_verdict_in_bounded_time_and_loses_nothing(
    case: Case, target: Target, corpus_grades: dict[str, Graded | None]
) -> None:
    _, names = build(case.code, case.how, target)
    result = corpus_grades[_key(case, target)]
    assert result is not None
    context = (
        f"{case.id} ({case.about}) on {target}:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
    )

    assert result.wall_s < case.run_timeout + MARGIN, context
    assert result.exit_code == {"fail": 1, "error": 2}[case.status], context
    assert result.report.get("status") == case.status, context
    said = result.said()
    alternatives = [
        [string.Template(w).substitute(names) for w in ([e] if isinstance(e, str) else e)]
        for e in case.expect
    ]
    for words in alternatives:
        assert any(w in said for w in words), f"none of {words} in:\n{said}\n{context}"
    tests = result.report.get("tests", [])
    unrun = [t for t in tests if str(t.get("message") or "").startswith("not run")]
    assert all(t["message"] != "not run" for t in unrun), (
        f"a check left unrun without a reason\n{context}"
    )
    if case.each_check:
        assert tests, context
        assert not unrun, f"checks without a verdict of their own: {unrun}\n{context}"
    if case.limit_waits is not None:
        waited = [t["name"] for t in tests if "s limit per check" in str(t.get("message"))]
        assert len(waited) <= case.limit_waits, f"waited in full for {waited}\n{context}"
    if case.one_check:
        blamed = [
            t["name"]
            for t in tests
            if t["status"] != "pass" and any(w in str(t["message"]) for w in alternatives[0])
        ]
        assert len(blamed) == 1, f"expected one check to get the blame, not {blamed}\n{context}"
    assert result.unchanged, "the learner's solution.py was changed"
    assert result.beside == ["solution.py"], "files appeared beside the learner's solution.py"
    assert result.leftovers == [], "the grader left temporary files behind"
    assert len(result.stdout.encode()) < OUTPUT_CAP, "the terminal output was not capped"
    assert result.json_bytes < OUTPUT_CAP, "results.json was not capped"


HANGING_TEST = "test_a_hanging_method_does_not_hide_the_verdicts_of_the_other_checks"


def test_a_hanging_method_does_not_hide_the_verdicts_of_the_other_checks(
    corpus_grades: dict[str, Graded | None],
) -> None:
    result = corpus_grades[
        _key(next(c for c in CASES if c.id == "infinite_loop_in_method"), TARGETS[0])
    ]
    assert result is not None
    by_name = {t["name"]: t for t in result.report["tests"]}
    # toy's `$method` is `reset`, which only the level 2 check calls: it hangs on every call.
    hung = by_name["reset returns the old total and starts again"]
    assert hung["status"] == "error"
    assert "did not finish within the 1 s limit per check" in hung["message"]
    assert by_name["add returns the sum so far"]["status"] == "pass"
    assert by_name["a new total is zero"]["status"] == "pass"
    assert result.report["message"].startswith(
        "1 of 3 checks did not pass; the first, 'reset returns the old total and starts again': "
        "not decided: too slow - this check did not finish within the 1 s limit per check"
    )
    assert "solution.py" in hung["message"], "the report shows where the code was stuck"


def test_two_grades_of_the_same_kata_at_once_do_not_interfere(tmp_path: Path) -> None:
    toy = TARGETS[0]
    fake = next(c for c in CASES if c.id == "fake_all_passed")
    sources = {
        "reference": toy.kata.reference.read_text(encoding="utf-8"),
        "fake": build(fake.code, fake.how, toy)[0],
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            name: pool.submit(grade, source, toy, tmp_path / name)
            for name, source in sources.items()
        }
        results = {name: future.result() for name, future in futures.items()}
    assert results["reference"].exit_code == 0, results["reference"].stdout
    assert results["reference"].report["status"] == "pass"
    assert results["reference"].report["score"] == {"passed": 3, "total": 3}
    assert results["fake"].exit_code == 1, results["fake"].stdout
    assert results["fake"].report["status"] == "fail"
    for result in results.values():
        assert result.unchanged
        assert result.beside == ["solution.py"]
        assert result.leftovers == []


def _alive(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie, dead but not yet reaped, is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to see processes")
@pytest.mark.parametrize("hostile", INTERRUPTS, ids=lambda entry: str(entry["id"]))
def test_ctrl_c_stops_the_run_cleanly_with_a_partial_report_and_no_orphaned_processes(
    hostile: dict[str, Any], tmp_path: Path
) -> None:
    toy = TARGETS[0]
    source, names = build(hostile["code"], hostile["how"], toy)
    assert names["method"] == "reset", "the run must be busy in a later check when interrupted"
    learner, tmp = tmp_path / "learner", tmp_path / "tmp"
    learner.mkdir()
    tmp.mkdir()
    solution = learner / "solution.py"
    solution.write_text(source, encoding="utf-8")
    before = _digest(solution)
    pids = tmp_path / "pids"
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONIOENCODING": "utf-8"}
    env["KATA_CORPUS_PIDS"] = str(pids)
    argv = [sys.executable, "-c", GRADE, str(toy.root), "grade", "toy", "--solution"]
    argv += [str(solution), "--seed", "1", "--no-quality", "--check-timeout", "60"]
    grading = subprocess.Popen(
        argv, cwd=learner, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert grading.stdout is not None
        printed = [grading.stdout.readline()]  # the header: the run has started
        # Passing checks are told as one count per level, so the pids say how far the run got:
        # the last one is noted by the method that hangs, which only a later check calls.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (
            not pids.exists() or len(pids.read_text().split()) < hostile["pids"]
        ):
            time.sleep(0.05)
        started = [int(pid) for pid in pids.read_text().split()]
        assert len(started) >= hostile["pids"], "".join(printed)
        grading.send_signal(signal.SIGINT)
        rest, _ = grading.communicate(timeout=15)
    finally:
        grading.kill()
        grading.wait()
    text = "".join([*printed, rest])
    assert grading.returncode == 130, text
    # Two processes share the checks: how many had finished when the signal came depends on how
    # they ran, but the report counts those and no other, and a check stopped by the interrupt
    # is no failing verdict.
    done = re.search(r"error: interrupted after (\d+) checks?\b", text)
    assert done is not None and int(done.group(1)) <= hostile["checks"], text
    if int(done.group(1)):
        assert f"Level 1 {done.group(1)}/{done.group(1)}" in text, text
    assert "✗" not in text, text
    assert "reproduce: kata grade toy" in text, text
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(pid) for pid in started):
        time.sleep(0.05)
    orphans = [pid for pid in started if _alive(pid)]
    for pid in orphans:  # do not leave them spinning when the test fails
        os.kill(pid, signal.SIGKILL)
    assert orphans == [], f"orphaned processes\n{text}"
    assert _digest(solution) == before
    assert _listing(learner) == ["solution.py"]
    assert _listing(tmp) == []
