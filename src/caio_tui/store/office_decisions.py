"""Settling what an office bundle left waiting: a conflict resolved (the CAIO's value kept, the office's or
an edited value written), a stage request decided (passed through the gate as `promote` does, or declined),
and the undo of either.

Each is one transaction and one audit event ("office.resolve", "office.request") that names the conflict or
request, the bundle's head and the office. The pilot changes through the write code of an edit
(writes.change_fields, put_coverage, insert_blocker, close_blocker, pass_gate), so its derived columns are
kept as for every write. The event keeps every row it changed, before and after (the pilot's, its coverage
item, blockers and stage move, the conflict or request itself): undo puts them back, so the conflict waits
again, and refuses once one of them changed since.

A conflict settles to what the person chose even when the pilot changed on the CAIO's side since the merge:
"take the CAIO's" keeps the pilot as it is now; the office's value (or an edited one) is written over it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

from caio_tui.domain.coverage import CoverageStatus, missing_evidence
from caio_tui.domain.office_values import describe, office_named, parse_edit
from caio_tui.domain.stages import Stage
from caio_tui.store import office_queue, writes
from caio_tui.store.errors import StoreError

if TYPE_CHECKING:
    import sqlite3

    from caio_tui.domain.history import AuditEvent
    from caio_tui.domain.office_merge import FieldKind, Value
    from caio_tui.store.office_queue import WaitingConflict
    from caio_tui.store.portfolio import Portfolio

Take = Literal["caio", "office", "edited"]
ACTIONS = ("office.resolve", "office.request")

# The tables a decision changes, and how one row of each is found.
_KEYS = {
    "pilot": ("id",),
    "coverage": ("pilot_id", "item_id"),
    "blocker": ("id",),
    "stage_move": ("id",),
    "office_conflict": ("id",),
    "office_request": ("id",),
}


class _Rows:
    """The rows one decision changed, as they were and as they became (what its event keeps for undo)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.entries: list[dict[str, Any]] = []

    @contextmanager
    def row(self, table: str, key: dict[str, Any]) -> Iterator[None]:
        before = _read(self.conn, table, key)
        yield
        self.changed(table, key, before)

    def changed(self, table: str, key: dict[str, Any], before: dict[str, Any] | None) -> None:
        after = _read(self.conn, table, key)
        if after != before:
            self.entries.append({"table": table, "key": key, "before": before, "after": after})


def _read(conn: sqlite3.Connection, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
    where = " AND ".join(f"{k} = ?" for k in _KEYS[table])
    cursor = conn.execute(f"SELECT * FROM {table} WHERE {where}", [key[k] for k in _KEYS[table]])
    row = cursor.fetchone()
    return None if row is None else {d[0]: v for d, v in zip(cursor.description, row, strict=True)}


def _put_back(conn: sqlite3.Connection, table: str, key: dict[str, Any], row: dict[str, Any] | None) -> None:
    where = " AND ".join(f"{k} = ?" for k in _KEYS[table])
    values = [key[k] for k in _KEYS[table]]
    if row is None:
        conn.execute(f"DELETE FROM {table} WHERE {where}", values)
    elif _read(conn, table, key) is None:
        conn.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
    else:  # in place: a pilot's row deleted would take its coverage and blockers with it
        conn.execute(f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in row)} WHERE {where}", [*row.values(), *values])


# ---- conflicts ------------------------------------------------------------------------------------------


def resolve_conflict(portfolio: Portfolio, conflict_id: int, take: Take, value: Value = None) -> str:
    """Settle one waiting conflict: take the CAIO's value, the office's, or `value` (take="edited", read by
    office_values.parse_edit). Returns what was done, as a line."""
    with portfolio.session.transaction():
        conflict = _waiting_conflict(portfolio, conflict_id)
        chosen = conflict.office if take == "office" else value
        if take == "office":
            _office_value_holds(portfolio, conflict)
        changes = _Rows(portfolio.conn)
        if take != "caio":
            if not writes.exists(portfolio, conflict.pilot_id):
                raise StoreError(f"{conflict.pilot_id} is no longer in the portfolio; take the CAIO's side")
            with changes.row("pilot", {"id": conflict.pilot_id}):
                _write(portfolio, changes, conflict, chosen, _source(portfolio, conflict, take))
        with changes.row("office_conflict", {"id": conflict_id}):
            portfolio.conn.execute(
                "UPDATE office_conflict SET resolved_at = ?, resolved_by = ?, resolution = ? WHERE id = ?",
                (portfolio.timestamp(), portfolio.actor, take, conflict_id),
            )
        side = {"caio": "kept the CAIO's value", "office": f"took the value of {office_named(conflict.office_name)}"}
        done = side.get(take, "set an edited value")
        summary = f"conflict {conflict_id}, {conflict.key} of {conflict.pilot_id}: {done}"
        if take != "caio":
            summary += f" ({describe(conflict.kind, chosen)})"
        after = {
            "summary": summary,
            "conflict": conflict_id,
            "bundle": conflict.bundle_head,
            "office": conflict.office_name,
            "field": str(conflict.key),
            "took": take,
            "changes": changes.entries,
        }
        portfolio.append_event("office.resolve", conflict.pilot_id, None, after)
    return summary


