"""Shared fixtures: a throwaway copy of the fixture repository with its tiny `toy` kata."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

FIXTURE_REPO = Path(__file__).parent / "fixtures" / "repo"


@pytest.fixture(autouse=True, scope="session")
def kata_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The tests' history goes to a folder of the session (before any module-scoped fixture
    grades anything), never to the user's."""
    home = tmp_path_factory.mktemp("kata-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KATA_HOME", str(home))
        yield home


@pytest.fixture
def toy_root(tmp_path: Path) -> Path:
    """A fresh copy of the fixture repository (katas/toy, solutions/toy, tests/hidden/toy, ...)."""
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE_REPO, root, ignore=shutil.ignore_patterns("__pycache__", "work"))
    return root
