"""Shared fixtures: a portfolio in a temporary folder, a fixed clock, an isolated user config.

The tests are split by kind: unit/ (domain, store, io: in process), cli/ (the headless commands), tui/
(the app driven with its keys, and its SVG snapshots), reliability/ (killed processes, concurrency,
hostile files, fuzzing), packaging/ (the wheel, the benchmark). What they share beside these fixtures is
in helpers/ (importable as `helpers`: tests/ is on pytest's pythonpath).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from caio_tui.store import Portfolio
from helpers import NOW


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the real user's config or data folders."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("CAIO_TUI_CONFIG", str(home / "config" / "caio-tui" / "config.toml"))
    monkeypatch.setenv("CAIO_TUI_ACTOR", "tester")
    monkeypatch.delenv("CAIO_TUI_DB", raising=False)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "portfolio.db"


@pytest.fixture
def portfolio(db_path: Path) -> Iterator[Portfolio]:
    with Portfolio.open(db_path, actor="tester", create=True, clock=lambda: NOW) as opened:
        yield opened


@pytest.fixture
def sample_portfolio(db_path: Path) -> Iterator[Portfolio]:
    from caio_tui.io.samples import load_sample

    with Portfolio.open(db_path, actor="tester", create=True, clock=lambda: NOW) as opened:
        load_sample(opened, "civilian-agency")
        yield opened
