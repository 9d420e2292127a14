"""Run in a grading process: can ``solution.py`` be compiled and imported, and does it define what
the kata needs? Writes one JSON object to the file named by argv[1]; argv[2] is a JSON object
``{"Name": ["method", ...]}`` of the names to look for.

Result: ``{"ok": bool, "message": str, "line": int | null, "missing": [...], "missing_methods": [...]}``.
"""

from __future__ import annotations

import importlib
import json
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
        return {
            "ok": False,
            "message": f"{where}importing solution.py raised {type(error).__name__}: {error}",
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
    out.write_text(json.dumps(result), encoding="utf-8")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
