"""A bulk load seals its pilots from the values it inserts (store/bulk_seal.py): the digests must be the
ones `verify` computes from the rows, whatever the values hold, and an upgrade from the four-row seal
(before schema 10) keeps naming what did not hold."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from caio_tui.domain.coverage import CoverageStatus as S
from caio_tui.domain.stages import Stage
from caio_tui.io.samples import load_sample
from caio_tui.store import Portfolio, bulk_seal
from caio_tui.store.bulk import NewBlocker, NewCoverage, NewMove, NewPilot, bulk_add
from caio_tui.store.seal import check_state
from helpers import NOW
from helpers.old_schema import as_version_4


@pytest.fixture
def finished(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each load's own digests were used (True) or the seal read every row back (False)."""
    used: list[bool] = []
    finish = bulk_seal.BulkDigests.finish

    def spy(self: bulk_seal.BulkDigests) -> dict[str, bytes] | None:
        sealed = finish(self)
        used.append(sealed is not None)
        return sealed

    monkeypatch.setattr(bulk_seal.BulkDigests, "finish", spy)
    return used


def pilots() -> list[NewPilot]:
    day = timedelta(days=1)
    coverage = (  # not in the primary key's order
        NewCoverage("governance.approver", S.MET, evidence='memo "42"'),
        NewCoverage("access.roles", S.GAP, evidence="ünïcode ✓"),
        NewCoverage("ato.package_submitted", S.WAIVED, justification="CAIO waiver\nline two"),
    )
    blockers = (  # a resolved one before an open one: the seal reads them open first
        NewBlocker("skills-gap", "resolved", NOW - 3 * day, NOW - day),
        NewBlocker("shared-service-account", "open", NOW - 2 * day),
        NewBlocker("no-ato-pathway", "resolved earlier", NOW - 5 * day, NOW - 4 * day),
    )
    moves = (NewMove(None, Stage.INTAKE, NOW - 9 * day), NewMove(Stage.INTAKE, Stage.PILOT, NOW - 8 * day, "why"))
    plain = NewPilot("B-1", "Plain", "Office", "Owner", Stage.PILOT, False, "d", NOW, NOW, coverage, blockers, moves)
    return [
        plain,
        plain._replace(id="B-2", name="Separator \x1f in the name", high_impact=True),
        plain._replace(id="B-3", blockers=(NewBlocker("skills-gap", "a \x1c note", NOW - day),)),
        plain._replace(id="B-4", coverage=(), blockers=(), moves=()),
    ]


def test_a_bulk_load_seals_its_pilots_as_verify_reads_them(portfolio: Portfolio, finished: list[bool]) -> None:
    bulk_add(portfolio, pilots(), action="test.load", details={}, source="test", by="tester")
    assert finished == [True]
    assert check_state(portfolio.conn).holds
    portfolio.set_coverage("B-2", "access.roles", S.MET, evidence=None, justification=None)  # writes go on
    assert check_state(portfolio.conn).holds


def test_a_column_a_later_migration_adds_is_sealed_with_its_default(portfolio: Portfolio, finished: list[bool]) -> None:
    portfolio.conn.execute("ALTER TABLE coverage ADD COLUMN origin TEXT NOT NULL DEFAULT 'person'")
    portfolio.conn.execute("ALTER TABLE blocker ADD COLUMN weight REAL DEFAULT 1")
    portfolio.conn.execute("ALTER TABLE stage_move ADD COLUMN ticket TEXT")
    bulk_add(portfolio, pilots(), action="test.load", details={}, source="test", by="tester")
    assert finished == [True]
    assert check_state(portfolio.conn).holds


def test_a_generated_portfolio_verifies(portfolio: Portfolio, finished: list[bool]) -> None:
    from caio_tui.io.generate import generate

    generate(portfolio, 300, seed=3)
    assert finished == [True]
    assert check_state(portfolio.conn).holds


def test_an_upgrade_from_the_four_row_seal_still_names_what_did_not_hold(db_path: Path) -> None:
    with Portfolio.open(db_path, actor="tester", create=True) as old:
        load_sample(old, "civilian-agency")
    as_version_4(db_path)
    conn = sqlite3.connect(db_path)
    conn.execute("DELETE FROM blocker WHERE pilot_id = 'DCS-004'")
    conn.execute("UPDATE coverage SET evidence = evidence || ' (edited)' WHERE pilot_id = 'DCS-002'")
    conn.commit()
    conn.close()
    with Portfolio.open(db_path, actor="tester") as upgraded:
        report = check_state(upgraded.conn)
        found = sorted((f.table, f.group, f.kind) for f in report.faults)
        assert found == [("blocker", "DCS-004", "deleted"), ("coverage", "DCS-002", "changed")]
        assert report.stored == report.recorded  # only the rows are named, not a rewritten seal
        rows = upgraded.conn.execute("SELECT count(*) FROM state_seal WHERE tbl = 'coverage'").fetchone()[0]
        assert rows == 0  # every pilot's digests are in its one row now


def test_the_loader_inserts_every_sealed_column_but_the_ones_left_to_sqlite(portfolio: Portfolio) -> None:
    """A column a migration adds and the loader fills (below_gate, ready) must be in the one list the INSERTs
    and the digested text are derived from (store/insert_rows.py), in the table's order."""
    from caio_tui.store import bulk
    from caio_tui.store.insert_rows import LEFT_TO_SQLITE, TABLE_COLUMNS

    for table, known in TABLE_COLUMNS.items():
        found = [str(r[1]) for r in portfolio.conn.execute(f"PRAGMA table_info({table})")]
        assert tuple(found[: len(known)]) == known, table
    assert tuple(c for c in TABLE_COLUMNS["pilot"] if c != LEFT_TO_SQLITE["pilot"]) == bulk.PILOT_COLUMNS
    assert TABLE_COLUMNS["blocker"][1:] == bulk.BLOCKER_COLUMNS
    assert TABLE_COLUMNS["stage_move"][1:] == bulk.MOVE_COLUMNS
