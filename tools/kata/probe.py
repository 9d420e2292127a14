"""Run in a grading process: can ``solution.py`` be compiled and imported, and does it define what
the kata needs? Writes one JSON object to the file named by argv[1]; argv[2] is a JSON object
``{"Name": ["method", ...]}`` of the names to look for.

Result: ``{"ok": bool, "message": str, "line": int | null, "missing": [...],
"missing_methods": [...]}``.
The file appears complete or not at all, and the process ends as soon as it is written: threads or
exit handlers the solution left behind neither delay the verdict nor change it.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import resource
import sys
import traceback
from pathlib import Path
from typing import Any


def _solution_line(error: BaseException) -> int | None:
    """The innermost line of solution.py in `error`'s traceback."""
    line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if Path(frame.filename).name == "solution.py":
            line = frame.lineno
    return line


def _memory_hint() -> str:
    """Why a MemoryError happened: the grading process's address-space limit, in MB."""
    limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    if limit == resource.RLIM_INFINITY:
        return " (out of memory)"
    return f" (out of memory: it hit the memory limit of {limit // (1024 * 1024)} MB)"


def probe(names: dict[str, list[str]]) -> dict[str, Any]:
    """Compile and import ``solution`` from the working directory and look for `names`."""
    source = Path("solution.py").read_bytes()
    try:
        compile(source, "solution.py", "exec")
    except SyntaxError as error:
        where = f"solution.py:{error.lineno}" + (f":{error.offset}" if error.offset else "")
        text = (error.text or "").rstrip()
        detail = f"\n    {text}" if text else ""
        return {
            "ok": False,
            "message": f"{where}: SyntaxError: {error.msg}{detail}",
            "line": error.lineno,
        }
    sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module("solution")
    except BaseException as error:
        line = _solution_line(error)
        where = f"solution.py:{line}: " if line else ""
        text = f": {error}" if str(error) else ""
        return {
            "ok": False,
            "message": f"{where}importing solution.py raised {type(error).__name__}{text}"
            + (_memory_hint() if isinstance(error, MemoryError) else ""),
            "line": line,
        }
    missing = [name for name in names if not hasattr(module, name)]
    missing_methods = [
        f"{name}.{method}"
        for name, methods in names.items()
        if name not in missing
        for method in methods
        if not hasattr(getattr(module, name), method)
    ]
    if missing:
        listed = ", ".join(missing)
        return {
            "ok": False,
            "message": f"solution.py does not define {listed}",
            "line": None,
            "missing": missing,
        }
    return {
        "ok": True,
        "message": "",
        "line": None,
        "missing": [],
        "missing_methods": missing_methods,
    }


def main() -> None:
    out, names = Path(sys.argv[1]), json.loads(sys.argv[2])
    result = probe(names)
    partial = out.with_name(out.name + ".part")
    partial.write_text(json.dumps(result), encoding="utf-8")
    partial.replace(out)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)  # the solution's non-daemon threads and atexit handlers must not hold us up


if __name__ == "__main__":
    main()
