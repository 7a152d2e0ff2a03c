"""Shared fixtures: a portfolio in a temporary folder, a fixed clock, an isolated user config.

The tests are split by kind: unit/ (domain, store, io: in process), cli/ (the headless commands), tui/
(the app driven with its keys, and its SVG snapshots), reliability/ (killed processes, concurrency,
hostile files, fuzzing), packaging/ (the wheel, the benchmark). What they share beside these fixtures is
in helpers/ (importable as `helpers`: tests/ is on pytest's pythonpath).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from caio_tui.store import Portfolio
from helpers import NOW

# Hypothesis's per-example deadline (200 ms) and its "too slow" check are timings: on a loaded machine they
# fail tests whose behaviour is right (test_derived.py ran 251 ms at load 20). Behaviour only, here.
settings.register_profile("caio", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("caio")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked slow (5-20 s each on a quiet machine) start first, dealt over the heads of the
    workers' shares: pytest-xdist's worksteal hands each worker an equal run of the collection in order
    and the others steal from its end, so a slow test left late ends the whole run late (by up to its
    own length). Every worker computes the same order, as xdist requires."""
    slow = [item for item in items if item.get_closest_marker("slow")]
    rest = [item for item in items if not item.get_closest_marker("slow")]
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    ordered: list[pytest.Item] = []
    left: list[pytest.Item] = []  # slow tests beyond a share (a tiny selection): after the others
    remaining = len(items)
    for worker in range(workers):  # the shares worksteal's first distribution gives, in order
        share = remaining // (workers - worker)
        remaining -= share
        mine = slow[worker::workers]
        left += mine[share:]
        fill = share - len(mine[:share])
        ordered += mine[:share] + rest[:fill]
        del rest[:fill]
    items[:] = ordered + left + rest


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


@pytest.fixture(scope="session")
def portfolio_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each kind of starting portfolio, built once per test process (an empty one, the civilian-agency
    sample): a test gets a copy of the closed file, the same bytes `Portfolio.open(create=True)` and
    `load_sample` would write with the fixed clock, in a fraction of the time (0.1-0.3 s a test)."""
    return {}


def _copy_of(templates: dict[str, Path], kind: str, target: Path, factory: pytest.TempPathFactory) -> Path:
    key = f"{kind}/{target.name}"  # a new portfolio is named after its file: one template per name
    template = templates.get(key)
    if template is None:
        template = factory.mktemp(kind) / target.name
        with Portfolio.open(template, actor="tester", create=True, clock=lambda: NOW) as made:
            if kind == "sample":
                from caio_tui.io.samples import load_sample

                load_sample(made, "civilian-agency")
        assert not template.with_name(f"{target.name}-wal").exists()  # closed: everything is in the main file
        templates[key] = template
    shutil.copy2(template, target)  # the mode too: portfolio files are readable by their owner only
    return target


@pytest.fixture
def portfolio(
    db_path: Path, portfolio_templates: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Portfolio]:
    _copy_of(portfolio_templates, "empty", db_path, tmp_path_factory)
    with Portfolio.open(db_path, actor="tester", create=False, clock=lambda: NOW) as opened:
        yield opened


@pytest.fixture
def sample_portfolio(
    db_path: Path, portfolio_templates: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Portfolio]:
    _copy_of(portfolio_templates, "sample", db_path, tmp_path_factory)
    with Portfolio.open(db_path, actor="tester", create=False, clock=lambda: NOW) as opened:
        yield opened
