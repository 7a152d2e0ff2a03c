"""Programs killed with SIGKILL mid-write: the portfolio opens, verifies, and holds a whole import or none
of it; every write that returned is there, and no write is there in part. Real processes, killed at random
moments (the seed is printed, so a failure can be replayed); a migration that fails or is killed leaves the
file as it was, with its backup beside it."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from caio_tui.resources import migration_files
from caio_tui.store import Portfolio, PortfolioError
from caio_tui.store import database as database_module
from caio_tui.store.database import latest_version

pytestmark = pytest.mark.slow

CAIO_TUI = Path(sys.executable).parent / "caio-tui"
SEED = int(os.environ.get("CAIO_TUI_KILL_SEED", "20261101"))
GENERATED = 20_000
IMPORTED = 3_000  # about 3 s of writing: every kill (0.05 to 1 s in) lands mid-write, however fast the machine


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wait_for(condition: Callable[[], bool], process: subprocess.Popen[Any], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, "the process ended before the moment to kill it"
        assert time.monotonic() < deadline, "the process never reached the moment to kill it"
        time.sleep(0.002)


def kill(process: subprocess.Popen[Any], delay: float) -> bool:
    """SIGKILL after delay; True when the process was still running (the kill landed mid-write)."""
    time.sleep(delay)
    running = process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    return running


def reopened(path: Path) -> Portfolio:
    """What the next program sees: it opens, its integrity holds and its chain verifies."""
    portfolio = Portfolio.open(path, actor="after")
    assert portfolio.integrity_problems() == []
    checked, broken = portfolio.verify_chain()
    assert broken is None and checked == len(portfolio.history())
    return portfolio


# ---- a large bulk load (`caio-tui generate`) --------------------------------------------------------------


def test_a_bulk_load_killed_at_random_moments_is_all_or_nothing(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    outcomes = []
    for round_ in range(3):
        path = tmp_path / f"bulk{round_}.db"
        Portfolio.open(path, actor="setup", create=True).close()
        process = subprocess.Popen(
            [str(CAIO_TUI), "--db", str(path), "generate", "--pilots", str(GENERATED)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        journal = path.with_name(path.name + "-journal")  # the load writes with a rollback journal
        wait_for(journal.exists, process)
        mid_write = kill(process, rng.uniform(0.0, 0.8))
        with reopened(path) as portfolio:
            count = portfolio.count()
            actions = [e.action for e in portfolio.history()]
        assert (count, actions) in [(0, ["portfolio.create"]), (GENERATED, ["portfolio.create", "generate"])]
        outcomes.append((mid_write, count))
    assert any(mid and count == 0 for mid, count in outcomes)  # at least one kill really cut a load short
    print(f"\nbulk load kills (seed {SEED}): {outcomes}")


# ---- an import through Portfolio.import_records -----------------------------------------------------------

IMPORTER = r"""
import sys
from pathlib import Path
from caio_tui.store import Portfolio
from caio_tui.store.transfer import read_records
with Portfolio.open(Path(sys.argv[1]), actor="importer") as p:
    base = read_records(p)
    records = [
        r.model_copy(update={"pilot": r.pilot.model_copy(update={"id": f"{r.pilot.id}-{k:03d}"})})
        for k in range(int(sys.argv[2]) // len(base)) for r in base
    ]
    print("importing", flush=True)
    p.import_records(records, source="crash-test")
    print("imported", flush=True)
"""


def test_an_import_killed_at_random_moments_is_all_or_nothing(tmp_path: Path) -> None:
    from caio_tui.io.samples import load_sample

    rng = random.Random(SEED + 1)
    template = tmp_path / "template.db"
    with Portfolio.open(template, actor="setup", create=True) as portfolio:
        load_sample(portfolio, "civilian-agency")
        base = portfolio.count()
    outcomes = []
    for round_ in range(3):
        path = tmp_path / f"import{round_}.db"
        path.write_bytes(template.read_bytes())
        process = subprocess.Popen(
            [sys.executable, "-c", IMPORTER, str(path), str(IMPORTED)], stdout=subprocess.PIPE, text=True
        )
        assert process.stdout is not None and process.stdout.readline().strip() == "importing"
        mid_write = kill(process, rng.uniform(0.05, 1.0))
        with reopened(path) as portfolio:
            count = portfolio.count()
            imports = [e for e in portfolio.history() if e.source == "crash-test"]
        whole = IMPORTED // base * base  # the importer copies the sample whole: 2,990 pilots
        assert count in (base, base + whole)
        assert len(imports) == (count == base + whole)
        outcomes.append((mid_write, count - base))
    assert any(mid and added == 0 for mid, added in outcomes)
    print(f"\nimport kills (seed {SEED + 1}): {outcomes}")


# ---- a batch of single writes -------------------------------------------------------------------------------

WRITER = r"""
import json, sys
from pathlib import Path
from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.pilots import PilotFields
from caio_tui.domain.stages import Stage
from caio_tui.store import Portfolio
with Portfolio.open(Path(sys.argv[1]), actor="batch") as p:
    n = p.count()  # the pilots of earlier (killed) runs are B-00001 to B-n
    while True:
        n += 1
        pid = f"B-{n:05d}"
        p.add_pilot(PilotFields(name=pid, description="x" * 2000), pilot_id=pid); print("pilot.create", pid, flush=True)
        p.set_coverage(pid, "access.roles", CoverageStatus.MET, evidence="seen"); print("coverage.set", pid, flush=True)
        p.open_blocker(pid, "skills-gap"); print("blocker.open", pid, flush=True)
        p.move(pid, Stage.RETIRED); print("stage.move", pid, flush=True)
"""


def test_a_batch_of_writes_killed_at_random_moments_loses_no_returned_write(tmp_path: Path) -> None:
    rng = random.Random(SEED + 2)
    path = tmp_path / "batch.db"
    Portfolio.open(path, actor="setup", create=True).close()
    total = 0
    for _ in range(3):  # the same file, killed again and again: each run starts from what the last left
        process = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("pilot.create"), process.stderr.read() if process.stderr else ""
        assert kill(process, rng.uniform(0.1, 0.8))
        rest = process.stdout.read()
        # The kill can cut the last report half-printed: only whole lines count as returned writes.
        lines = [first, *rest.splitlines()[: None if rest.endswith("\n") or not rest else -1]]
        returned = [tuple(line.split()) for line in lines]
        with reopened(path) as portfolio:
            trail = [(e.action, e.pilot_id) for e in portfolio.history() if e.actor == "batch"][total:]
            # Every write that returned is there; at most one more committed as the kill came.
            assert trail[: len(returned)] == returned
            assert len(trail) - len(returned) in (0, 1)
            total += len(trail)
            # No write is there in part: each left exactly its rows and its one event.
            counts = {
                action: sum(1 for e in portfolio.history() if e.action == action)
                for action in ("pilot.create", "coverage.set", "blocker.open", "stage.move")
            }
            conn = portfolio.conn
            assert portfolio.count() == counts["pilot.create"]
            assert conn.execute("SELECT count(*) FROM coverage").fetchone()[0] == counts["coverage.set"]
            assert conn.execute("SELECT count(*) FROM blocker").fetchone()[0] == counts["blocker.open"]
            moves = conn.execute("SELECT count(*) FROM stage_move WHERE to_stage = 'retired'").fetchone()[0]
            assert moves == counts["stage.move"] == portfolio.stage_counts()[next(iter(_retired()))]
    assert total > 12
    print(f"\nbatch kills (seed {SEED + 2}): 3 kills, {total} writes, none lost, none partial")


def _retired() -> list[Any]:
    from caio_tui.domain.stages import Stage

    return [Stage.RETIRED]


# ---- migrations -----------------------------------------------------------------------------------------------


def make_portfolio(path: Path) -> None:
    from caio_tui.io.samples import load_sample

    with Portfolio.open(path, actor="setup", create=True) as portfolio:
        load_sample(portfolio, "small-agency")


def state(path: Path) -> dict[str, Any]:
    conn = sqlite3.connect(path)
    try:
        return {
            "user_version": conn.execute("PRAGMA user_version").fetchone()[0],
            "tables": sorted(r[0] for r in conn.execute("SELECT name FROM sqlite_schema")),
            "pilots": conn.execute("SELECT * FROM pilot ORDER BY id").fetchall(),
            "events": conn.execute("SELECT * FROM audit_event ORDER BY id").fetchall(),
        }
    finally:
        conn.close()


def test_a_failing_migration_leaves_the_file_byte_for_byte_and_its_backup_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "p.db"
    make_portfolio(path)
    before, was = digest(path), state(path)
    nxt = latest_version() + 1
    shipped = migration_files()
    broken = [(nxt, "good", "CREATE TABLE half_done (x INTEGER);"), (nxt + 1, "broken", "ALTER TABLE nope ADD y;")]
    monkeypatch.setattr(database_module, "migration_files", lambda: [*shipped, *broken])
    with pytest.raises(PortfolioError, match=f"migration {nxt + 1:04d}_broken failed"):
        Portfolio.open(path, actor="upgrader")
    assert digest(path) == before
    (backup,) = tmp_path.glob(f"p.db.v{nxt - 1}-*.bak")
    assert state(backup) == was  # the copy made before the upgrade holds everything
    monkeypatch.undo()
    with reopened(path) as portfolio:
        assert portfolio.count() == len(was["pilots"])


MIGRATOR = r"""
import sys
from pathlib import Path
from caio_tui.resources import migration_files
from caio_tui.store import Portfolio
from caio_tui.store import database
shipped = migration_files()
slow = (shipped[-1][0] + 1, "slow", "CREATE TABLE filler AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
        "SELECT x + 1 FROM c WHERE x < 3000000) SELECT x, randomblob(32) AS b FROM c;")
database.migration_files = lambda: [*shipped, slow]
Portfolio.open(Path(sys.argv[1]), actor="upgrader").close()
print("upgraded", flush=True)
"""


def test_a_migration_killed_half_way_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    rng = random.Random(SEED + 3)
    path = tmp_path / "p.db"
    make_portfolio(path)
    before, was = digest(path), state(path)
    process = subprocess.Popen([sys.executable, "-c", MIGRATOR, str(path)], stdout=subprocess.PIPE, text=True)
    wait_for(lambda: any(tmp_path.glob("p.db.v*.bak")), process)  # the backup is made first, then the upgrade
    assert kill(process, rng.uniform(0.05, 0.3))
    assert digest(path) == before  # the half-done upgrade is only in the WAL, which nothing committed
    (backup,) = tmp_path.glob("p.db.v*.bak")
    with reopened(path) as portfolio:
        assert portfolio.count() == len(was["pilots"])
    assert state(path) == was and "filler" not in state(path)["tables"]
    assert state(backup) == was
    print(json.dumps({"migration kill": "file unchanged, backup beside it"}))
