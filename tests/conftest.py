"""Shared fixtures: a throwaway copy of the fixture repository with its tiny `toy` kata."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURE_REPO = Path(__file__).parent / "fixtures" / "repo"


@pytest.fixture
def toy_root(tmp_path: Path) -> Path:
    """A fresh copy of the fixture repository (katas/toy, solutions/toy, tests/hidden/toy, ...)."""
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE_REPO, root, ignore=shutil.ignore_patterns("__pycache__", "work"))
    return root