def edited_value(portfolio: Portfolio, kind: FieldKind, name: str, text: str) -> Value:
    """A value typed for a conflict (`resolve --value`, the app's edit), checked as the field's type: a
    `met` needs evidence where the item's framework asks it (ValueError, in one line, otherwise)."""
    catalog = portfolio.catalog()
    needs = kind == "coverage" and catalog.has_item(name) and catalog.framework_of(name).met_needs_evidence
    return parse_edit(kind, name, text, met_needs_evidence=needs)


def _waiting_conflict(portfolio: Portfolio, conflict_id: int) -> WaitingConflict:
    row = office_queue.conflict_row(portfolio, conflict_id)
    if row is None:
        raise StoreError(f"no conflict {conflict_id}; nothing was changed")
    if row["resolved_at"] is not None:
        raise StoreError(f"conflict {conflict_id} {_settled(portfolio, row)}")
    return office_queue.as_conflict(row)


_RESOLVED = {
    "caio": "took the CAIO's value",
    "office": "took the office's value",
    "edited": "set an edited value",
}


def _settled(portfolio: Portfolio, row: sqlite3.Row) -> str:
    """How a closed conflict was settled, in words: by a person, or by a later bundle (superseded, agreed)."""
    resolution = row["resolution"]
    if resolution == "agreed":
        return "needs nothing: the office now agrees with the CAIO's value"
    if resolution == "superseded":
        newer = portfolio.session.one(
            "SELECT id, bundle_head FROM office_conflict WHERE pilot_id = ? AND kind = ? AND name = ? AND id > ? "
            "ORDER BY id LIMIT 1",
            (row["pilot_id"], row["kind"], row["name"], row["id"]),
        )
        if newer is None:
            return "was superseded by a later bundle of the office"
        return f"was superseded by bundle {newer['bundle_head'][:8]}'s conflict #{newer['id']}"
    return f"was already resolved: {_RESOLVED.get(resolution, str(resolution))} {_by_at(row, 'resolved')}"


def _by_at(row: sqlite3.Row, prefix: str) -> str:
    """'(by caio, 2026-12-08 02:24); nothing was changed': who and when, to the minute, as a person reads it."""
    when = str(row[f"{prefix}_at"] or "").replace("T", " ")[:16]
    return f"(by {row[f'{prefix}_by']}, {when}); nothing was changed"


def _office_value_holds(portfolio: Portfolio, conflict: WaitingConflict) -> None:
    """An office's `met` is taken only with its evidence: the same rule as `set-coverage` (W10)."""
    if conflict.kind != "coverage" or not isinstance(conflict.office, tuple):
        return
    status, evidence, _ = conflict.office
    catalog = portfolio.catalog()
    if status != CoverageStatus.MET.value or not catalog.has_item(conflict.name):
        return
    if missing_evidence(catalog.framework_of(conflict.name), conflict.name, CoverageStatus.MET, evidence or ""):
        raise StoreError(
            f"the office's value of {conflict.name} is met without evidence; keep the CAIO's or set a value "
            f"with evidence (resolve {conflict.id} --value 'met: EVIDENCE'); nothing was changed"
        )


def _source(portfolio: Portfolio, conflict: WaitingConflict, take: Take) -> str:
    """Who a settled value is from: the office (chosen by the person), or the person's own value."""
    if take == "office":
        return f"office {conflict.office_name} (chosen by {portfolio.actor})"
    return portfolio.actor


def _write(portfolio: Portfolio, changes: _Rows, conflict: WaitingConflict, value: Value, source: str) -> None:
    pilot_id, name = conflict.pilot_id, conflict.name
    if conflict.kind == "field":
        writes.change_fields(portfolio, pilot_id, {name: value})
    elif conflict.kind == "coverage":
        status, evidence, justification = value if isinstance(value, tuple) else (None, None, None)
        with changes.row("coverage", {"pilot_id": pilot_id, "item_id": name}):
            writes.put_coverage(
                portfolio, pilot_id, name, CoverageStatus(status), evidence=evidence, justification=justification
            )
            portfolio.conn.execute(
                "UPDATE coverage SET updated_by = ? WHERE pilot_id = ? AND item_id = ?", (source, pilot_id, name)
            )
    else:
        _write_blocker(portfolio, changes, conflict, None if value is None else str(value), source)


