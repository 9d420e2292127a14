"""`python -m kata.mutants ID [--sample N] [--seed S] [--json OUT]`: how strong is a hidden suite
against mistakes nobody planted?

Mutates the kata's reference with the usual operators, one small change per mutant: a comparison
swapped or negated (``<`` -> ``<=``, ``>=``), an arithmetic operator swapped (``+`` -> ``-``), a
number moved by one or a bool flipped, ``and`` <-> ``or`` or a ``not`` dropped, a statement
replaced by ``pass``, a returned value replaced by ``None``. Docstrings, annotations and string
constants are never mutated, and a mutant that reads the same as the reference once unparsed is
skipped. A seeded sample of the mutation points is graded, each mutant exactly as ``kata grade``
grades a solution (`kata.grading.run_suite` on the hidden suite, quick profile limits, every
check including the performance ones), one mutant per core. A mutant is *killed* when a check
does not pass (the grade of that mutant stops there), when it does not import, or when its grade
ends in an error; otherwise it *survives*.

A survivor is either a behaviour the suite does not protect or an equivalent mutant: one that no
call sequence the statement defines can tell from the reference. Equivalent mutants are declared
in ``solutions/<id>/equivalent_mutants.toml``::

    [[mutant]]
    line = 46
    original = '__slots__ = ("expires", "titles")'
    mutated = "pass"
    why = "slots only save memory; no method reads them"

and the score leaves them out. An entry matches a mutant by its original and mutated source
lines (the line number chooses among mutants with the same text).

mutmut and cosmic-ray do not fit: they mutate an installed package in place and judge each mutant
by a test command's exit status, where a kata's reference is one file that must be graded in the
runner's sandboxed suite runs, check by check.

Cost: enumerating is O(nodes * source size); grading is one suite run per sampled mutant.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kata import catalog
from kata.catalog import ROOT, Kata
from kata.errors import KataError
from kata.grading import Check, run_suite
from kata.sandbox import Limits, stop_all

DEFAULT_SAMPLE = 120
DEFAULT_SEED = 1
GRADE_LIMITS = Limits(check_seconds=10, run_seconds=120)
"""The quick profile's limits, as ``kata grade`` applies them."""

_COMPARISONS: dict[type[ast.cmpop], tuple[type[ast.cmpop], ...]] = {
    ast.Lt: (ast.LtE, ast.GtE),
    ast.LtE: (ast.Lt, ast.Gt),
    ast.Gt: (ast.GtE, ast.LtE),
    ast.GtE: (ast.Gt, ast.Lt),
    ast.Eq: (ast.NotEq,),
    ast.NotEq: (ast.Eq,),
    ast.Is: (ast.IsNot,),
    ast.IsNot: (ast.Is,),
    ast.In: (ast.NotIn,),
    ast.NotIn: (ast.In,),
}
_ARITHMETIC: dict[type[ast.operator], tuple[type[ast.operator], ...]] = {
    ast.Add: (ast.Sub,),
    ast.Sub: (ast.Add,),
    ast.Mult: (ast.Div,),
    ast.Div: (ast.Mult,),
    ast.FloorDiv: (ast.Div,),
    ast.Mod: (ast.FloorDiv,),
    ast.Pow: (ast.Mult,),
    ast.LShift: (ast.RShift,),
    ast.RShift: (ast.LShift,),
    ast.BitAnd: (ast.BitOr,),
    ast.BitOr: (ast.BitAnd,),
    ast.BitXor: (ast.BitAnd,),
}
_NOT_MUTATED_FIELDS = frozenset({"annotation", "returns", "type_comment", "decorator_list"})
"""Annotations are never evaluated at run time (``from __future__ import annotations``) and
decorators are structure, not logic."""
_KEPT_STATEMENTS = (
    ast.Pass,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Import,
    ast.ImportFrom,
    ast.Global,
    ast.Nonlocal,
)
"""Statements never replaced by ``pass``: definitions and imports are structure, not logic."""


