"""The store's side of an office merge (store/office_apply.py): a merged pilot's derived columns are
computed from the rows the merge read with its changes applied in memory, and one UPDATE writes a pilot's
changed fields with them; they must be what a full re-derivation gives, and the seal what a full re-digest
gives."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from caio_tui.domain.coverage import CoverageStatus
from caio_tui.domain.office_merge import PilotSide
from caio_tui.domain.stages import Stage
from caio_tui.io.offices import merge_file
from caio_tui.store import Portfolio, StoreError
from caio_tui.store.derived_upkeep import rederive_all
from caio_tui.store.office_sides import side_text
from caio_tui.store.seal import check_groups
from caio_tui.store.writes import refresh
from helpers.office_files import bundle, office_portfolio
from helpers.old_schema import as_version_13

GMO = "Grants Management Office"
COLUMNS = "id, readiness, not_assessed, territory, open_blockers, top_blocker, below_gate, ready, approval_stale"


def _derived(portfolio: Portfolio) -> list[tuple[object, ...]]:
    return [tuple(r) for r in portfolio.session.read(f"SELECT {COLUMNS} FROM pilot ORDER BY id")]


def _rederived(portfolio: Portfolio) -> list[tuple[object, ...]]:
    """Every pilot's derived columns and approval_stale recomputed from its rows (store.writes.refresh),
    and rederive_all finding nothing more to change."""
    with portfolio.session.transaction():
        assert rederive_all(portfolio) == 0
        for (pilot_id,) in portfolio.conn.execute("SELECT id FROM pilot").fetchall():
            refresh(portfolio, pilot_id)
        portfolio.append_event("test.refresh", None, None, {"summary": "every pilot refreshed"})
    return _derived(portfolio)


def test_a_merge_leaves_the_derived_columns_a_full_rederivation_gives(
    sample_portfolio: Portfolio, tmp_path: Path
) -> None:
    caio = sample_portfolio
    caio.move("DCS-005", Stage.PILOT)  # a gate decision (on its owner) the office's changes then make stale
    assert caio.get("DCS-005").approval_stale is False
    with office_portfolio(caio, GMO, tmp_path) as office:
        for item, status in caio.session.conn.execute(
            "SELECT item_id, status FROM coverage WHERE pilot_id = 'DCS-005' AND status = 'met'"
        ).fetchall():
            office.set_coverage("DCS-005", item, CoverageStatus.GAP, evidence=f"{item} lapsed ({status} before)")
        office.edit_pilot("DCS-005", owner="")  # a field its gate decision checked
        office.set_coverage("DCS-007", "access.roles", CoverageStatus.MET, evidence="role matrix v2")
        office.open_blocker("DCS-013", "verbal-approval-only", note="no signed memo")
        office.resolve_blocker("DCS-025", "program-office-resistance", resolution="the office came round")
        office.edit_pilot("DCS-025", owner="", description="")  # gated fields emptied
        office.edit_pilot("DCS-007", owner="Dana Office")
        file = bundle(office, tmp_path)
    before = _derived(caio)
    outcome = merge_file(caio, file, source=file.name)
    assert outcome.conflicts == 0 and outcome.changes > 5
    merged = _derived(caio)
    assert merged != before  # the merge changed derived columns: the comparison below means something
    assert caio.get("DCS-005").approval_stale is True
    assert caio.get("DCS-013").top_blocker == "verbal-approval-only"
    assert merged == _rederived(caio)
    assert check_groups(caio.conn) == [] and caio.check_state().holds


# A row changed outside caio-tui (another connection: no seal triggers) before the merge, in each table a
# merge writes or checks for a pilot the bundle changes: the merge is refused naming it, nothing merged.
OUTSIDE = {
    "pilot": ("UPDATE pilot SET name = name || ' (typed in)' WHERE id = 'DCS-007'", "pilot DCS-007: changed"),
    "coverage": (
        "UPDATE coverage SET evidence = 'typed in' WHERE pilot_id = 'DCS-007' AND item_id = (SELECT min(item_id) "
        "FROM coverage WHERE pilot_id = 'DCS-007' AND item_id != 'access.roles')",  # not the item merged
        "coverage of pilot DCS-007: changed",
    ),
    "office_base": (
        "UPDATE office_base SET state = replace(state, '\"poc\"', '\"pilot\"') WHERE pilot_id = 'DCS-005'",
        "office base of pilot DCS-005: changed",
    ),
    "seal row": ("DELETE FROM state_seal WHERE tbl = 'pilot' AND grp = 'DCS-007'", "pilot DCS-007: added"),
}


@pytest.mark.parametrize("what", OUTSIDE)
def test_a_row_changed_outside_caio_tui_before_a_merge_is_refused_with_nothing_merged(
    sample_portfolio: Portfolio, tmp_path: Path, what: str
) -> None:
    caio = sample_portfolio
    with office_portfolio(caio, GMO, tmp_path) as office:
        office.set_coverage("DCS-007", "access.roles", CoverageStatus.MET, evidence="role matrix v2")
        office.edit_pilot("DCS-007", owner="Dana Office")
        office.edit_pilot("DCS-005", description="rewritten by the office")
        file = bundle(office, tmp_path)
    sql, named = OUTSIDE[what]
    with sqlite3.connect(caio.session.path) as outside:
        assert outside.execute(sql).rowcount == 1
    head = caio.audit_head()
    with pytest.raises(StoreError, match=f"{named} outside caio-tui") as refused:
        merge_file(caio, file, source=file.name)
    assert "\n" not in str(refused.value)
    assert caio.audit_head() == head and caio.get("DCS-007").owner != "Dana Office"
    assert caio.session.one("SELECT count(*) AS n FROM office_bundle")["n"] == 0


def test_a_base_is_kept_as_the_text_it_always_was() -> None:
    """side_text encodes the side's own mappings (triples as tuples): the text stays what earlier versions
    wrote (keys sorted at every level, triples as lists, no spaces, non-ASCII as is)."""
    side = PilotSide(
        {"owner": "Zoë", "name": "N", "high_impact": False},
        {"z.item": ("met", "memo", ""), "a.item": ("gap", "", "why")},
        {"skills-gap": "no one", "budget": ""},
        "poc",
    )
    assert side_text(side) == (
        '{"coverage":{"a.item":["gap","","why"],"z.item":["met","memo",""]},'
        '"fields":{"high_impact":false,"name":"N","owner":"Zoë"},'
        '"open_blockers":{"budget":"","skills-gap":"no one"},"stage":"poc"}'
    )


def test_a_portfolio_of_schema_13_keeps_its_bases_and_its_seal_and_merges_after_the_upgrade(
    sample_portfolio: Portfolio, tmp_path: Path
) -> None:
    caio = sample_portfolio
    with office_portfolio(caio, GMO, tmp_path) as office:
        office.edit_pilot("DCS-007", owner="Dana Office")
        file = bundle(office, tmp_path)
    caio.edit_pilot("DCS-005", description="rewritten by the CAIO")  # its base now differs from it
    path, head = caio.session.path, caio.audit_head()
    bases = caio.session.read("SELECT send_id, pilot_id, state FROM office_base ORDER BY pilot_id, send_id")
    caio.close()
    as_version_13(path)
    with Portfolio.open(path, actor="caio") as upgraded:
        shape = upgraded.session.one("SELECT sql FROM sqlite_schema WHERE name = 'office_base'")["sql"]
        assert "WITHOUT ROWID" not in shape
        again = upgraded.session.read("SELECT send_id, pilot_id, state FROM office_base ORDER BY pilot_id, send_id")
        assert [tuple(r) for r in again] == [tuple(r) for r in bases] and len(bases) >= 3
        assert upgraded.audit_head() == head  # no row sealed again: the rows read as before
        assert check_groups(upgraded.conn) == [] and upgraded.check_state().holds
        outcome = merge_file(upgraded, file, source=file.name)
        assert (outcome.changes, outcome.conflicts) == (1, 0)  # DCS-005's description: the CAIO's alone
        assert upgraded.get("DCS-007").owner == "Dana Office"
        assert upgraded.get("DCS-005").description == "rewritten by the CAIO"
        assert check_groups(upgraded.conn) == [] and upgraded.check_state().holds