def _write_blocker(
    portfolio: Portfolio, changes: _Rows, conflict: WaitingConflict, note: str | None, source: str
) -> None:
    """Open (with this note) or not open. A note that differs from the open blocker's resolves that one and
    opens the chosen note: the old note stays in the history."""
    pilot_id, tag = conflict.pilot_id, conflict.name
    found = portfolio.session.one(
        "SELECT id, note FROM blocker WHERE pilot_id = ? AND tag = ? AND resolved_at IS NULL", (pilot_id, tag)
    )
    if found is not None and found["note"] == note:
        return
    if found is not None:
        why = f"conflict {conflict.id} settled: " + ("not open" if note is None else "its note replaced")
        before, _ = writes.close_blocker(portfolio, pilot_id, tag, resolution=why)
        portfolio.conn.execute("UPDATE blocker SET resolved_by = ? WHERE id = ?", (source, found["id"]))
        changes.changed("blocker", {"id": found["id"]}, before)
    if note is not None:
        blocker_id = writes.insert_blocker(portfolio, pilot_id, tag, note=note)
        portfolio.conn.execute("UPDATE blocker SET opened_by = ? WHERE id = ?", (source, blocker_id))
        changes.changed("blocker", {"id": blocker_id}, None)


# ---- stage requests -------------------------------------------------------------------------------------


def decide_request(
    portfolio: Portfolio, request_id: int, *, move: bool, override: str | None = None, reason: str | None = None
) -> str:
    """Pass the pilot of a waiting stage request through the gate into the requested stage (GateRefused, with
    the failed rules, unless `override` justifies it as `promote` does), or decline it (with an optional
    `reason`, kept in the event). What was done."""
    with portfolio.session.transaction():
        request = _waiting_request(portfolio, request_id)
        changes = _Rows(portfolio.conn)
        after: dict[str, Any] = {"request": request_id, "bundle": request.bundle_head, "office": request.office_name}
        what = f"request {request_id} of {office_named(request.office_name)}"
        if move:
            stage = Stage(request.requested)
            if request.stage_now == stage.value:
                raise StoreError(f"{request.pilot_id} is already in {stage.value}; decline request {request_id}")
            with changes.row("pilot", {"id": request.pilot_id}):
                _, before, moved = writes.pass_gate(portfolio, request.pilot_id, stage, override=override)
            changes.changed("stage_move", {"id": moved["move_id"]}, None)
            after.update({"from": before["stage"], "to": stage.value, "override": moved["override"]})
            after["failed_rules"] = moved["failed_rules"]
            summary = f"{what}: moved {request.pilot_id} {Stage(before['stage']).label} → {stage.label}"
            summary += " (gate overridden)" if moved["override"] else ""
        else:
            summary = f"{what}: declined moving {request.pilot_id} to {Stage(request.requested).label}"
            if reason:
                summary += f" ({reason})"
                after["reason"] = reason
        with changes.row("office_request", {"id": request_id}):
            portfolio.conn.execute(
                "UPDATE office_request SET decided_at = ?, decided_by = ?, decision = ? WHERE id = ?",
                (portfolio.timestamp(), portfolio.actor, "moved" if move else "declined", request_id),
            )
        after.update({"summary": summary, "decision": "moved" if move else "declined", "changes": changes.entries})
        portfolio.append_event("office.request", request.pilot_id, None, after)
    return summary


def _waiting_request(portfolio: Portfolio, request_id: int) -> office_queue.WaitingRequest:
    row = office_queue.request_row(portfolio, request_id)
    if row is None:
        raise StoreError(f"no stage request {request_id}; nothing was changed")
    if row["decided_at"] is not None:
        how = "moved the pilot" if row["decision"] == "moved" else "declined"
        raise StoreError(f"stage request {request_id} was already decided: {how} {_by_at(row, 'decided')}")
    if not row["stage_now"]:
        raise StoreError(f"{row['pilot_id']} is no longer in the portfolio; decline request {request_id}")
    return office_queue.as_request(row)


# ---- undo (store/undo.py's step for office.*) -------------------------------------------------------------


def undo_decision(portfolio: Portfolio, event: AuditEvent) -> tuple[Any, Any]:
    """Put back every row the decision changed (the conflict or request waits again); refused, in one line,
    when one of them changed since."""
    after = event.after if isinstance(event.after, dict) else {}
    entries = list(after.get("changes", ()))
    for entry in entries:
        if _read(portfolio.conn, entry["table"], entry["key"]) != entry["after"]:
            raise StoreError(
                f"cannot undo event {event.id} ({event.action}): {entry['table']} {entry['key']} changed since; "
                "nothing was undone"
            )
    for entry in reversed(entries):
        _put_back(portfolio.conn, entry["table"], entry["key"], entry["before"])
    return after, {"summary": f"undid {after.get('summary', event.action)}"}
