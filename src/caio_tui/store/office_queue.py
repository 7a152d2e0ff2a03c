"""What waits after office bundles merged: the conflicts (a field both sides changed differently) and the
stage requests (an office moved a pilot), read for the conflicts screen and `caio-tui conflicts`. The
decisions that settle them are in office_decisions.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from caio_tui.domain.office_merge import FieldKey, FieldKind, Value

if TYPE_CHECKING:
    import sqlite3

    from caio_tui.store.portfolio import Portfolio


@dataclass(frozen=True)
class WaitingConflict:
    id: int
    pilot_id: str
    pilot_name: str  # "" when the CAIO no longer has the pilot
    kind: FieldKind
    name: str  # the field's name, the coverage item, the blocker's tag
    base: Value
    caio: Value  # the CAIO's value when the bundle merged (the pilot may have changed since)
    office: Value
    office_name: str
    bundle_head: str

    @property
    def key(self) -> FieldKey:
        return FieldKey(self.kind, self.name)


@dataclass(frozen=True)
class WaitingRequest:
    id: int
    pilot_id: str
    pilot_name: str
    office_name: str
    current: str  # the CAIO's stage when the bundle merged
    requested: str
    stage_now: str  # the CAIO's stage now ("" when the pilot is gone)
    bundle_head: str
    note: str = ""  # the office's words for its move ("" when it gave none)


_CONFLICTS = (
    "SELECT c.*, coalesce(p.name, '') AS pilot_name, s.office AS office_name FROM office_conflict c "
    "JOIN office_bundle b ON b.head = c.bundle_head JOIN office_send s ON s.id = b.send_id "
    "LEFT JOIN pilot p ON p.id = c.pilot_id"
)
_REQUESTS = (
    "SELECT r.*, coalesce(p.name, '') AS pilot_name, coalesce(p.stage, '') AS stage_now FROM office_request r "
    "LEFT JOIN pilot p ON p.id = r.pilot_id"
)


def conflicts(portfolio: Portfolio) -> list[WaitingConflict]:
    """The conflicts that wait, oldest first."""
    return [as_conflict(r) for r in portfolio.session.read(f"{_CONFLICTS} WHERE c.resolved_at IS NULL ORDER BY c.id")]


def requests(portfolio: Portfolio) -> list[WaitingRequest]:
    """The stage requests that wait, oldest first."""
    return [as_request(r) for r in portfolio.session.read(f"{_REQUESTS} WHERE r.decided_at IS NULL ORDER BY r.id")]


def waiting_count(portfolio: Portfolio) -> int:
    """Conflicts and requests that wait, in all (the view bar's count)."""
    return sum(waiting_counts(portfolio))


def waiting_counts(portfolio: Portfolio) -> tuple[int, int]:
    """(conflicts, stage requests) that wait: two counts over partial indexes, cheap enough for the view bar."""
    row = portfolio.session.one(
        "SELECT (SELECT count(*) FROM office_conflict WHERE resolved_at IS NULL) AS conflicts, "
        "(SELECT count(*) FROM office_request WHERE decided_at IS NULL) AS requests"
    )
    return (int(row["conflicts"]), int(row["requests"])) if row else (0, 0)


def waiting_for(portfolio: Portfolio, pilot_id: str) -> str:
    """What waits for one pilot, as a line ("" when nothing): for its detail screen and `show`."""
    from caio_tui.domain.office_values import waiting_words

    rows = portfolio.session.read(
        "SELECT 'c' AS what, s.office FROM office_conflict c JOIN office_bundle b ON b.head = c.bundle_head "
        "JOIN office_send s ON s.id = b.send_id WHERE c.pilot_id = ? AND c.resolved_at IS NULL "
        "UNION ALL SELECT 'r', office FROM office_request WHERE pilot_id = ? AND decided_at IS NULL",
        (pilot_id, pilot_id),
    )
    offices = sorted({r["office"] for r in rows})
    return waiting_words(sum(r["what"] == "c" for r in rows), sum(r["what"] == "r" for r in rows), offices)


def merged_any(portfolio: Portfolio) -> bool:
    """Whether any office bundle was merged here (an empty queue says why it is empty)."""
    return portfolio.session.one("SELECT 1 FROM office_bundle LIMIT 1") is not None


def conflict_row(portfolio: Portfolio, conflict_id: int) -> sqlite3.Row | None:
    """One conflict, waiting or not, with its office."""
    return portfolio.session.one(f"{_CONFLICTS} WHERE c.id = ?", (conflict_id,))


def request_row(portfolio: Portfolio, request_id: int) -> sqlite3.Row | None:
    return portfolio.session.one(f"{_REQUESTS} WHERE r.id = ?", (request_id,))


def as_conflict(r: sqlite3.Row) -> WaitingConflict:
    from caio_tui.domain.office_values import from_json  # it imports pydantic: not for the app's count

    kind: FieldKind = r["kind"]
    return WaitingConflict(
        id=r["id"],
        pilot_id=r["pilot_id"],
        pilot_name=r["pilot_name"],
        kind=kind,
        name=r["name"],
        base=from_json(kind, r["base"]),
        caio=from_json(kind, r["caio"]),
        office=from_json(kind, r["office"]),
        office_name=r["office_name"],
        bundle_head=r["bundle_head"],
    )


def as_request(r: sqlite3.Row) -> WaitingRequest:
    return WaitingRequest(
        id=r["id"],
        pilot_id=r["pilot_id"],
        pilot_name=r["pilot_name"],
        office_name=r["office"],
        current=r["current"],
        requested=r["requested"],
        stage_now=r["stage_now"],
        bundle_head=r["bundle_head"],
        note=r["note"],
    )
