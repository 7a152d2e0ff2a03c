"""A bundle's carried rows checked against the office's seal: digested from their values in Python (the
merge's fast path) exactly as SQLite digests them, and a changed value still refused, whether the pilot
takes the fast path or SQLite's (a separator in a value, a REAL, rows out of the seal's order)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from caio_tui.store import Portfolio, seal
from caio_tui.store.office_seal import BundleRefused, RowsCheck, sealed_columns
from caio_tui.store.seal_digest import EMPTY, PER_PILOT, columns


def _rows(names: list[str], pilot_id: str, n: int, **values: Any) -> list[Any]:
    row = {name: f"{name} {n}" for name in names}
    row.update({"id": n} if "pilot_id" in names else {"id": pilot_id})
    row.update({k: v for k, v in {"pilot_id": pilot_id, "resolved_at": None}.items() if k in names})
    row.update(values)
    return [row[name] for name in names]


def _pilot(check: RowsCheck, pilot_id: str, **pilot: Any) -> dict[str, list[list[Any]]]:
    c = check.columns
    return {
        "pilot": [_rows(c["pilot"], pilot_id, 0, **pilot)],
        "coverage": [_rows(c["coverage"], pilot_id, n, item_id=f"item {9 - n}") for n in range(3)],
        "blocker": [
            _rows(c["blocker"], pilot_id, 5, resolved_at="2026-01-02T00:00:00Z"),
            _rows(c["blocker"], pilot_id, 7, resolved_at=None),
            _rows(c["blocker"], pilot_id, 6, resolved_at="2026-01-01T00:00:00Z"),
        ],
        "stage_move": [_rows(c["stage_move"], pilot_id, n, from_stage=None) for n in (3, 1, 2)],
    }


def _sealed_by_sqlite(check: RowsCheck, pilot_id: str, tables: dict[str, list[list[Any]]]) -> bytes:
    check._insert(tables)
    found = {t: seal.digests_of(check.mem, t, [pilot_id]) for t in PER_PILOT}
    for table in PER_PILOT:
        check.mem.execute(f"DELETE FROM {table}")
    return b"".join(found[t].get(pilot_id, EMPTY) for t in PER_PILOT)


@pytest.mark.parametrize(
    ("pilot", "fast"),
    [
        ({}, True),  # every value text, an integer or NULL
        ({"description": None, "high_impact": 1}, True),
        ({"readiness": 0.1}, True),  # a REAL: as SQLite renders it
        ({"readiness": 1e20}, True),
        ({"high_impact": True}, False),  # a bool: as SQLite takes it
        ({"owner": "Ann\x1fLee"}, False),  # a separator in a value: SQLite's JSON digest
    ],
)
def test_carried_rows_match_the_seal_sqlite_computes_and_a_changed_value_is_refused(
    tmp_path: Path, pilot: dict[str, Any], fast: bool
) -> None:
    with Portfolio.open(tmp_path / "p.db", actor="t", create=True) as portfolio:
        names = {t: columns(portfolio.conn, t) for t in PER_PILOT}
        check = RowsCheck(sealed_columns(portfolio.conn), names, {})
        tables = _pilot(check, "P-1", **pilot)
        check.seals = {"P-1": _sealed_by_sqlite(check, "P-1", tables)}
        assert (check._digests("P-1", tables) is not None) is fast
        [rows] = check.check([("P-1", tables)])
        assert rows.pilot.id == "P-1" and len(rows.coverage) == 3 and len(rows.moves) == 3
        tables["coverage"][1][names["coverage"].index("status")] = "met"
        with pytest.raises(BundleRefused, match="P-1: its coverage rows"):
            check.check([("P-1", tables)])
        check.close()