@dataclass(frozen=True)
class Mutant:
    """One mutant of a source file: where it differs, how, and its whole text."""

    index: int
    """Its position among every mutant of the file (the enumeration is deterministic)."""
    operator: str
    """comparison, arithmetic, constant, boolean, statement or return."""
    line: int
    original: str
    """The reference's source line at `line`, stripped."""
    mutated: str
    """The mutant's source line at `line`, stripped."""
    source: str = field(repr=False)


# --- enumerating -------------------------------------------------------------------------------


Position = tuple[ast.AST, str, int | None]
"""Where a node sits: (parent, field name, index in that field's list or None)."""


def _is_docstring(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _nodes(node: ast.AST) -> Iterator[tuple[ast.AST, Position]]:
    """Every node under `node` that may be mutated, with its position, in a fixed order (pre-order,
    fields in their declared order). Skips docstrings, annotations and f-strings."""
    for name, value in ast.iter_fields(node):
        if name in _NOT_MUTATED_FIELDS:
            continue
        children = value if isinstance(value, list) else [value]
        for i, child in enumerate(children):
            if not isinstance(child, ast.AST) or _is_docstring(child):
                continue
            if isinstance(child, ast.JoinedStr):
                continue
            yield child, (node, name, i if isinstance(value, list) else None)
            yield from _nodes(child)


def _constant_variants(node: ast.Constant) -> list[ast.AST]:
    value = node.value
    if isinstance(value, bool):
        return [ast.Constant(not value)]
    if isinstance(value, int | float):
        return [_number(value + 1), _number(value - 1)]
    return []


def _number(value: float) -> ast.expr:
    """A number as the parser writes it: a negative one is ``-`` applied to a constant."""
    if value < 0:
        return ast.UnaryOp(ast.USub(), ast.Constant(-value))
    return ast.Constant(value)


def _variants(node: ast.AST, position: Position) -> list[tuple[str, ast.AST]]:  # noqa: C901 - a branch per kind of node
    """(operator, replacement node) for every mutation of `node` itself."""
    found: list[tuple[str, ast.AST]] = []
    if isinstance(node, ast.Compare):
        for j, op in enumerate(node.ops):
            for other in _COMPARISONS.get(type(op), ()):
                ops = [*node.ops[:j], other(), *node.ops[j + 1 :]]
                found.append(("comparison", ast.Compare(node.left, ops, node.comparators)))
    elif isinstance(node, ast.BinOp):
        for other_op in _ARITHMETIC.get(type(node.op), ()):
            found.append(("arithmetic", ast.BinOp(node.left, other_op(), node.right)))
    elif isinstance(node, ast.AugAssign):
        for other_op in _ARITHMETIC.get(type(node.op), ()):
            found.append(("arithmetic", ast.AugAssign(node.target, other_op(), node.value)))
    elif isinstance(node, ast.BoolOp):
        found.append(
            (
                "boolean",
                ast.BoolOp(ast.Or() if isinstance(node.op, ast.And) else ast.And(), node.values),
            )
        )
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        found.append(("boolean", node.operand))
    elif isinstance(node, ast.Constant):
        found += [("constant", new) for new in _constant_variants(node)]
    if (
        isinstance(node, ast.Return)
        and node.value is not None
        and not (isinstance(node.value, ast.Constant) and node.value.value is None)
    ):
        found.append(("return", ast.Return(ast.Constant(None))))
    if (
        isinstance(node, ast.stmt)
        and position[2] is not None
        and not isinstance(node, _KEPT_STATEMENTS)
    ):
        found.append(("statement", ast.Pass()))
    return found


def _put(position: Position, node: ast.AST) -> None:
    parent, name, index = position
    if index is None:
        setattr(parent, name, node)
    else:
        getattr(parent, name)[index] = node


def _splice(source: str, node: ast.AST, text: str) -> str:
    """`source` with the text of `node` (positions in UTF-8 bytes, as ``ast`` gives them)
    replaced by `text`."""
    data = source.encode("utf-8")
    starts = [0]
    for line in data.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    start = starts[node.lineno - 1] + node.col_offset  # type: ignore[attr-defined]
    end = starts[node.end_lineno - 1] + node.end_col_offset  # type: ignore[attr-defined]
    return (data[:start] + text.encode("utf-8") + data[end:]).decode("utf-8")


def _mutated_text(source: str, node: ast.AST, new: ast.AST, expected: str) -> str:
    """The source of the mutant whose tree dumps as `expected`: the original text with only the
    node's text replaced (parenthesised if the bare text would parse otherwise), or, failing
    both, the whole mutated module unparsed."""
    replacement = ast.unparse(new)
    candidates = [replacement] + ([f"({replacement})"] if isinstance(new, ast.expr) else [])
    for text in candidates:
        spliced = _splice(source, node, text)
        try:
            if ast.dump(ast.parse(spliced)) == expected:
                return spliced
        except SyntaxError:
            continue
    return ""


def _line(text: str, number: int) -> str:
    lines = text.splitlines()
    return lines[number - 1].strip() if 0 < number <= len(lines) else ""


def enumerate_mutants(source: str) -> list[Mutant]:
    """Every distinct mutant of `source`, in a fixed order. Mutants whose unparsed text equals
    the original's, or another mutant's, are left out."""
    tree = ast.parse(source)
    original = ast.unparse(tree)
    seen: set[str] = set()
    mutants: list[Mutant] = []
    for node, position in list(_nodes(tree)):
        for operator, new in _variants(node, position):
            _put(position, new)
            try:
                unparsed, dumped = ast.unparse(tree), ast.dump(tree)
            finally:
                _put(position, node)
            if unparsed == original or unparsed in seen:
                continue
            seen.add(unparsed)
            text = _mutated_text(source, node, new, dumped)
            line = node.lineno  # type: ignore[attr-defined]
            mutated = _line(text, line) if text else ast.unparse(new).splitlines()[0]
            mutants.append(
                Mutant(len(mutants), operator, line, _line(source, line), mutated, text or unparsed)
            )
    return mutants


def sample(mutants: Sequence[Mutant], size: int, seed: int) -> list[Mutant]:
    """`size` mutants drawn with `seed` (all of them when there are fewer), in file order."""
    if size >= len(mutants):
        return list(mutants)
    return sorted(random.Random(seed).sample(list(mutants), size), key=lambda m: m.index)


# --- equivalent mutants ------------------------------------------------------------------------


@dataclass(frozen=True)
class Equivalent:
    """A mutant declared equivalent: no call sequence the statement defines tells it apart."""

    line: int
    original: str
    mutated: str
    why: str


def equivalents_file(kata: Kata) -> Path:
    return kata.reference.parent / "equivalent_mutants.toml"


def load_equivalents(path: Path) -> list[Equivalent]:
    """The declared equivalent mutants; none when the file does not exist."""
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return [
            Equivalent(
                int(e.get("line", 0)),
                str(e["original"]).strip(),
                str(e["mutated"]).strip(),
                str(e["why"]),
            )
            for e in data.get("mutant", [])
        ]
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as error:
        raise KataError(f"{path}: not a valid list of equivalent mutants ({error})") from error


def match_equivalents(
    mutants: Sequence[Mutant], declared: Sequence[Equivalent]
) -> tuple[dict[int, Equivalent], list[Equivalent]]:
    """(mutant index -> its declaration, declarations that match no mutant). A declaration
    matches the mutant with the same original and mutated lines, the nearest line if several."""
    matched: dict[int, Equivalent] = {}
    stale: list[Equivalent] = []
    for entry in declared:
        same = [
            m
            for m in mutants
            if (m.original, m.mutated) == (entry.original, entry.mutated) and m.index not in matched
        ]
        if not same:
            stale.append(entry)
            continue
        nearest = min(same, key=lambda m: abs(m.line - entry.line))
        matched[nearest.index] = entry
    return matched, stale


# --- grading -----------------------------------------------------------------------------------


@dataclass
class Verdict:
    """What grading one mutant found."""

    mutant: Mutant
    killed: bool
    by: str = ""
    """The check that did not pass (its name and kind), or ``error``."""
    message: str = ""
    seconds: float = 0.0
    equivalent: str = ""
    """Why it is declared equivalent ("" when it is not)."""


class _Decided(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised from the suite run's verdict callback at the first check that does not pass: the
    mutant is killed and the checks after it need not run (their processes are stopped)."""

    def __init__(self, check: Check) -> None:
        super().__init__(check.name)
        self.check = check


def _stop_at_failure(check: Check) -> None:
    if not check.passed:
        raise _Decided(check)


def grade_mutant(
    kata: Kata, mutant: Mutant, *, seed: int, limits: Limits = GRADE_LIMITS
) -> Verdict:
    """Grade one mutant with the kata's hidden suite, as ``kata grade`` does."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kata-mutant-") as tmp:
        path = Path(tmp) / "solution.py"
        path.write_text(mutant.source, encoding="utf-8")
        try:
            run = run_suite(
                kata.hidden_suite,
                path,
                kata=kata,
                seed=seed,
                limits=limits,
                stop_at_first_failure=True,
                shrink=False,
                on_check=_stop_at_failure,
            )
        except _Decided as decided:
            check = decided.check
            return Verdict(
                mutant,
                True,
                f"{check.name} [{check.kind}]",
                check.message.splitlines()[0] if check.message else check.status,
                time.monotonic() - start,
            )
        except KataError as error:
            return Verdict(mutant, True, "error", str(error), time.monotonic() - start)
    seconds = time.monotonic() - start
    if run.error or run.problems:
        why = (run.error or "; ".join(run.problems)).splitlines()[0]
        return Verdict(mutant, True, "error", why, seconds)
    return Verdict(mutant, False, seconds=seconds)


def grade_all(
    kata: Kata,
    mutants: Sequence[Mutant],
    *,
    seed: int,
    jobs: int,
    limits: Limits = GRADE_LIMITS,
    on_verdict: Callable[[Verdict], None] = lambda verdict: None,
) -> list[Verdict]:
    """Every mutant graded, `jobs` at once; verdicts in the order of `mutants`."""

    def one(mutant: Mutant) -> Verdict:
        verdict = grade_mutant(kata, mutant, seed=seed, limits=limits)
        on_verdict(verdict)
        return verdict

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        try:
            return list(pool.map(one, mutants))
        except KeyboardInterrupt:
            stop_all()
            pool.shutdown(wait=True, cancel_futures=True)
            raise


# --- report ------------------------------------------------------------------------------------


@dataclass
class Score:
    """The outcome of one mutation run."""

    kata: str
    seed: int
    points: int
    """How many distinct mutants the reference has."""
    verdicts: list[Verdict]
    stale: list[Equivalent] = field(default_factory=list)
    has_equivalents: bool = False

    @property
    def killed(self) -> int:
        return sum(v.killed for v in self.verdicts)

    @property
    def equivalent(self) -> int:
        return sum(bool(v.equivalent) and not v.killed for v in self.verdicts)

    @property
    def survivors(self) -> list[Verdict]:
        return [v for v in self.verdicts if not v.killed and not v.equivalent]


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "n/a"


def describe(score: Score, equivalents: Path) -> list[str]:
    """The score as report lines: the counts, every survivor, every declared equivalent."""
    total = len(score.verdicts)
    lines = [
        f"{score.kata}: {total} mutants sampled from {score.points} (seed {score.seed})",
        f"killed {score.killed} of {total} ({_percent(score.killed, total)})",
    ]
    if score.has_equivalents:
        rest = total - score.equivalent
        lines[-1] += (
            f"; {score.killed} of {rest} non-equivalent "
            f"({_percent(score.killed, rest)}), {score.equivalent} declared equivalent "
            f"in {equivalents.name}"
        )
    for title, group in (
        ("survivors", score.survivors),
        ("declared equivalent", [v for v in score.verdicts if v.equivalent and not v.killed]),
    ):
        if group:
            lines.append(f"{title}:")
        for v in group:
            m = v.mutant
            lines.append(f"  line {m.line} ({m.operator}): {m.original}  ->  {m.mutated}")
            if v.equivalent:
                lines.append(f"    why: {v.equivalent}")
    for v in score.verdicts:
        if v.killed and v.equivalent:
            lines.append(
                f"declared equivalent but killed by {v.by}: line {v.mutant.line}: "
                f"{v.mutant.mutated}"
            )
    for entry in score.stale:
        lines.append(
            f"declared equivalent but no longer a mutant: line {entry.line}: "
            f"{entry.original}  ->  {entry.mutated}"
        )
    return lines


def to_json(score: Score) -> dict[str, Any]:
    """The run as plain data (every mutant's verdict, without its whole source)."""
    mutants = []
    for v in score.verdicts:
        entry = asdict(v)
        entry["mutant"].pop("source")
        mutants.append(entry)
    total = len(score.verdicts)
    return {
        "kata": score.kata,
        "seed": score.seed,
        "points": score.points,
        "sampled": total,
        "killed": score.killed,
        "equivalent": score.equivalent,
        "non_equivalent": total - score.equivalent,
        "mutants": mutants,
        "stale_equivalents": [asdict(e) for e in score.stale],
    }


# --- command -----------------------------------------------------------------------------------


def mutation_score(
    kata: Kata,
    *,
    size: int,
    seed: int,
    jobs: int,
    limits: Limits = GRADE_LIMITS,
    on_verdict: Callable[[Verdict], None] = lambda verdict: None,
) -> Score:
    """Sample `size` mutants of the kata's reference with `seed`, grade them, and score them
    against the declared equivalents."""
    mutants = enumerate_mutants(kata.reference.read_text(encoding="utf-8"))
    declared = load_equivalents(equivalents_file(kata))
    matched, stale = match_equivalents(mutants, declared)
    chosen = sample(mutants, size, seed)
    verdicts = grade_all(kata, chosen, seed=seed, jobs=jobs, limits=limits, on_verdict=on_verdict)
    for verdict in verdicts:
        entry = matched.get(verdict.mutant.index)
        verdict.equivalent = entry.why if entry else ""
    return Score(kata.id, seed, len(mutants), verdicts, stale, bool(declared))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m kata.mutants",
        description="Mutate a kata's reference and grade each mutant with the hidden suite.",
    )
    parser.add_argument("kata", metavar="ID")
    parser.add_argument(
        "--sample",
        type=int,
        default=DEFAULT_SAMPLE,
        help=f"mutants to grade (default {DEFAULT_SAMPLE})",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help=f"draws the sample and the grades' examples (default {DEFAULT_SEED})",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="mutants graded at once (default: one per core)",
    )
    parser.add_argument("--json", metavar="OUT", type=Path, help="write every verdict here")
    return parser


def main(argv: Sequence[str] | None = None, *, root: Path = ROOT) -> int:
    """Print the mutation score of one kata; 0 when it ran, 2 on a usage or kata error, 130 on
    Ctrl-C."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.sample < 1 or args.jobs < 1:
        parser.error("--sample and --jobs must be >= 1")
    try:
        kata = catalog.load_kata(args.kata, root)
        count = [0]

        def progress(verdict: Verdict) -> None:
            count[0] += 1
            what = f"killed by {verdict.by}" if verdict.killed else "SURVIVED"
            print(
                f"  [{count[0]}] line {verdict.mutant.line}: {what} ({verdict.seconds:.1f} s)",
                file=sys.stderr,
                flush=True,
            )

        start = time.monotonic()
        score = mutation_score(
            kata, size=args.sample, seed=args.seed, jobs=args.jobs, on_verdict=progress
        )
    except KataError as error:
        print(f"kata.mutants: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kata.mutants: interrupted", file=sys.stderr)
        return 130
    for line in describe(score, equivalents_file(kata)):
        print(line)
    print(f"graded in {time.monotonic() - start:.0f} s with {args.jobs} at once")
    if args.json:
        args.json.write_text(json.dumps(to_json(score), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
