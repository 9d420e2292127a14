"""Which of a learner's tests are likely to catch a planted bug, read from the sources alone
(no run): the order of a bug run puts those first, so a caught bug costs few tests even on the
first grade of a file. It decides the order only, never which tests run: a test this reading
misses still runs, later.

The reading is by name. A bug changes some functions of the reference (methods by their own
name); a function reaches it when its body names one of them, directly or through others; a
test reaches it when its body, its decorators, or the module-level helpers and fixtures it
names, name one of those functions, or use the syntax that calls it (``len(x)`` for
``__len__``, ``in`` for ``__contains__``, a call of the class for ``__init__``). Among the tests
that reach it, those that time the code come first for a bug of a cost clause, then those
whose names share the most (rare) words with the sentence of the clause the bug breaks: tests
are named after the behaviour they check. Cost: O(size of the sources).
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

Names = frozenset[str]

SYNTAX = {
    "__len__": "len",
    "__contains__": "<in>",
    "__iter__": "<iter>",
    "__getitem__": "<subscript>",
    "__eq__": "<compare>",
    "__lt__": "<compare>",
    "__hash__": "hash",
    "__repr__": "repr",
    "__str__": "str",
    "__bool__": "bool",
}
"""A special method, and the name a test's syntax is read as when it calls it."""

CONSTRUCTORS = ("__init__", "__new__", "__post_init__")

TIMERS = frozenset(
    {"perf_counter", "perf_counter_ns", "process_time", "process_time_ns", "monotonic",
     "monotonic_ns", "timeit"}
)  # fmt: skip
"""Names a test that times the code uses."""


def _functions(tree: ast.Module) -> dict[str, list[ast.AST]]:
    """The module's functions and the methods of its classes (nested ones belong to the
    function around them), by their own name."""
    found: dict[str, list[ast.AST]] = {}
    for node in tree.body:
        members = node.body if isinstance(node, ast.ClassDef) else [node]
        for member in members:
            if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef):
                found.setdefault(member.name, []).append(member)
    return found


def _outside_functions(tree: ast.Module) -> str:
    """The module with every function body left out: what is not any function's code."""
    shell = ast.parse(ast.unparse(tree))
    for node in ast.walk(shell):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            node.body = [ast.Pass()]
    return ast.dump(shell)


def changed_functions(reference: str, planted: str) -> Names | None:
    """The names of the functions whose code differs between the two sources; None when code
    outside every function differs too (a class attribute, an import, a constant), or a source
    does not parse: then any test may reach the change."""
    try:
        before, after = ast.parse(reference), ast.parse(planted)
    except SyntaxError:
        return None
    if _outside_functions(before) != _outside_functions(after):
        return None
    old, new = _functions(before), _functions(after)
    return frozenset(
        name
        for name in old.keys() | new.keys()
        if [ast.dump(f) for f in old.get(name, [])] != [ast.dump(f) for f in new.get(name, [])]
    )


def _named(nodes: Iterable[ast.AST]) -> set[str]:
    """Every name, attribute and call-syntax name (see SYNTAX) used in `nodes`."""
    names: set[str] = set()
    for root in nodes:
        for node in ast.walk(root):
            if isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, ast.arg):
                names.add(node.arg)  # a fixture, by its parameter's name
            elif isinstance(node, ast.Compare):
                names.add("<compare>")
                if any(isinstance(op, ast.In | ast.NotIn) for op in node.ops):
                    names.add("<in>")
            elif isinstance(node, ast.Subscript):
                names.add("<subscript>")
            elif isinstance(node, ast.For | ast.comprehension | ast.Starred):
                names.add("<iter>")
    return names


def reached(reference: str, changed: Names) -> Names:
    """The names a test may use to reach `changed` in `reference`: the changed functions, every
    function of the reference that names one of them (to a fixed point), the syntax that calls
    a special method among them, and a class's name when its constructor is among them.
    Cost: O(size of the reference x depth of its calls)."""
    tree = ast.parse(reference)
    uses = {name: _named(defs) for name, defs in _functions(tree).items()}
    affected = set(changed)
    while True:
        more = {name for name, used in uses.items() if used & affected} - affected
        if not more:
            break
        affected |= more
    names = set(affected) | {SYNTAX[name] for name in affected if name in SYNTAX}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            methods = {m.name for m in node.body if isinstance(m, ast.FunctionDef)}
            if methods & affected & set(CONSTRUCTORS):
                names.add(node.name)
    return frozenset(names)


