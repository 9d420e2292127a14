"""The `kata` command, driven through `main(argv)` on the fixture repository's `toy` kata."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pytest

from kata.cli import main

REFERENCE = "solutions/toy/solution.py"
STUB = "katas/toy/solution.py"
FAST = ["--no-quality", "--seed", "7"]


def run(root: Path, *argv: str) -> int:
    return main(list(argv), root=root, rng=random.Random(0))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- list and start -------------------------------------------------------------------------


def test_list_shows_id_title_difficulty_levels_and_time_budget(
    toy_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(toy_root, "list") == 0
    out = capsys.readouterr().out
    for text in ("toy", "Running total", "warm-up", "2 levels", "10 min", "level 2: Resetting"):
        assert text in out


def test_start_copies_the_stub_starter_tests_and_statement(toy_root: Path) -> None:
    assert run(toy_root, "start", "toy") == 0
    work = toy_root / "work" / "toy"
    assert (work / "solution.py").read_text() == (toy_root / STUB).read_text()
    assert (work / "test_solution.py").is_file()
    assert (work / "README.md").is_file()


def test_start_refuses_to_overwrite_existing_work(
    toy_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(toy_root, "start", "toy")
    mine = write(toy_root / "work" / "toy" / "solution.py", "# my work\n")
    assert run(toy_root, "start", "toy") == 2
    assert "already exists" in capsys.readouterr().err
    assert mine.read_text() == "# my work\n"


def test_start_force_moves_existing_work_to_a_backup(toy_root: Path) -> None:
    run(toy_root, "start", "toy")
    write(toy_root / "work" / "toy" / "solution.py", "# my work\n")
    assert run(toy_root, "start", "toy", "--force") == 0
    backups = list((toy_root / "work").glob("toy.backup-*"))
    assert len(backups) == 1
    assert (backups[0] / "solution.py").read_text() == "# my work\n"


def test_timed_start_makes_grade_show_elapsed_time_against_the_budget(
    toy_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(toy_root, "start", "toy", "--timed")
    (toy_root / "work" / "toy" / "solution.py").write_text((toy_root / REFERENCE).read_text())
    capsys.readouterr()
    assert run(toy_root, "grade", "toy", *FAST) == 0
    assert "min of your 10 min budget" in capsys.readouterr().out


def test_dashes_are_accepted_in_kata_ids(toy_root: Path) -> None:
    (toy_root / "katas" / "toy").rename(toy_root / "katas" / "toy_kata")
    assert run(toy_root, "start", "toy-kata") == 0


# --- grade: verdicts and exit codes ---------------------------------------------------------


def test_grading_the_reference_passes_every_check_and_exits_0(
    toy_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(toy_root, "grade", "toy", "--reference", *FAST) == 0
    out = capsys.readouterr().out
    assert "Level 1 2/2 · Level 2 1/1 · 100%" in out
    assert "seed 7" in out


def test_grading_the_stub_fails_every_check_with_where_it_stopped(
    toy_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(toy_root, "grade", "toy", "--solution", str(toy_root / STUB), *FAST) == 1
    out = capsys.readouterr().out
    assert "0%" in out
    assert "NotImplementedError" in out
    assert "at solution.py:8 in __init__" in out
    assert "L2.1: `reset()` sets the total back to 0" in out, "a failure quotes its clause"


def test_a_failing_property_shows_the_minimal_example_and_the_reproduce_command(
    toy_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = write(
        toy_root / "off_by_one.py",
        (toy_root / REFERENCE).read_text().replace("self.total += n", "self.total += n + (n > 2)"),
    )
    assert run(toy_root, "grade", "toy", "--solution", str(wrong), *FAST) == 1
    out = capsys.readouterr().out
    assert "minimal failing example" in out
    assert "values=[3]" in out, "Hypothesis shrinks the counterexample"
    assert f"kata grade toy --solution {wrong} --seed 7" in out


def test_the_same_seed_gives_the_same_verdicts(toy_root: Path, tmp_path: Path) -> None:
    wrong = write(
        toy_root / "flaky_looking.py",
        (toy_root / REFERENCE)
        .read_text()
        .replace("self.total += n", "self.total += n if n < 1000 else 0"),
    )
    reports = []
    for name in ("a.json", "b.json"):
        run(
            toy_root,
            "grade",
            "toy",
            "--solution",
            str(wrong),
            "--json",
            str(tmp_path / name),
            *FAST,
        )
        data = json.loads((tmp_path / name).read_text())
        reports.append([(t["name"], t["status"], t["test_code"]) for t in data["tests"]])
    assert reports[0] == reports[1]


def test_a_syntax_error_is_an_error_with_file_and_line(
    toy_root: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = write(
        toy_root / "broken.py", "class RunningTotal:\n    def add(self, n)\n        pass\n"
    )
    out_json = tmp_path / "r.json"
    assert (
        run(toy_root, "grade", "toy", "--solution", str(broken), "--json", str(out_json), *FAST)
        == 2
    )
    out = capsys.readouterr().out
    assert "solution.py:2" in out and "SyntaxError" in out
    data = json.loads(out_json.read_text())
    assert data["status"] == "error" and "SyntaxError" in data["message"]


def test_a_missing_class_is_named(toy_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = write(toy_root / "empty.py", "X = 1\n")
    assert run(toy_root, "grade", "toy", "--solution", str(empty), *FAST) == 2
    assert "solution.py does not define RunningTotal" in capsys.readouterr().out


def test_a_missing_method_is_noted_and_only_its_checks_fail(
    toy_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = (toy_root / REFERENCE).read_text()
    partial = write(toy_root / "partial.py", source[: source.index("    def reset")])
    assert run(toy_root, "grade", "toy", "--solution", str(partial), *FAST) == 1
    out = capsys.readouterr().out
    assert "solution.py has no method RunningTotal.reset yet" in out
    assert "Level 1 2/2 · Level 2 0/1" in out


def test_an_unknown_kata_is_an_error_that_lists_the_katas(
    toy_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(toy_root, "grade", "nope", "--reference") == 2
    err = capsys.readouterr().err
    assert "no kata named 'nope'" in err and "toy" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("missing.py", None, "no such file"),
        ("notes.txt", "hello", "not a Python file"),
        ("latin1.py", b"x = '\xe9'\n", "not UTF-8"),
    ],
)
def test_a_bad_solution_path_is_an_error_not_a_traceback(
    toy_root: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: str | bytes | None,
    words: str,
) -> None:
    path = toy_root / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    assert run(toy_root, "grade", "toy", "--solution", str(path), *FAST) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_grading_without_a_workspace_says_how_to_start(
    toy_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(toy_root, "grade", "toy", *FAST) == 2
    assert "kata start toy" in capsys.readouterr().err


def test_bad_usage_exits_2(toy_root: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run(toy_root, "grade")
    assert exit_info.value.code == 2
    assert run(toy_root, "grade", "toy", "--reference", "--level", "9") == 2
    assert run(toy_root, "grade", "toy", "--reference", "--check-timeout", "-1") == 2


def test_level_limits_grading_to_levels_up_to_n(
    toy_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        run(toy_root, "grade", "toy", "--solution", str(toy_root / STUB), "--level", "1", *FAST)
        == 1
    )
    out = capsys.readouterr().out
    assert "Level 1 0/2 · 0%" in out and "Level 2" not in out


def test_grading_never_modifies_the_learners_files(toy_root: Path) -> None:
    run(toy_root, "start", "toy")
    work = toy_root / "work" / "toy"
    mine = [p for p in work.iterdir() if not p.name.startswith(".kata")]
    before = {p.name: digest(p) for p in mine}
    run(toy_root, "grade", "toy", *FAST)
    run(toy_root, "compare", "toy", "--seed", "1")
    assert {p.name: digest(p) for p in mine} == before


def test_output_has_no_colour_when_piped(
    toy_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(toy_root, "grade", "toy", "--reference", *FAST)
    assert "\033[" not in capsys.readouterr().out


# --- results.json ---------------------------------------------------------------------------


def test_json_report_follows_results_json_v3_with_kata_fields(
    toy_root: Path, tmp_path: Path
) -> None:
    out = tmp_path / "results.json"
    assert (
        run(
            toy_root,
            "grade",
            "toy",
            "--solution",
            str(toy_root / STUB),
            "--json",
            str(out),
            "--seed",
            "3",
        )
        == 1
    )
    data = json.loads(out.read_text())
    assert data["version"] == 3 and data["status"] == "fail" and data["message"]
    assert data["kata"] == "toy" and data["seed"] == 3 and data["duration_s"] > 0
    assert data["score"] == {"passed": 0, "total": 3}
    correctness = [t for t in data["tests"] if t["kind"] == "correctness"]
    assert {t["task_id"] for t in correctness} == {1, 2}
    for test in correctness:
        assert test["status"] == "error" and "NotImplementedError" in test["message"]
        assert test["level"] == test["task_id"]
        assert set(test) >= {"name", "status", "message", "output", "test_code", "task_id"}
    assert {t["name"] for t in data["tests"] if t["kind"] == "quality"} == {
        "ruff check finds no problems",
        "mypy --strict finds no type errors",
    }


def test_quality_findings_are_reported_but_do_not_fail_unless_strict(
    toy_root: Path, tmp_path: Path
) -> None:
    sloppy = write(
        toy_root / "sloppy.py",
        (toy_root / REFERENCE)
        .read_text()
        .replace(
            "    def add(self, n: int) -> int:",
            "    def add(self, n):  # untyped\n        import os",
        ),
    )
    out = tmp_path / "r.json"
    assert (
        run(toy_root, "grade", "toy", "--solution", str(sloppy), "--json", str(out), "--seed", "1")
        == 0
    )
    quality = {t["name"]: t for t in json.loads(out.read_text())["tests"] if t["kind"] == "quality"}
    assert quality["ruff check finds no problems"]["status"] == "fail"
    assert "F401" in quality["ruff check finds no problems"]["message"]
    assert quality["mypy --strict finds no type errors"]["status"] == "fail"
    assert (
        run(toy_root, "grade", "toy", "--solution", str(sloppy), "--strict-quality", "--seed", "1")
        == 1
    )


def test_a_solution_that_prints_gets_its_output_capped_in_the_report(
    toy_root: Path, tmp_path: Path
) -> None:
    chatty = write(
        toy_root / "chatty.py",
        (toy_root / REFERENCE)
        .read_text()
        .replace("        old, self.total", "        print('y' * 2000)\n        old, self.total"),
    )
    out = tmp_path / "r.json"
    run(toy_root, "grade", "toy", "--solution", str(chatty), "--json", str(out), *FAST)
    reset = next(t for t in json.loads(out.read_text())["tests"] if "reset" in t["name"])
    assert reset["output"].startswith("yyy") and len(reset["output"]) <= 500
