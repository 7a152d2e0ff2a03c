"""Opening a portfolio file: creating it, recognising it, upgrading it safely, refusing what is not ours."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from caio_tui.domain.blockers import BUILTIN_TAGS
from caio_tui.domain.defaults import default_rules
from caio_tui.domain.pilots import PilotFields
from caio_tui.resources import migration_files
from caio_tui.store import Portfolio, PortfolioError, open_files
from caio_tui.store import database as database_module
from caio_tui.store.database import APPLICATION_ID, latest_version
from helpers import NOW

MigrationList = list[tuple[int, str, str]]


BASE = migration_files()[-1][0]  # the schema version this checkout ships


def open_(path: Path, *, create: bool = False) -> Portfolio:
    return Portfolio.open(path, actor="tester", create=create, clock=lambda: NOW)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pragma(path: Path, name: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(f"PRAGMA {name}").fetchone()[0])
    finally:
        conn.close()


def make_v1(path: Path) -> None:
    """A portfolio at the shipped schema version (BASE) with one pilot in it."""
    with open_(path, create=True) as p:
        p.add_pilot(PilotFields(name="Claims triage", office="OBA", owner="Ann"))


def with_migrations(monkeypatch: pytest.MonkeyPatch, extra: MigrationList) -> None:
    """Pretend this version of caio-tui ships more migrations than it does (a test-only upgrade); the extra
    versions are given relative to the shipped ones: 1 means BASE + 1."""
    shipped = migration_files()

    def more() -> MigrationList:
        return [*shipped, *((BASE + v, name, sql) for v, name, sql in extra)]

    monkeypatch.setattr(database_module, "migration_files", more)


# ---- a fresh file ------------------------------------------------------------------------------------


def test_a_new_portfolio_is_private_recognisable_and_seeded(db_path: Path, portfolio: Portfolio) -> None:
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    assert pragma(db_path, "application_id") == APPLICATION_ID
    assert pragma(db_path, "user_version") == latest_version() == migration_files()[-1][0]
    assert [f.id for f in portfolio.catalog().frameworks] == ["production", "m-25-21"]
    assert {t.tag for t in portfolio.tags()} == {t.tag for t in BUILTIN_TAGS}
    assert portfolio.rules() == default_rules()
    assert portfolio.rules_version() == 1
    assert portfolio.name == "portfolio"
    events = portfolio.history()
    assert [e.action for e in events] == ["portfolio.create"]
    assert events[0].actor == "tester"
    assert portfolio.count() == 0
    assert portfolio.verify_chain() == (1, None)
    assert portfolio.integrity_problems() == []


def test_a_new_portfolio_in_a_missing_folder_creates_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "p.db"
    with Portfolio.open(path, actor="tester", create=True, name="Civic Services") as p:
        assert p.name == "Civic Services"
    assert path.exists()


def test_reopening_seeds_nothing_twice(db_path: Path) -> None:
    make_v1(db_path)
    with open_(db_path) as p:
        assert [e.action for e in p.history()] == ["portfolio.create", "pilot.create"]
        assert len(p.tags()) == len(BUILTIN_TAGS)
        assert p.count() == 1


def test_every_migration_applies_in_order_to_an_empty_database(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    versions = [v for v, _, _ in migration_files()]
    assert versions == sorted(set(versions)) and versions[0] == 1
    for _version, _name, sql in migration_files():
        conn.executescript(sql)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    assert {"meta", "framework", "item", "blocker_tag", "pilot", "coverage", "blocker", "stage_move"} <= tables
    assert {"gate_rules", "audit_event", "pilot_fts"} <= tables
    conn.close()


# ---- upgrading an older file ----------------------------------------------------------------------------


def test_an_older_file_is_backed_up_beside_it_then_upgraded(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_v1(db_path)
    before = digest(db_path)
    with_migrations(monkeypatch, [(1, "pilot_notes", "ALTER TABLE pilot ADD COLUMN notes TEXT NOT NULL DEFAULT '';")])
    with open_(db_path) as p:
        assert p.count() == 1
        assert p.get("AI-0001").name == "Claims triage"
    assert pragma(db_path, "user_version") == BASE + 1
    columns = [r[1] for r in sqlite3.connect(db_path).execute("PRAGMA table_info(pilot)")]
    assert "notes" in columns
    (backup,) = db_path.parent.glob(f"portfolio.db.v{BASE}-*.bak")
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert pragma(backup, "user_version") == BASE
    assert sqlite3.connect(backup).execute("SELECT name FROM pilot").fetchall() == [("Claims triage",)]
    assert before != digest(db_path)


def test_several_pending_migrations_apply_together(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_v1(db_path)
    with_migrations(
        monkeypatch,
        [
            (1, "a", "CREATE TABLE extra_a (x INTEGER) STRICT;"),
            (2, "b", "-- a comment line\nCREATE TABLE extra_b (y TEXT) STRICT;\nINSERT INTO extra_b VALUES ('z');"),
        ],
    )
    open_(db_path).close()
    assert pragma(db_path, "user_version") == BASE + 2
    assert sqlite3.connect(db_path).execute("SELECT y FROM extra_b").fetchall() == [("z",)]


def test_a_failing_migration_leaves_the_file_as_it_was(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_v1(db_path)
    with_migrations(
        monkeypatch,
        [
            (1, "good", "CREATE TABLE half_done (x INTEGER);"),
            (2, "broken", "ALTER TABLE no_such_table ADD COLUMN y TEXT;"),
        ],
    )
    with pytest.raises(PortfolioError, match=rf"migration {BASE + 2:04d}_broken failed") as caught:
        open_(db_path)
    assert "\n" not in str(caught.value)
    monkeypatch.undo()
    assert pragma(db_path, "user_version") == BASE
    tables = {r[0] for r in sqlite3.connect(db_path).execute("SELECT name FROM sqlite_schema")}
    assert "half_done" not in tables
    with open_(db_path) as p:
        assert p.count() == 1
        assert p.verify_chain()[1] is None


def test_a_failing_first_migration_leaves_no_file_behind(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database_module, "migration_files", lambda: [(1, "broken", "CREATE TABLE (;")])
    with pytest.raises(PortfolioError, match="migration 0001_broken failed"):
        open_(db_path, create=True)
    assert not db_path.exists()
    monkeypatch.undo()
    with open_(db_path, create=True) as p:  # and a later try starts clean
        assert p.count() == 0


# ---- files that are not ours, or not usable -------------------------------------------------------------


def test_a_file_from_a_newer_caio_tui_is_refused_untouched(db_path: Path) -> None:
    make_v1(db_path)
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    before = digest(db_path)
    with pytest.raises(PortfolioError) as caught:
        open_(db_path)
    message = str(caught.value)
    assert "written by a newer caio-tui (schema 99" in message
    assert "upgrade caio-tui" in message
    assert "\n" not in message
    assert digest(db_path) == before
    assert sorted(p.name for p in db_path.parent.iterdir()) == ["portfolio.db"]


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _text(path: Path) -> None:
    path.write_text("name,office\nClaims,OBA\n", encoding="utf-8")


def _garbage_after_header(path: Path) -> None:
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 2000)


def _other_program(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contacts (name TEXT)")
    conn.execute("INSERT INTO contacts VALUES ('Ann')")
    conn.commit()
    conn.close()


def _other_program_with_its_id(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id = 1234")
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_empty, "the file is empty, not a caio-tui portfolio"),
        (_text, "not a caio-tui portfolio (not a SQLite database)"),
        (_garbage_after_header, "not a caio-tui portfolio"),
        (_other_program, "a SQLite database of another program, not a caio-tui portfolio"),
        (_other_program_with_its_id, "a SQLite database of another program, not a caio-tui portfolio"),
    ],
)
@pytest.mark.parametrize("create", [False, True])
def test_files_that_are_not_portfolios_give_one_clear_line_and_stay_unchanged(
    tmp_path: Path, make: Callable[[Path], None], message: str, create: bool
) -> None:
    path = tmp_path / "thing.db"
    make(path)
    before = digest(path)
    with pytest.raises(PortfolioError) as caught:
        open_(path, create=create)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thing.db"]


def test_a_folder_is_not_a_portfolio(tmp_path: Path) -> None:
    folder = tmp_path / "portfolio.db"
    folder.mkdir()
    with pytest.raises(PortfolioError, match=r"portfolio.db: is a folder, not a portfolio file$"):
        open_(folder)
    with pytest.raises(PortfolioError, match="is a folder"):
        open_(folder, create=True)
    assert list(folder.iterdir()) == []


def test_a_missing_file_is_not_created_unless_asked(db_path: Path) -> None:
    with pytest.raises(PortfolioError, match=r"no portfolio there \(create one with 'caio-tui init'\)"):
        open_(db_path)
    assert not db_path.exists()


def test_a_file_in_a_folder_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(PortfolioError, match="cannot create the folder"):
        open_(blocker / "p.db", create=True)


# ---- read-only ----------------------------------------------------------------------------------------------


def _read_only_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    """Open every portfolio read-only, as a file on a read-only mount or without write permission would be
    (tests run as root here, for whom file permissions do not hold)."""

    def read_only(path: Path) -> sqlite3.Connection:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        return conn

    monkeypatch.setattr(database_module, "_open", read_only)


def test_a_read_only_portfolio_reads_and_refuses_writes_in_one_line(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_v1(db_path)
    before = digest(db_path)
    _read_only_connections(monkeypatch)
    with open_(db_path) as p:
        assert p.get("AI-0001").name == "Claims triage"
        with pytest.raises(PortfolioError, match=r"the portfolio is read-only; nothing was changed$"):
            p.add_pilot(PilotFields(name="another"))
        with pytest.raises(PortfolioError, match="read-only"):
            p.edit_pilot("AI-0001", owner="Bob")
        assert p.count() == 1
    assert digest(db_path) == before


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes through file permissions")
def test_a_file_without_write_permission_refuses_writes(db_path: Path) -> None:
    make_v1(db_path)
    db_path.chmod(0o400)
    try:
        with open_(db_path) as p:
            assert p.count() == 1
            with pytest.raises(PortfolioError, match="read-only"):
                p.add_pilot(PilotFields(name="another"))
    finally:
        db_path.chmod(0o600)


# ---- other processes ---------------------------------------------------------------------------------------


def test_a_write_while_another_program_holds_the_lock_is_busy_not_a_crash(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from caio_tui.store import PortfolioBusy

    make_v1(db_path)
    monkeypatch.setattr(open_files, "BUSY_TIMEOUT_MS", 50)
    with open_(db_path) as p:
        other = sqlite3.connect(db_path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(PortfolioBusy, match=r"another program is writing to the portfolio; try again$"):
                p.add_pilot(PilotFields(name="blocked"))
            assert p.count() == 1  # reads still work
        finally:
            other.execute("ROLLBACK")
            other.close()
        p.add_pilot(PilotFields(name="later"))
        assert p.count() == 2


def test_data_version_tells_a_change_by_another_connection(db_path: Path) -> None:
    make_v1(db_path)
    with open_(db_path) as mine, open_(db_path) as theirs:
        seen = mine.data_version()
        mine.edit_pilot("AI-0001", owner="Bo")
        assert mine.data_version() == seen  # its own writes do not count
        theirs.edit_pilot("AI-0001", owner="Cy")
        assert mine.data_version() != seen
        assert mine.get("AI-0001").owner == "Cy"