def names_used_by_tests(source: str) -> dict[str, Names] | None:
    """For each test of a test module, the names it uses with those of the module-level
    functions, classes and fixtures it names, to a fixed point; None when the module does not
    parse. Keys: ``name`` for a test function, ``Class::name`` for a test method, ``Class``
    for a class (a stateful machine's ``TestCase``, whose test is ``runTest``)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    helpers: dict[str, set[str]] = {}
    tests: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            target = tests if node.name.startswith("test") else helpers
            target[node.name] = _named([node])
        elif isinstance(node, ast.ClassDef):
            helpers[node.name] = tests[node.name] = _named([node])
            for member in node.body:
                if isinstance(member, ast.FunctionDef) and member.name.startswith("test"):
                    tests[f"{node.name}::{member.name}"] = _named([member])
        elif isinstance(node, ast.Assign):  # TestMachine = Machine.TestCase, strategies
            for target_node in node.targets:
                if isinstance(target_node, ast.Name):
                    helpers[target_node.id] = tests[target_node.id] = _named([node.value])
    closed = {name: _close(used, helpers) for name, used in helpers.items()}
    return {name: frozenset(_close(used, closed)) for name, used in tests.items()}


def _close(used: set[str], helpers: Mapping[str, set[str]]) -> set[str]:
    seen = set(used)
    todo = [name for name in used if name in helpers]
    while todo:
        for name in helpers.get(todo.pop(), ()):
            if name not in seen:
                seen.add(name)
                if name in helpers:
                    todo.append(name)
    return seen


def reaches(nodeid: str, tests: Mapping[str, Names], names: Names) -> bool:
    """Whether the test `nodeid` (``file::[Class::]name[params]``) may reach code named by
    `names` (see `reached`); a test not found in `tests` may."""
    used = _lookup(nodeid, tests)
    return used is None or bool(used & names)


def _lookup(nodeid: str, tests: Mapping[str, Names]) -> Names | None:
    """The names the test `nodeid` uses (see `names_used_by_tests`); None: not found."""
    path = nodeid.split("::", 1)[-1].split("[", 1)[0]
    for key in (path, path.split("::", 1)[0]):
        if key in tests:
            return tests[key]
    return None


def _words(text: str) -> frozenset[str]:
    return frozenset(w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 2)


def _test_words(nodeid: str) -> frozenset[str]:
    """The words of a test's name (``test_a_miss_computes_once[3]``: a, miss, computes, once)."""
    return _words(nodeid.rsplit("::", maxsplit=1)[-1].split("[", 1)[0].replace("_", " "))


@dataclass
class Prior:
    """The likely catchers of each planted bug among the tests `nodeids` of the test module
    `tests_source`, for the kata whose reference is `reference` (see the module's docstring)."""

    reference: str
    tests_source: str
    nodeids: list[str]
    clauses: Mapping[str, str]
    cost_clauses: tuple[str, ...] = ()
    _tests: dict[str, Names] = field(init=False)
    _rarity: dict[str, float] = field(init=False)

    def __post_init__(self) -> None:
        self._tests = names_used_by_tests(self.tests_source) or {}
        counts: dict[str, int] = {}
        for nodeid in self.nodeids:
            for word in _test_words(nodeid):
                counts[word] = counts.get(word, 0) + 1
        total = max(len(self.nodeids), 1)
        self._rarity = {word: math.log(total / n) for word, n in counts.items()}

    def rank(self, planted: str, clause: str) -> Callable[[str], tuple[bool, bool, float]]:
        """A sort key of test ids for the bug run of `planted` (the reference with the bug's
        edits), which breaks `clause`: lower first. O(size of the sources) once, then
        O(words of a test's name) per test."""
        changed = changed_functions(self.reference, planted)
        names = reached(self.reference, changed) if changed is not None else None
        wanted = _words(self.clauses.get(clause, ""))
        timed = clause in self.cost_clauses

        def key(nodeid: str) -> tuple[bool, bool, float]:
            near = names is None or reaches(nodeid, self._tests, names)
            used = _lookup(nodeid, self._tests)
            times = timed and used is not None and bool(used & TIMERS)
            likeness = sum(self._rarity.get(w, 0.0) for w in _test_words(nodeid) & wanted)
            return (not near, not times, -likeness)

        return key
